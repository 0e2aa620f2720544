import Foundation
import ImpactAggregation
import ImpactModel
import ImpactNormalization
import ImpactReaders
import ImpactReports
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A rejected or superseded observation, as the ingestion reports it.
public struct RejectEvent: Sendable {
  public var file: String
  public var line: Int
  public var partner: String
  public var response: String
  public var indicator: String
  public var field: String
  public var value: String
  public var reason: RejectReason
  public var message: String
}

/// A record of the ledger that a later observation superseded, with what its row of
/// `rejects.csv` says, taken from the ledger when the record is superseded.
///
/// Taken then, not when the row is written: the record and its ids were just read by the
/// merge, while the rows of a file merged in parts wait for the whole file, when they are
/// long out of the cache (a miss each, a microsecond a row).
public struct SupersededRecord {
  public let record: LedgerRecord
  /// The file the record came from, and that of the observation that replaced it.
  public let file: String
  public let replacingFile: String
  public let partner: String
  public let response: String
  public let by: Supersession

  init(ledger: Ledger, index: Int32, by: Supersession) {
    record = ledger.records[Int(index)]
    file = ledger.files[Int(ledger.file(ofRecord: Int(index)))]
    replacingFile = ledger.files[Int(by.file)]
    partner = ledger.partnerID(record.partner)
    response = ledger.responseID(record.response)
    self.by = by
  }

  /// Appends the row's message: what replaced the record, and where.
  public func appendMessage(to bytes: inout [UInt8]) {
    if let editedBy = by.editedBy {
      bytes += "replaced by the edited submission ".utf8
      bytes += editedBy.utf8
      bytes += " at ".utf8
    } else {
      bytes += "replaced by the later submission at ".utf8
    }
    if replacingFile != file {
      bytes += replacingFile.utf8
      bytes.append(UInt8(ascii: " "))
    }
    bytes += "line ".utf8
    bytes += String(by.line).utf8
    bytes +=
      by.editedBy == nil
      ? " (the last submission of a response and indicator wins)".utf8 : ", which replaces this whole response".utf8
  }

  /// The row as an event. `indicatorIDs` are the catalog's ids, read once: reaching one
  /// through the catalog copies its whole entry.
  public func event(indicatorIDs: [String]) -> RejectEvent {
    var message: [UInt8] = []
    appendMessage(to: &message)
    return RejectEvent(
      file: file, line: Int(record.line), partner: partner, response: response,
      indicator: indicatorIDs[Int(record.indicator)], field: "", value: record.value.description,
      reason: .superseded, message: String(decoding: message, as: UTF8.self))
  }
}

/// What reading, normalizing and merging every input produced.
public struct IngestionResult {
  public let ledger: Ledger
  public let inputs: [InputReport]
  public let counts: Counts
  public let rejections: [RejectReason: Int]
}

/// Reads the inputs on worker threads, one file at a time each, and merges their batches
/// into the ledger strictly in input order, so results do not depend on thread timing.
///
/// At most `window` finished batches wait to be merged, which bounds memory whatever the
/// number of files.
public struct Ingestion {
  public let catalog: Catalog
  public let workers: Int

  public init(catalog: Catalog, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
    self.catalog = catalog
    self.workers = max(1, workers)
  }

  /// Ingests canonical `files` (see `run(inputs:onReject:)`).
  public func run(files: [String], onReject: (RejectEvent) throws -> Void) throws -> IngestionResult {
    try run(inputs: files.map { Input(path: $0, source: nil) }, onReject: onReject)
  }

  /// Ingests `inputs`; `onReject` sees every rejected and superseded observation in input
  /// order. Only an error thrown by `onReject` (a report that cannot be written) stops it.
  public func run(inputs sources: [Input], onReject: (RejectEvent) throws -> Void) throws -> IngestionResult {
    try run(items: sources.map { IngestionItem(input: $0) }, onReject: onReject)
  }

  /// Ingests `items`: files are read and normalized, stored batches decoded, on worker
  /// threads; they are merged in the order given. `onBatch` sees each batch once merged,
  /// with its input's report as read (before this run's counts and warnings) and its
  /// encoding when the item asked for one (a file read in parts is then copied into one
  /// batch: pass it only when needed); `onMerged` each input's index, observations and bytes
  /// read once merged; `onReject` every rejected and superseded observation in order, the
  /// superseded ones going to `onSuperseded` instead when it is given (as the ledger holds
  /// them, to be read before the merge goes on). An error from `onBatch`, `onReject` or
  /// `onSuperseded`, a stored batch that cannot be decoded, or a cancellation stops the
  /// ingestion.
  public func run(
    items: [IngestionItem], onBatch: ((Int, NormalizedBatch, InputReport, [UInt8]?) throws -> Void)? = nil,
    onMerged: ((_ index: Int, _ read: Int, _ bytes: Int) -> Void)? = nil,
    onSuperseded: ((SupersededRecord) throws -> Void)? = nil, onReject: (RejectEvent) throws -> Void
  ) throws -> IngestionResult {
    let files = items.map(\.path)
    let ledger = Ledger(catalog: catalog)
    let sizes = items.map { $0.bytes ?? Self.fileSize($0.path) }
    var inputs: [InputReport] = []
    var rejections: [RejectReason: Int] = [:]
    var counts = Counts()
    let queue = BatchQueue(count: files.count, window: workers * 2)
    let indicatorIDs = catalog.indicators.map(\.id)
    let catalog = self.catalog
    let threads = min(workers, files.count)
    // Fewer files than cores: a large file is read in parts, on the idle cores.
    let parts = files.count < workers ? workers / max(1, files.count) : 1
    // A file passes its parts (or, read in one piece, chunks of its batch) on as they are
    // read, to be merged while the rest are read, unless its batch is wanted whole
    // (`onBatch`, the store, a shard).
    let passesParts = onBatch == nil
    let pool = BatchPool(chunkSize: BatchBuilder.defaultChunkSize)
    for _ in 0..<threads {
      Thread.detachNewThread {
        while let index = queue.claim() {
          let item = items[index]
          let passOn: PassOn? =
            passesParts && item.input != nil && !item.encode && item.shard == nil
            ? ({ queue.deliverPart(index, $0) }, { queue.deliverDiscard(index) }) : nil
          queue.deliver(
            index,
            Self.prepare(item, catalog: catalog, size: sizes[index], parts: parts, passOn: passOn, pool: pool))
        }
      }
    }
    // Sized once the workers are reading: clearing the tables for millions of records
    // took a hundredth of a second that nothing else ran beside.
    ledger.reserve(records: sizes.reduce(0, +) / Self.bytesPerRecordEstimate)
    var failure: Error?
    var firstWithDigest: [String: String] = [:]
    for index in files.indices {
      // The parts a file passed on before it was read whole are merged at once, their
      // rejects and the observations they supersede held back until the file is done.
      var early: EarlyParts?
      var file: Int32?
      var prepared: PreparedBatch
      events: while true {
        switch queue.take(index) {
        case .part(let batch):
          guard failure == nil else { continue }
          do {
            try RunCancellation.check()
            let fileID = file ?? ledger.addFile(files[index])
            file = fileID
            if early == nil { early = EarlyParts(checkpoint: ledger.checkpoint()) }
            early!.read += batch.readCount
            early!.rejects.append(batch.rejects)
            ledger.append(batch, file: fileID) {
              early!.superseded.append(SupersededRecord(ledger: ledger, index: $0, by: $1))
            }
            pool.give(batch)
          } catch {
            failure = error
          }
        case .discard:
          if let checkpoint = early?.checkpoint { ledger.rollback(to: checkpoint) }
          early = nil
        case .done(let done):
          prepared = done
          break events
        }
      }
      guard failure == nil else { continue }
      do {
        try RunCancellation.check()
        guard !prepared.batches.isEmpty else {
          throw prepared.error ?? RunError(message: "no batch for \(files[index])")
        }
        let file = file ?? ledger.addFile(files[index])
        var report = prepared.report
        if !report.sha256.isEmpty {
          if let earlier = firstWithDigest[report.sha256] {
            report.warnings.append("same content as \(earlier): its observations replace that file's")
          } else {
            firstWithDigest[report.sha256] = files[index]
          }
        }
        let earlyRejects = early?.rejects ?? []
        report.read = prepared.batches.reduce(early?.read ?? 0) { $0 + $1.readCount }
        report.rejected = (earlyRejects + prepared.batches.map(\.rejects)).reduce(0) { $0 + $1.count }
        counts.read += report.read
        counts.rejected += report.rejected
        // A file read in parts comes as the parts' batches, merged one after the other;
        // the file's rejects come first, as from one batch.
        for reject in (earlyRejects + prepared.batches.map(\.rejects)).lazy.joined() {
          rejections[reject.reason, default: 0] += 1
          report.rejections[reject.reason, default: 0] += 1
          try onReject(
            RejectEvent(
              file: files[index], line: reject.line, partner: reject.partner, response: reject.response,
              indicator: reject.indicator, field: reject.field, value: reject.value, reason: reject.reason,
              message: reject.message))
        }
        if let early {
          ledger.commit()
          for superseded in early.superseded {
            try pass(superseded, onSuperseded: onSuperseded, onReject: onReject, indicatorIDs: indicatorIDs)
          }
        }
        for part in prepared.batches.indices {
          let batch = prepared.batches[part]
          // Merged, a part's batch is not needed again unless `onBatch` wants the file whole:
          // a large file read in parts then never holds all its batches and the full ledger.
          if onBatch == nil { prepared.batches[part] = NormalizedBatch() }
          var writeError: Error?
          ledger.append(batch, file: file) { old, by in
            guard writeError == nil else { return }
            do {
              try pass(
                SupersededRecord(ledger: ledger, index: old, by: by), onSuperseded: onSuperseded, onReject: onReject,
                indicatorIDs: indicatorIDs)
            } catch {
              writeError = error
            }
          }
          if let writeError { throw writeError }
        }
        if let onBatch {
          try onBatch(index, prepared.joined, prepared.report, prepared.encoded)
        }
        onMerged?(index, report.read, report.bytes)
        inputs.append(report)
      } catch {
        failure = error
      }
    }
    queue.finish()
    if let failure { throw failure }
    for index in inputs.indices {
      inputs[index].accepted = ledger.recordsPerFile[index] - ledger.supersededPerFile[index]
      inputs[index].superseded = ledger.supersededPerFile[index]
    }
    counts.accepted = ledger.acceptedCount
    counts.superseded = ledger.supersededCount
    return IngestionResult(ledger: ledger, inputs: inputs, counts: counts, rejections: rejections)
  }

  /// One item made ready on a worker thread.
  static func prepare(
    _ item: IngestionItem, catalog: Catalog, size: Int, parts: Int = 1, passOn: PassOn? = nil, pool: BatchPool? = nil
  ) -> PreparedBatch {
    if let load = item.stored {
      do {
        let (batch, report) = try load()
        return PreparedBatch(batches: [batch], report: report, encoded: nil, error: nil)
      } catch {
        return PreparedBatch(
          batches: [], report: InputReport(path: item.path, format: "", sha256: "", bytes: 0), encoded: nil,
          error: error)
      }
    }
    let (batches, report) = read(item.input!, catalog: catalog, size: size, parts: parts, passOn: passOn, pool: pool)
    if let shard = item.shard {
      let slice = PreparedBatch.join(batches).slice(keeping: shard)
      return PreparedBatch(batches: [slice.batch], report: report, encoded: slice.encoded(catalog: catalog), error: nil)
    }
    guard item.encode else { return PreparedBatch(batches: batches, report: report, encoded: nil, error: nil) }
    let batch = PreparedBatch.join(batches)
    return PreparedBatch(batches: [batch], report: report, encoded: batch.encoded(catalog: catalog), error: nil)
  }

  /// Sends a superseded record on: to `onSuperseded` when there is one, else to
  /// `onReject` as an event.
  private func pass(
    _ superseded: SupersededRecord, onSuperseded: ((SupersededRecord) throws -> Void)?,
    onReject: (RejectEvent) throws -> Void, indicatorIDs: [String]
  ) throws {
    if let onSuperseded {
      try onSuperseded(superseded)
    } else {
      try onReject(superseded.event(indicatorIDs: indicatorIDs))
    }
  }

  /// About the smallest a canonical CSV row gets; XML values take more. Used only to size
  /// tables up front.
  static let bytesPerRecordEstimate = 64

  static func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
  }

  /// Reads and normalizes a file of a mapped source, in parts where its format can; never
  /// throws (problems are in the report).
  static func readMapped(path: String, source: SourceDefinition, builder: BatchBuilder) -> (
    [NormalizedBatch], InputReport
  ) {
    guard let format = InputFormats.all.first(where: { $0.id == source.format }) else {
      var report = InputReport(path: path, format: source.format, sha256: "", bytes: 0)
      report.problem = "no input format '\(source.format)'"
      return ([builder.batch], report)
    }
    var builder = builder
    var outcome = ReadOutcome()
    for attempt in 0..<2 {
      let mapper = RecordMapper(source: source, builder: builder, path: path)
      outcome = format.read(path: path, options: source.options, fields: mapper.requestedFields, into: mapper)
      guard attempt == 0, let again = readAgainWhole(builder, outcome) else { break }
      builder = again
    }
    var report = report(path: path, format: format, outcome: outcome, builder: builder)
    report.source = source.name
    return (builder.batches, report)
  }

  /// A builder to read the file again into, in one piece, when it is refused whole after
  /// `builder` passed parts of it on: they are discarded, and its rejects need every row.
  private static func readAgainWhole(_ builder: BatchBuilder, _ outcome: ReadOutcome) -> BatchBuilder? {
    guard outcome.problem != nil, builder.passedOn > 0 else { return nil }
    builder.discardAbsorbed()
    let again = BatchBuilder(
      catalog: builder.catalog, territoryTable: builder.territoryTable, expectedRecords: builder.batch.records.capacity)
    again.canDiscardAll = false
    return again
  }

  /// The input's report from what its reader saw; a file with a problem is refused whole.
  static func report(path: String, format: any InputFormat, outcome: ReadOutcome, builder: BatchBuilder)
    -> InputReport
  {
    var report = InputReport(path: path, format: format.id, sha256: outcome.sha256, bytes: outcome.byteCount)
    report.warnings = outcome.warnings
    report.detected = outcome.detected
    report.unmapped = outcome.unmapped
    if let problem = outcome.problem {
      builder.rejectWholeFile(because: problem.description)
      report.problem = problem.message
      report.problemLine = problem.line
      report.problemPath = problem.path
    }
    return report
  }

  /// Reads and normalizes one file, in `parts` parts at once where its format can.
  static func read(
    _ input: Input, catalog: Catalog, size: Int, parts: Int = 1, passOn: PassOn? = nil, pool: BatchPool? = nil
  ) -> (
    [NormalizedBatch], InputReport
  ) {
    let path = input.path
    var builder = BatchBuilder(catalog: catalog, expectedRecords: size / bytesPerRecordEstimate)
    builder.parallelParts = parts
    builder.passOn = passOn
    builder.pool = pool
    if let source = input.source { return readMapped(path: path, source: source, builder: builder) }
    var prefix = [UInt8](repeating: 0, count: 512)
    var got = 0
    if let handle = FileHandle(forReadingAtPath: path) {
      let data = handle.readData(ofLength: 512)
      got = data.count
      prefix.replaceSubrange(0..<got, with: data)
      try? handle.close()
    }
    let format = prefix.withUnsafeBytes {
      InputFormats.format(forPath: path, prefix: UnsafeRawBufferPointer(rebasing: $0[0..<got]))
    }
    guard let format else {
      var report = InputReport(path: path, format: "unknown", sha256: "", bytes: 0)
      report.problem = "no input format recognises this file (expected .csv, .tsv, .txt or .xml)"
      return ([builder.batch], report)
    }
    var outcome = format.read(path: path, into: builder)
    if let again = readAgainWhole(builder, outcome) {
      builder = again
      outcome = format.read(path: path, into: builder)
    }
    let report = report(path: path, format: format, outcome: outcome, builder: builder)
    return (builder.batches, report)
  }
}

/// What to merge: a file to read, or a batch the store kept.
public struct IngestionItem: @unchecked Sendable {
  /// The path the ledger and the reports name.
  public var path: String
  /// The file to read and normalize; nil for a stored batch.
  public var input: Input?
  /// Loads a stored batch and its input's report; nil for a file.
  public var stored: (@Sendable () throws -> (NormalizedBatch, InputReport))?
  /// Whether to encode the batch for the store once read.
  public var encode = false
  /// For a shard run: keep only this shard's partners, and encode the slice.
  public var shard: Shard?
  /// The input's size when known, to size the tables.
  public var bytes: Int?

  public init(input: Input, encode: Bool = false) {
    path = input.path
    self.input = input
    self.encode = encode
  }

  public init(path: String, bytes: Int, stored: @escaping @Sendable () throws -> (NormalizedBatch, InputReport)) {
    self.path = path
    self.bytes = bytes
    self.stored = stored
  }
}

/// An input's batch made ready by a worker (its parts' batches, for a file read in parts
/// that nothing needs in one batch), or why it could not be.
struct PreparedBatch: @unchecked Sendable {
  var batches: [NormalizedBatch]
  var report: InputReport
  var encoded: [UInt8]?
  var error: Error?

  /// The input in one batch.
  var joined: NormalizedBatch { Self.join(batches) }

  /// `batches` copied into the first.
  static func join(_ batches: [NormalizedBatch]) -> NormalizedBatch {
    for part in batches.dropFirst() { batches[0].append(part) }
    return batches[0]
  }
}

/// Where a worker passes on the parts of a file it reads in parts (see
/// `BatchBuilder.passOn`).
typealias PassOn = (part: (NormalizedBatch) -> Void, discard: () -> Void)

/// What a file's early parts did to the ledger, until the file is done.
struct EarlyParts {
  let checkpoint: Ledger.Checkpoint
  var read = 0
  var rejects: [[BatchReject]] = []
  var superseded: [SupersededRecord] = []
}

/// What a worker hands the merger for a file: parts passed on while it is read, the
/// word to forget them, and last the prepared batch.
enum PreparedEvent {
  case part(NormalizedBatch)
  case discard
  case done(PreparedBatch)
}

/// Hands file indexes to workers and their batches back to the merger, in order.
final class BatchQueue: @unchecked Sendable {
  private let condition = NSCondition()
  private var events: [[PreparedEvent]]
  private var nextToClaim = 0
  private var nextToMerge = 0
  private var cancelled = false
  private let window: Int

  init(count: Int, window: Int) {
    events = Array(repeating: [], count: count)
    self.window = window
  }

  /// The next file to read, once fewer than `window` batches wait; nil when done.
  func claim() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while !cancelled && nextToClaim < events.count && nextToClaim - nextToMerge >= window { condition.wait() }
    guard !cancelled, nextToClaim < events.count else { return nil }
    nextToClaim += 1
    return nextToClaim - 1
  }

  func deliver(_ index: Int, _ result: PreparedBatch) { add(index, .done(result)) }

  func deliverPart(_ index: Int, _ batch: NormalizedBatch) { add(index, .part(batch)) }

  func deliverDiscard(_ index: Int) { add(index, .discard) }

  private func add(_ index: Int, _ event: PreparedEvent) {
    condition.lock()
    events[index].append(event)
    condition.broadcast()
    condition.unlock()
  }

  /// Waits for the next event of file `index` and removes it from the queue; after the
  /// last (`done`), the next file may be claimed.
  func take(_ index: Int) -> PreparedEvent {
    condition.lock()
    defer { condition.unlock() }
    while events[index].isEmpty { condition.wait() }
    let event = events[index].removeFirst()
    if case .done = event {
      nextToMerge = index + 1
      condition.broadcast()
    }
    return event
  }

  /// Lets idle workers exit.
  func finish() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }
}
