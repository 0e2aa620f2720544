import Foundation
import ImpactModel
import ImpactNormalization
import ImpactReports
import ImpactStore
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What a run with the store does with each input: which stored batches it merges, which
/// files it reads, in which order, and what it changes in the store.
///
/// Order is the store's: every active input in the order it was first ingested, then the
/// new inputs in path order. A file whose content changed at the same path replaces the
/// input that path brought before (unless that content is still present at another path);
/// a later file with the same `(partner, response, indicator)` as a stored one supersedes
/// it, as within one run.
struct StorePlan {
  enum Action {
    /// A batch in the store, merged as it is.
    case stored(StoredInput)
    /// A stored input read again from its file under a changed pipeline or catalog.
    case renormalize(StoredInput, Input, sha256: String)
    /// A file not seen before; `replacing` is the input its path brought before.
    case new(Input, sha256: String, replacing: Int64?)
    /// A file that could not be hashed: read for this run's reports, not stored.
    case transient(Input)

    var isStored: Bool {
      switch self {
      case .stored, .renormalize, .new: true
      case .transient: false
      }
    }
  }

  struct Item {
    var path: String
    var action: Action
    var fingerprint: String
    var bytes: Int
    /// Set once stored.
    var seq: Int64?
    /// Empty for a new file not hashed before reading (see `init`): set once read.
    var sha256: String
    /// The absolute path of a file of this run, under which the store notes its content.
    var key = ""
    /// A stored batch normalized under another pipeline, catalog or tool version, whose
    /// file is not among the inputs to read again.
    var isStale = false

    /// The run that first ingested it; nil for this run.
    var ingestedBy: String? {
      switch action {
      case .stored(let input), .renormalize(let input, _, _): input.ingestedRun
      case .new, .transient: nil
      }
    }

    /// Whether no published report counted it yet.
    var isNew: Bool {
      switch action {
      case .stored(let input), .renormalize(let input, _, _): input.publishedRun == nil
      case .new, .transient: true
      }
    }
  }

  private(set) var items: [Item] = []
  private(set) var unchanged = 0
  /// Files whose content another file of this run has too.
  /// Files of this run with the content of an earlier file of this run, each with that
  /// file's path.
  private(set) var copies: [String] = []
  private(set) var replacedPaths: [String] = []
  private(set) var forgottenPaths: [String] = []
  /// Paths whose content the store must note: (path, sha256).
  private var pathNotes: [(String, String)] = []
  private let fingerprints: InputFingerprints
  private let catalogFingerprint: String

  /// Files this run reads for the first time.
  var newCount: Int { items.filter { if case .new = $0.action { true } else { false } }.count }

  /// Whether the run changes nothing in the store. A forgotten content found again
  /// changes nothing: it stays out.
  var isUnchanged: Bool {
    items.allSatisfy { if case .stored = $0.action { true } else { false } }
  }

  /// Plans the run. A file is hashed before reading only when it might hold a content
  /// the store or another file of the run has, that is when its size is the size of one
  /// of those: any other file is new for certain, and its digest is taken while it is
  /// read. A first run over an inbox of files of different sizes hashes nothing twice.
  init(discovered: [Input], store: Store, fingerprints: InputFingerprints, workers: Int) throws {
    self.fingerprints = fingerprints
    catalogFingerprint = fingerprints.canonical
    let sizes = discovered.map { Self.readableSize(of: $0.path) }
    let storedSizes = Set(try store.allInputs().filter { $0.status != "replaced" }.map(\.bytes))
    var sizeCounts: [Int: Int] = [:]
    for size in sizes.compactMap({ $0 }) { sizeCounts[size, default: 0] += 1 }
    let hashed = sizes.map { size in size.map { storedSizes.contains($0) || sizeCounts[$0, default: 0] > 1 } ?? true }
    let hashedPaths = zip(discovered, hashed).filter(\.1).map(\.0.path)
    var hashedDigests = Self.digests(of: hashedPaths, workers: workers)[...]
    let digests: [(sha256: String, bytes: Int)?] = zip(sizes, hashed).map { size, isHashed in
      isHashed ? hashedDigests.removeFirst() : size.map { ("", $0) }
    }
    let active = try store.activeInputs()
    var activeBySHA: [String: StoredInput] = [:]
    for input in active { activeBySHA[input.sha256] = input }
    let contents = try store.pathContents()
    let present = Set(digests.compactMap { $0?.sha256 }.filter { !$0.isEmpty })
    // Paths are compared absolute, so that runs started from other folders agree.
    let absolute = discovered.map { Self.absolutePath($0.path) }
    var renormalized: [Int64: (Input, String)] = [:]
    var firstPathOf: [String: String] = [:]
    var newItems: [Item] = []
    var retired = Set<Int64>()
    for (position, (input, digest)) in zip(discovered, digests).enumerated() {
      let key = absolute[position]
      let fingerprint = fingerprints.fingerprint(of: input)
      guard let digest else {
        newItems.append(
          Item(path: input.path, action: .transient(input), fingerprint: fingerprint, bytes: 0, sha256: ""))
        continue
      }
      let sha = digest.sha256
      guard !sha.isEmpty else {
        // New for certain: no stored content and no other file has its size.
        var replacing: Int64?
        if let old = contents[PathKey(key)], let previous = activeBySHA[old], !present.contains(old),
          retired.insert(previous.seq).inserted
        {
          replacing = previous.seq
          replacedPaths.append(input.path)
        }
        var item = Item(
          path: input.path, action: .new(input, sha256: "", replacing: replacing), fingerprint: fingerprint,
          bytes: digest.bytes, sha256: "")
        item.key = key
        newItems.append(item)
        continue
      }
      if contents[PathKey(key)] != sha { pathNotes.append((key, sha)) }
      if let first = firstPathOf[sha] {
        copies.append("\(input.path) (same content as \(first))")  // read once
        continue
      }
      firstPathOf[sha] = input.path
      if let stored = activeBySHA[sha] {
        if stored.fingerprint != fingerprint {
          renormalized[stored.seq] = (input, fingerprint)
        } else {
          unchanged += 1
        }
        continue
      }
      if try store.inputs(sha256: sha).contains(where: { $0.status == "forgotten" }) {
        forgottenPaths.append(input.path)
        continue
      }
      var replacing: Int64?
      if let old = contents[PathKey(key)], old != sha, let previous = activeBySHA[old], !present.contains(old),
        retired.insert(previous.seq).inserted
      {
        replacing = previous.seq
        replacedPaths.append(input.path)
      }
      newItems.append(
        Item(
          path: input.path, action: .new(input, sha256: sha, replacing: replacing), fingerprint: fingerprint,
          bytes: digest.bytes, sha256: sha))
    }
    for stored in active where !retired.contains(stored.seq) {
      if let (input, fingerprint) = renormalized[stored.seq] {
        items.append(
          Item(
            path: stored.path, action: .renormalize(stored, input, sha256: stored.sha256), fingerprint: fingerprint,
            bytes: stored.bytes, seq: stored.seq, sha256: stored.sha256))
      } else {
        let current = stored.source.map { fingerprints.mapped + ":" + $0 } ?? fingerprints.canonical
        items.append(
          Item(
            path: stored.path, action: .stored(stored), fingerprint: stored.fingerprint, bytes: stored.bytes,
            seq: stored.seq, sha256: stored.sha256, isStale: stored.fingerprint != current))
      }
    }
    items += newItems
  }

  /// The identity of what the reports are computed from: tool version, catalog, every
  /// input in order with its content and normalization, and the files passed over. Two
  /// runs with the same state publish the same figures.
  func state(skipped: [String]) -> String {
    let hash = SHA256()
    var text = "impact-state-1\n\(ImpactVersion.current)\n\(catalogFingerprint)\n"
    for item in items {
      text += "\(item.seq.map(String.init) ?? "-") \(item.sha256) \(item.fingerprint) \(item.path)\n"
    }
    for path in skipped { text += "skipped \(path)\n" }
    hash.update(Array(text.utf8))
    return hash.hexDigest()
  }

  /// Records in the store the batch of item `index` once merged.
  mutating func persist(
    _ index: Int, batch: NormalizedBatch, report: InputReport, encoded: [UInt8]?, writer: StoreWriter, run: String
  ) throws {
    let item = items[index]
    func record(_ input: Input, sha: String) -> NewInput {
      let json = (try? JSONEncoder().encode(report.clearedCounts)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
      return NewInput(
        sha256: sha, path: input.path, bytes: report.bytes, format: report.format, source: report.source,
        fingerprint: item.fingerprint, run: run, at: Date(), read: batch.readCount, rejected: batch.rejects.count,
        report: json, partners: (0..<Int32(batch.partners.count)).map { batch.partners.string(of: $0) })
    }
    switch item.action {
    case .stored, .transient:
      return
    case .renormalize(let stored, let input, let sha):
      try writer.renormalize(stored.seq, input: record(input, sha: sha), batch: encoded ?? [])
    case .new(let input, var sha, let replacing):
      if sha.isEmpty {
        // Not hashed before reading: the reader's digest, or one taken now if it had none.
        sha = report.sha256.isEmpty ? (Self.digest(of: input.path)?.sha256 ?? "") : report.sha256
        items[index].sha256 = sha
        try writer.notePath(item.key, sha256: sha, run: run, at: Date())
      }
      let seq = try writer.addInput(record(input, sha: sha), batch: encoded ?? [])
      items[index].seq = seq
      if let replacing { try writer.retire(replacing, status: "replaced", run: run, at: Date(), replacedBy: seq) }
    }
  }

  /// Notes the content now at each path that changed.
  func notePaths(writer: StoreWriter, run: String, at date: Date) throws {
    for (path, sha) in pathNotes { try writer.notePath(path, sha256: sha, run: run, at: date) }
  }

  /// The size of a file that can be opened for reading; nil otherwise.
  static func readableSize(of path: String) -> Int? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    return Int(info.st_size)
  }

  /// `path` made absolute against the current folder, `.` and `..` resolved.
  static func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
  }

  /// SHA-256 and size of each file, on `workers` threads; nil for a file that cannot be read.
  static func digests(of paths: [String], workers: Int) -> [(sha256: String, bytes: Int)?] {
    final class Shared: @unchecked Sendable {
      let lock = NSLock()
      var next = 0
      var results: [(sha256: String, bytes: Int)?]
      init(count: Int) { results = Array(repeating: nil, count: count) }
    }
    let shared = Shared(count: paths.count)
    DispatchQueue.concurrentPerform(iterations: max(1, min(workers, paths.count))) { _ in
      while true {
        shared.lock.lock()
        let index = shared.next
        shared.next += 1
        shared.lock.unlock()
        guard index < paths.count else { return }
        let digest = digest(of: paths[index])
        shared.lock.lock()
        shared.results[index] = digest
        shared.lock.unlock()
      }
    }
    return shared.results
  }

  static func digest(of path: String) -> (sha256: String, bytes: Int)? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    let hash = SHA256()
    let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
    defer { block.deallocate() }
    var total = 0
    while true {
      let got = read(descriptor, block.baseAddress, block.count)
      if got < 0 {
        if errno == EINTR { continue }
        return nil
      }
      if got == 0 { break }
      hash.update(UnsafeRawBufferPointer(rebasing: block[0..<got]))
      total += got
    }
    return (hash.hexDigest(), total)
  }
}

extension StorePlan.Item {
  /// What the ingestion merges for this item.
  func ingestionItem(store: Store, catalog: Catalog) -> IngestionItem {
    switch action {
    case .renormalize(_, let input, _):
      var item = IngestionItem(input: input, encode: true)
      item.path = path
      return item
    case .new(let input, _, _):
      return IngestionItem(input: input, encode: true)
    case .transient(let input):
      return IngestionItem(input: input)
    case .stored(let stored):
      let isStale = isStale
      return IngestionItem(path: stored.path, bytes: stored.bytes) {
        let bytes = try store.batch(of: stored.seq)
        let batch: NormalizedBatch
        do {
          batch = try bytes.withUnsafeBytes { raw throws(NormalizedBatch.DecodeError) in
            try NormalizedBatch.decode(raw, catalog: catalog)
          }
        } catch {
          throw RunError(
            message:
              "the store's batch of \(stored.path) (sha256 \(stored.sha256.prefix(12))) cannot be used: \(error); put the file back in the inbox, or `impact forget \(stored.path)`"
          )
        }
        var report =
          (try? JSONDecoder().decode(InputReport.self, from: Data(stored.report.utf8)))
          ?? InputReport(path: stored.path, format: stored.format, sha256: stored.sha256, bytes: stored.bytes)
        if isStale {
          report.warnings.append(
            "normalized by an earlier pipeline, catalog or tool version; its file is not among the inputs to read again"
          )
        }
        return (batch, report)
      }
    }
  }
}
