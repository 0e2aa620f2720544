import Foundation
import GRDB

/// The changes a run makes to the store, inside one transaction (`Store.write`).
public struct StoreWriter {
  let db: Database

  /// Records a run as started; the same row is updated when it ends.
  public func beginRun(id: String, pipeline: String, toolVersion: String, startedAt: Date) throws {
    try db.execute(
      sql: "INSERT INTO runs (id, pipeline, tool_version, started_at, status) VALUES (?, ?, ?, ?, 'running')",
      arguments: [id, pipeline, toolVersion, Store.timestamp(startedAt)])
  }

  /// Marks runs left `running` by a process that died as `killed` and returns their ids.
  /// Called with the lock held, so no live run is among them.
  public func markAbandonedRuns() throws -> [String] {
    let ids = try String.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'running'")
    try db.execute(
      sql:
        "UPDATE runs SET status = 'killed', message = 'the process ended before the run did' WHERE status = 'running'")
    return ids
  }

  /// Records how a run ended.
  public func finishRun(_ id: String, status: String, finishedAt: Date, outcome: RunOutcome) throws {
    try db.execute(
      sql: """
        UPDATE runs SET status = ?, finished_at = ?, read = ?, accepted = ?, rejected = ?, superseded = ?,
          inputs = ?, ingested = ?, state = ?, folder = ?, message = ? WHERE id = ?
        """,
      arguments: [
        status, Store.timestamp(finishedAt), outcome.read, outcome.accepted, outcome.rejected, outcome.superseded,
        outcome.inputs, outcome.ingested, outcome.state, outcome.folder, outcome.message, id,
      ])
  }

  /// Adds an input and its batch; returns its sequence number, which orders it after
  /// every input already stored.
  public func addInput(_ input: NewInput, batch: [UInt8]) throws -> Int64 {
    try db.execute(
      sql: """
        INSERT INTO inputs (sha256, path, bytes, format, source, fingerprint, status, ingested_run, ingested_at,
          read, rejected, report)
        VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)
        """,
      arguments: [
        input.sha256, input.path, input.bytes, input.format, input.source, input.fingerprint, input.run,
        Store.timestamp(input.at), input.read, input.rejected, input.report,
      ])
    let seq = db.lastInsertedRowID
    try storeBatch(batch, seq: seq)
    for partner in input.partners {
      try db.execute(
        sql: "INSERT OR IGNORE INTO input_partners (seq, partner) VALUES (?, ?)", arguments: [seq, partner])
    }
    return seq
  }

  /// Replaces the batch of an input re-read under a changed pipeline or catalog, keeping
  /// its place in the order.
  public func renormalize(_ seq: Int64, input: NewInput, batch: [UInt8]) throws {
    try db.execute(sql: "DELETE FROM batch_chunks WHERE seq = ?", arguments: [seq])
    try db.execute(sql: "DELETE FROM input_partners WHERE seq = ?", arguments: [seq])
    try db.execute(
      sql:
        "UPDATE inputs SET fingerprint = ?, format = ?, source = ?, read = ?, rejected = ?, report = ? WHERE seq = ?",
      arguments: [input.fingerprint, input.format, input.source, input.read, input.rejected, input.report, seq])
    try storeBatch(batch, seq: seq)
    for partner in input.partners {
      try db.execute(
        sql: "INSERT OR IGNORE INTO input_partners (seq, partner) VALUES (?, ?)", arguments: [seq, partner])
    }
  }

  private func storeBatch(_ batch: [UInt8], seq: Int64) throws {
    var part = 0
    var start = 0
    repeat {
      let end = min(batch.count, start + Store.chunkSize)
      let data = batch.withUnsafeBytes { Data($0[start..<end]) }
      try db.execute(
        sql: "INSERT INTO batch_chunks (seq, part, data) VALUES (?, ?, ?)", arguments: [seq, part, data])
      part += 1
      start = end
    } while start < batch.count
  }

  /// Takes an input's observations out of the reports: `replaced` by a new content at
  /// its path, or `forgotten` at a partner's request. Its batch is deleted; the row stays
  /// as history.
  public func retire(_ seq: Int64, status: String, run: String?, at date: Date, replacedBy: Int64? = nil) throws {
    try db.execute(
      sql: "UPDATE inputs SET status = ?, retired_run = ?, retired_at = ?, replaced_by = ? WHERE seq = ?",
      arguments: [status, run, Store.timestamp(date), replacedBy, seq])
    try db.execute(sql: "DELETE FROM batch_chunks WHERE seq = ?", arguments: [seq])
  }

  /// Notes the content seen at a path.
  public func notePath(_ path: String, sha256: String, run: String, at date: Date) throws {
    try db.execute(
      sql: "INSERT OR REPLACE INTO input_paths (path, sha256, seen_run, seen_at) VALUES (?, ?, ?, ?)",
      arguments: [path, sha256, run, Store.timestamp(date)])
  }

  /// Marks the inputs not yet in any published report as published by `run`.
  public func markPublished(run: String) throws {
    try db.execute(
      sql: "UPDATE inputs SET published_run = ? WHERE published_run IS NULL AND status = 'active'", arguments: [run])
  }
}

/// What the store keeps of a newly ingested input.
public struct NewInput {
  public var sha256: String
  public var path: String
  public var bytes: Int
  public var format: String
  public var source: String?
  /// Of the pipeline, catalog and tool version that normalized it.
  public var fingerprint: String
  public var run: String
  public var at: Date
  public var read: Int
  public var rejected: Int
  /// The input's report (JSON), as the run's summary shows it.
  public var report: String
  public var partners: [String]

  public init(
    sha256: String, path: String, bytes: Int, format: String, source: String?, fingerprint: String, run: String,
    at: Date, read: Int, rejected: Int, report: String, partners: [String]
  ) {
    self.sha256 = sha256
    self.path = path
    self.bytes = bytes
    self.format = format
    self.source = source
    self.fingerprint = fingerprint
    self.run = run
    self.at = at
    self.read = read
    self.rejected = rejected
    self.report = report
    self.partners = partners
  }
}

/// How a run ended, as the history keeps it; nil where a failed run has no figure.
public struct RunOutcome: Sendable {
  public var read: Int?
  public var accepted: Int?
  public var rejected: Int?
  public var superseded: Int?
  public var inputs: Int?
  public var ingested: Int?
  public var state: String?
  public var folder: String?
  public var message: String?

  public init() {}

  /// The count columns of the `runs` table and the fields they fill.
  static var countColumns: [(String, WritableKeyPath<RunOutcome, Int?>)] {
    [
      ("read", \.read), ("accepted", \.accepted), ("rejected", \.rejected), ("superseded", \.superseded),
      ("inputs", \.inputs), ("ingested", \.ingested),
    ]
  }
}
