import Foundation
import ImpactAggregation
import ImpactModel
import ImpactNormalization
import ImpactReaders
import ImpactReports
import ImpactStore
import ImpactSupport
import Logging

/// The version written into every summary.
public enum ImpactVersion {
  public static let current = "0.1.0"
}

/// Runs a pipeline: ingests the inputs, checks the accounting, writes every report into
/// a new run folder and publishes it.
public struct PipelineRunner: Sendable {
  public let pipeline: PipelineDefinition
  public var workers = ProcessInfo.processInfo.activeProcessorCount
  /// Called after each phase of a run with its name and duration, for `--timings`.
  public var onPhase: (@Sendable (String, TimeInterval) -> Void)?
  /// Called after each input is merged, for a progress bar.
  public var onProgress: (@Sendable (IngestionProgress) -> Void)?
  /// Where the runner tells what it does (the store's decisions, publication, pruning).
  /// Warnings only unless the caller sets it up: the command line does, from its options.
  public var logger: Logger = {
    var logger = Logger(label: "impact")
    logger.logLevel = .warning
    return logger
  }()

  public init(pipeline: PipelineDefinition) { self.pipeline = pipeline }

  /// The inputs to read: those given, else the pipeline's own.
  public func discover(_ paths: [String]) throws(UsageError) -> InputDiscovery {
    let chosen = paths.isEmpty ? pipeline.inputs : paths
    guard !chosen.isEmpty || !pipeline.sources.isEmpty else {
      throw UsageError(message: "no inputs: name files or folders, or list them under 'inputs' in \(pipeline.path)")
    }
    let discovery = try InputDiscovery(paths: chosen, sources: pipeline.sources, includeSourceFiles: paths.isEmpty)
    guard !discovery.inputs.isEmpty else {
      let skipped = discovery.skipped.isEmpty ? "" : " (skipped: \(discovery.skipped.joined(separator: ", ")))"
      throw UsageError(message: "no input file to read in \(chosen.joined(separator: ", "))\(skipped)")
    }
    return discovery
  }

  /// Ingests exactly `inputs`, remembering nothing, and publishes; returns the published
  /// run's result and folder.
  public func run(inputs: InputDiscovery, outputDirectory: String? = nil) throws -> (RunResult, RunFolder) {
    try publishing(into: outputDirectory) { folder, started in
      try compute(
        items: inputs.inputs.map { IngestionItem(input: $0) }, skipped: inputs.skipped, into: folder, started: started)
    }
  }

  /// Makes a new run folder in `outputDirectory` (default: the pipeline's), lets `write`
  /// fill it, and publishes it; a failure or a stop asked for removes it unpublished.
  func publishing(
    into outputDirectory: String?, _ write: (RunFolder, Date) throws -> RunResult
  ) throws -> (RunResult, RunFolder) {
    let started = Date()
    let output = outputDirectory ?? pipeline.outputDirectory
    var runID = RunFolder.makeRunID(at: started)
    while FileManager.default.fileExists(atPath: output + "/" + runID) { runID = RunFolder.makeRunID(at: started) }
    let folder = try RunFolder(outputDirectory: output, runID: runID)
    do {
      let result = try write(folder, started)
      try RunCancellation.check()
      try folder.publish()
      return (result, folder)
    } catch {
      folder.discard()
      throw error
    }
  }

  /// Merges `items` in order and writes every report into `folder`'s working path,
  /// without publishing it. `onBatch` sees each merged batch (see `Ingestion`).
  func compute(
    items: [IngestionItem], skipped: [String], into folder: RunFolder, started: Date, delta: RunDelta? = nil,
    onBatch: ((Int, NormalizedBatch, InputReport, [UInt8]?) throws -> Void)? = nil,
    adjust: ((inout [InputReport]) -> Void)? = nil
  ) throws -> RunResult {
    var phaseStart = started
    func phase(_ name: String) throws {
      let now = Date()
      onPhase?(name, now.timeIntervalSince(phaseStart))
      phaseStart = now
      try RunCancellation.check()
    }
    let rejects = RejectsPipe(writer: try RejectsCSVWriter(path: folder.path(of: "rejects.csv")))
    defer { rejects.stop() }
    var progress = IngestionProgress(
      files: 0, filesTotal: items.count, bytes: 0,
      bytesTotal: items.reduce(0) { $0 + ($1.bytes ?? Ingestion.fileSize($1.path)) }, observations: 0)
    let onProgress = self.onProgress
    onProgress?(progress)
    let onMerged = { (index: Int, read: Int, bytes: Int) in
      progress.files += 1
      progress.bytes += items[index].bytes ?? bytes
      progress.observations += read
      onProgress?(progress)
    }
    let indicatorIDs = pipeline.catalog.indicators.map(\.id)
    let ingestion = try Ingestion(catalog: pipeline.catalog, workers: workers).run(
      items: items, onBatch: onBatch, onMerged: onMerged,
      onSuperseded: { try rejects.add($0, indicatorIDs: indicatorIDs) }, onReject: { try rejects.add($0) })
    try rejects.flush()
    HeapPolicy.releaseFreeMemory()
    try phase("read, validate and merge \(items.count) input(s)")
    guard ingestion.counts.balances else {
      let counts = ingestion.counts
      throw RunError(
        message:
          "accounting error: read \(counts.read) ≠ accepted \(counts.accepted) + rejected \(counts.rejected) + superseded \(counts.superseded)"
      )
    }
    // Reports that need only the ledger are written on another thread while this one
    // aggregates, and on this one too once the other reports are written.
    let ledgerReports = Reports.all.compactMap { $0 as? any LedgerReport }
    let writers = try ledgerReports.map { try $0.writer(ledger: ingestion.ledger, to: folder.path(of: $0.fileName)) }
    let background = BackgroundWork()
    for writer in writers { background.start { writer.work() } }
    let aggregator = try aggregate(ingestion.ledger)
    // The rejects thread drains what the last input left while the records are aggregated;
    // the file is then closed on another thread (its wait for the disk, behind records.csv's
    // writes, is no report's).
    let tally = try rejects.finish()
    background.start { try rejects.close() }
    var inputs = ingestion.inputs
    adjust?(&inputs)
    var result = RunResult(
      runID: folder.runID, toolVersion: ImpactVersion.current, pipelinePath: pipeline.path,
      catalogPath: pipeline.catalogPath, startedAt: started, finishedAt: Date(), counts: ingestion.counts,
      rejections: ingestion.rejections, inputs: inputs, skipped: skipped, ledger: ingestion.ledger,
      rows: try rows(of: aggregator), transitions: aggregator.transitionTotals())
    result.transitionYears = aggregator.transitionYears()
    result.rejectsTally = tally
    if var delta {
      for input in inputs where input.isNew {
        delta.newCounts.read += input.read
        delta.newCounts.accepted += input.accepted
        delta.newCounts.rejected += input.rejected
        delta.newCounts.superseded += input.superseded
      }
      result.delta = delta
    }
    try phase("aggregate")
    let summary = SummaryJSONReport()
    for report in Reports.all where report.fileName != summary.fileName && !(report is any LedgerReport) {
      try report.write(result, to: folder.path(of: report.fileName))
      try phase("write \(report.fileName)")
    }
    for writer in writers { writer.work() }
    try background.wait()
    for writer in writers { try writer.finish() }
    try phase("finish " + (ledgerReports.map(\.fileName) + ["rejects.csv"]).joined(separator: ", "))
    // The summary goes last so that its end time covers every report.
    result.finishedAt = Date()
    try summary.write(result, to: folder.path(of: summary.fileName))
    try phase("write summary.json")
    return result
  }

  /// The aggregation of the ledger's records, in a part of the partners per aggregation
  /// thread (see `aggregationThreads`), combined: one core is left to `records.csv`, whose
  /// writer runs meanwhile (measured on two cores and 2M rows: one aggregating thread beside
  /// the writer ends sooner than two, which the writer's third thread slows).
  private func aggregate(_ ledger: Ledger) throws -> GroupingSetAggregator {
    var aggregator = GroupingSetAggregator(ledger: ledger)
    let parts = ledger.records.count >= 1 << 16 ? aggregationThreads : 1
    guard parts > 1 else {
      aggregator.addAll()
      return aggregator
    }
    let others = (1..<parts).map { _ in UncheckedCell(GroupingSetAggregator(ledger: ledger)) }
    let work = BackgroundWork()
    for (index, other) in others.enumerated() { work.start { other.value.addAll(partners: index + 1, of: parts) } }
    aggregator.addAll(partners: 0, of: parts)
    try work.wait()
    for other in others { aggregator.absorb(other.value) }
    return aggregator
  }

  /// Threads for the aggregation and its roll-ups: one core is left to `records.csv`, and
  /// more workers than cores add none (each part holds bit sets as large as the responses).
  private var aggregationThreads: Int {
    max(1, min(workers, ProcessInfo.processInfo.activeProcessorCount) - 1)
  }

  /// The rows of every grouping set; with more than one aggregation thread, the later
  /// groupings are rolled up on another.
  private func rows(of aggregator: GroupingSetAggregator) throws -> [AggregateRow] {
    guard aggregationThreads > 1 else { return aggregator.rows() }
    let groupings = Grouping.allCases
    let half = groupings.count / 2
    let later = UncheckedCell([AggregateRow]())
    let source = UncheckedBox(aggregator)
    let work = BackgroundWork()
    work.start { later.value = source.value.rows(of: Array(groupings[half...])) }
    let rows = aggregator.rows(of: Array(groupings[..<half]))
    try work.wait()
    return rows + later.value
  }

  /// The definition checks that need the inputs: a mapped column or path that none of a
  /// source's files has is a mistake in the pipeline, not in the files. Every problem is
  /// collected.
  public func checkSources(inputs: InputDiscovery) -> [Problem] {
    var problems: [Problem] = []
    for source in pipeline.sources {
      let files = inputs.inputs.filter { $0.source?.name == source.name }.map(\.path)
      guard !files.isEmpty, let format = InputFormats.all.first(where: { $0.id == source.format }) else { continue }
      let mapper = RecordMapper(source: source, builder: BatchBuilder(catalog: pipeline.catalog), path: files[0])
      var missingEverywhere = Set(mapper.requestedFields.filter(\.required).map(\.reference))
      for file in files where !missingEverywhere.isEmpty {
        let outcome = format.read(
          path: file, options: source.options, fields: mapper.requestedFields, into: DiscardingRecordSink())
        if outcome.problem != nil && outcome.missingFields.isEmpty && outcome.columns.isEmpty {
          continue  // unreadable: reported with the inputs
        }
        missingEverywhere.formIntersection(outcome.missingFields)
      }
      for reference in mapper.requestedFields.map(\.reference) where missingEverywhere.contains(reference) {
        problems.append(
          Problem(
            code: "unknown_field",
            message: "source '\(source.name)' maps \(reference), which none of its \(files.count) file(s) has",
            position: SourcePosition(file: pipeline.path, line: 0, field: reference.label)))
      }
    }
    return problems
  }

  /// Validates one file as a run would read it: with the source whose glob matches it,
  /// else as canonical input.
  public func validate(file path: String, onReject: (RejectEvent) -> Void) throws -> IngestionResult {
    let input = Input(path: path, source: InputDiscovery.source(of: path, in: pipeline.sources))
    return try Ingestion(catalog: pipeline.catalog, workers: 1).run(inputs: [input]) { onReject($0) }
  }

  /// Ingests without writing anything; `onReject` sees each rejected or superseded
  /// observation in input order.
  public func validate(inputs: InputDiscovery, onReject: (RejectEvent) -> Void) throws -> IngestionResult {
    try Ingestion(catalog: pipeline.catalog, workers: workers).run(inputs: inputs.inputs) { onReject($0) }
  }
}

/// How far the merge of a run's inputs got.
public struct IngestionProgress: Sendable {
  public var files: Int
  public var filesTotal: Int
  public var bytes: Int
  public var bytesTotal: Int
  public var observations: Int
}
