import Foundation
import GRDB

/// The embedded store of a pipeline: every input seen (by content), the normalized batch
/// each brought, and the history of runs. One SQLite file, opened through GRDB in WAL
/// mode; the schema is versioned by GRDB's migrator and migrated forward on open.
///
/// A batch is kept as one blob per input (split into chunks), not a row per observation:
/// writing two million rows costs more than the rest of a run, while a blob costs a copy.
/// Every change of a run is one transaction, so a run killed at any point leaves the store
/// as it was before the run or with the whole run's inputs.
public final class Store: Sendable {
  public let path: String
  let pool: DatabasePool

  /// The largest piece of a batch blob in one row.
  static let chunkSize = 8 << 20

  /// Opens (or creates) the store at `path` and migrates it to the current schema.
  public init(path: String) throws(StoreError) {
    self.path = path
    var configuration = Configuration()
    configuration.busyMode = .timeout(30)
    configuration.prepareDatabase { db in
      // Bigger pages make blob reads and writes cheaper; ignored once the file exists.
      try db.execute(sql: "PRAGMA page_size = 65536")
      // Book-keeping commits are not synchronised (WAL keeps the file consistent);
      // `write(durable: true)` synchronises the commits that hold a run's inputs.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }
    do {
      let folder = (path as NSString).deletingLastPathComponent
      if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
      pool = try DatabasePool(path: path, configuration: configuration)
      try Self.migrator.migrate(pool)
    } catch {
      throw StoreError(message: "cannot open the store \(path): \(error)")
    }
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            pipeline TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            read INTEGER, accepted INTEGER, rejected INTEGER, superseded INTEGER,
            inputs INTEGER, ingested INTEGER,
            state TEXT,
            folder TEXT,
            message TEXT
          );
          CREATE TABLE inputs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            format TEXT NOT NULL,
            source TEXT,
            fingerprint TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'replaced', 'forgotten')),
            ingested_run TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            published_run TEXT,
            retired_run TEXT,
            retired_at TEXT,
            replaced_by INTEGER,
            read INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            report TEXT NOT NULL
          );
          CREATE INDEX inputs_by_sha ON inputs(sha256, status);
          CREATE TABLE input_paths (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            seen_run TEXT NOT NULL,
            seen_at TEXT NOT NULL
          );
          CREATE TABLE input_partners (
            seq INTEGER NOT NULL REFERENCES inputs(seq),
            partner TEXT NOT NULL,
            PRIMARY KEY (seq, partner)
          );
          CREATE TABLE batch_chunks (
            seq INTEGER NOT NULL REFERENCES inputs(seq),
            part INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (seq, part)
          );
          """)
    }
    return migrator
  }

  /// The inputs whose observations count, in ingestion order.
  public func activeInputs() throws(StoreError) -> [StoredInput] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM inputs WHERE status = 'active' ORDER BY seq").map(StoredInput.init)
    }
  }

  /// Every input with this content, newest first, whatever its status.
  public func inputs(sha256: String) throws(StoreError) -> [StoredInput] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM inputs WHERE sha256 = ? ORDER BY seq DESC", arguments: [sha256])
        .map(StoredInput.init)
    }
  }

  /// Every input, in ingestion order.
  public func allInputs() throws(StoreError) -> [StoredInput] {
    try read { db in try Row.fetchAll(db, sql: "SELECT * FROM inputs ORDER BY seq").map(StoredInput.init) }
  }

  /// The content last seen at each path, the paths compared byte for byte (see `PathKey`).
  public func pathContents() throws(StoreError) -> [PathKey: String] {
    try read { db in
      var contents: [PathKey: String] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT path, sha256 FROM input_paths") {
        contents[PathKey(row["path"] as String)] = row["sha256"]
      }
      return contents
    }
  }

  /// The partners whose observations an input holds.
  public func partners(of seq: Int64) throws(StoreError) -> [String] {
    try read { db in
      try String.fetchAll(
        db, sql: "SELECT partner FROM input_partners WHERE seq = ? ORDER BY partner", arguments: [seq])
    }
  }

  /// The active inputs holding observations of `partner`.
  public func activeInputs(ofPartner partner: String) throws(StoreError) -> [StoredInput] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT inputs.* FROM inputs JOIN input_partners USING (seq)
          WHERE status = 'active' AND partner = ? ORDER BY seq
          """, arguments: [partner]
      ).map(StoredInput.init)
    }
  }

  /// The normalized batch an input brought, as written by the runner. Safe to call from
  /// any thread, including while a run's transaction is open on another.
  public func batch(of seq: Int64) throws(StoreError) -> [UInt8] {
    try read { db in
      var bytes: [UInt8] = []
      let rows = try Row.fetchCursor(
        db, sql: "SELECT data FROM batch_chunks WHERE seq = ? ORDER BY part", arguments: [seq])
      while let row = try rows.next() {
        guard let data = row.dataNoCopy(atIndex: 0) else { continue }
        if bytes.isEmpty { bytes.reserveCapacity(data.count) }
        bytes.append(contentsOf: data)
      }
      return bytes
    }
  }

  /// The runs, newest first.
  public func runs(limit: Int = 1000) throws(StoreError) -> [StoredRun] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [limit])
        .map(StoredRun.init)
    }
  }

  /// One run, by id.
  public func run(id: String) throws(StoreError) -> StoredRun? {
    try read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(StoredRun.init) }
  }

  /// The inputs a run ingested.
  public func inputs(ingestedBy run: String) throws(StoreError) -> [StoredInput] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM inputs WHERE ingested_run = ? ORDER BY seq", arguments: [run])
        .map(StoredInput.init)
    }
  }

  /// Runs `body` in one write transaction: all its changes land, or none. A `durable`
  /// commit is on disk when this returns (SQLite's `synchronous = FULL`); another may be
  /// lost to a power cut, never half-applied.
  public func write<T>(durable: Bool = false, _ body: (StoreWriter) throws -> T) throws -> T {
    do {
      return try pool.writeWithoutTransaction { db in
        try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(StoreWriter(db: db))
          return .commit
        }
        return result!
      }
    } catch let error as DatabaseError {
      var message = "cannot write the store \(path): \(error.message ?? "\(error)")"
      if error.resultCode == .SQLITE_IOERR || error.resultCode == .SQLITE_FULL {
        message += " (\(Self.freeSpace(near: path)) free on its disk: check free space and file size limits)"
      }
      throw StoreError(message: message)
    }
  }

  /// The free space of the file system holding `path`, for messages.
  static func freeSpace(near path: String) -> String {
    let folder = (path as NSString).deletingLastPathComponent
    guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: folder.isEmpty ? "." : folder),
      let free = attributes[.systemFreeSize] as? NSNumber
    else { return "unknown space" }
    return ByteCountFormatter.string(fromByteCount: free.int64Value, countStyle: .file)
  }

  private func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
    do {
      return try pool.read(body)
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(message: "cannot read the store \(path): \(error)")
    }
  }
}

/// A store that cannot be opened, read or written: the run fails.
public struct StoreError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

/// A file path as a dictionary key, compared byte for byte: `String` equality folds two
/// names that differ only in their Unicode normalization (`café.csv` composed and
/// decomposed), which are two files (and two rows of the store, whose SQL text compares
/// bytes).
public struct PathKey: Hashable, Sendable {
  public let bytes: [UInt8]

  public init(_ path: String) { bytes = Array(path.utf8) }
}
