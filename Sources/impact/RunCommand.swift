import ArgumentParser
import Foundation
import ImpactModel
import ImpactPipeline
import ImpactReports
import ImpactStore
import ImpactSupport
import Logging

/// Where the run folders and the store are, for the commands that use them.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp("Where run folders go (default: the pipeline's output).", valueName: "dir"))
  var output: String?

  @Option(
    name: .long,
    help: ArgumentHelp("The store (default: impact-store.sqlite in the output folder).", valueName: "file"))
  var store: String?

  @Flag(name: .long, help: "Wait for a run that holds the store instead of exiting with code 3.")
  var wait = false

  func outputDirectory(_ runner: PipelineRunner) -> String { output ?? runner.pipeline.outputDirectory }

  func settings(_ runner: PipelineRunner) -> StoreSettings {
    StoreSettings(path: store ?? StoreSettings.defaultPath(outputDirectory: outputDirectory(runner)), wait: wait)
  }
}

/// How a long command talks: logs, progress bar, metrics.
struct ConsoleOptions: ParsableArguments {
  @Flag(name: .long, help: "No progress bar and only warnings and errors in the log.")
  var quiet = false

  @Option(name: .long, help: "Log lines as text (human) or one JSON object per line (json).")
  var logFormat: LogFormat = .human

  @Option(name: .long, help: "The least severe log level shown: trace, debug, info, notice, warning, error.")
  var logLevel: String?

  @Option(
    name: .long,
    help: ArgumentHelp("Write the run's metrics in Prometheus text format to this file.", valueName: "file"))
  var metrics: String?

  @Flag(name: .long, help: "Print how long each phase took, on standard error.")
  var timings = false

  /// Sets up logging, signals and the progress bar for `runner`; returns the bar, if any.
  func prepare(_ runner: inout PipelineRunner) throws -> ProgressBar? {
    let level: Logger.Level
    if let logLevel {
      guard let parsed = Logger.Level(rawValue: logLevel) else {
        throw UsageError(message: "--log-level must be one of trace, debug, info, notice, warning, error, critical")
      }
      level = parsed
    } else {
      level = quiet ? .warning : .info
    }
    ImpactLogHandler.bootstrap(format: logFormat, level: level)
    var logger = Logger(label: "impact")
    logger.logLevel = level
    runner.logger = logger
    SignalHandling.install(logger: logger)
    let bar = (!quiet && logFormat == .human && ProgressBar.isTerminal) ? ProgressBar() : nil
    let timings = self.timings
    if let bar { runner.onProgress = { bar.update($0) } }
    runner.onPhase = { name, seconds in
      bar?.phase(name)
      if timings {
        bar?.clear()
        FileHandle.standardError.write(Data(String(format: "%8.3f s  %@\n", seconds, name).utf8))
      }
    }
    return bar
  }
}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Ingest what is new and publish a new run folder of reports over everything in the store.",
    discussion: """
      Writes DIR/<run-id>/ with summary.json, aggregates.csv, records.csv, rejects.csv, trends.csv and \
      report.html, then points DIR/latest at it. A failed run publishes nothing. With the store (the default), \
      files already ingested are not read again, and when nothing changed since the published run, nothing is \
      published: latest stays. --no-store reads exactly the inputs given and remembers nothing.
      """
  )

  @OptionGroup var options: PipelineOptions
  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var console: ConsoleOptions

  @Flag(name: .long, help: "Read exactly the inputs given and remember nothing (no store).")
  var noStore = false

  @Option(name: .long, help: ArgumentHelp("Keep only the N newest run folders.", valueName: "n"))
  var keep: Int?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Process only the partners of shard K of N (no store); `impact merge` combines the N run folders.",
      valueName: "K/N"))
  var shard: String?

  @Argument(help: "Input files or folders (default: the pipeline's inputs).")
  var inputs: [String] = []

  func run() throws {
    var runner = try options.load()
    if let keep, keep < 1 { throw UsageError(message: "--keep must be at least 1") }
    if let shard, Shard(parsing: shard) == nil {
      throw UsageError(message: "--shard takes K/N with 1 <= K <= N, for example 2/4; got \(shard)")
    }
    if shard != nil, storeOptions.store != nil {
      throw UsageError(message: "--shard runs keep no store: drop --store, and merge the shards' folders")
    }
    let bar = try console.prepare(&runner)
    var metrics = RunMetrics(pipeline: runner.pipeline.path, startedAt: Date())
    defer { bar?.stop() }
    do {
      try execute(runner, bar: bar, metrics: &metrics)
    } catch {
      bar?.clear()
      metrics.finishedAt = Date()
      metrics.exitCode = Self.exitCode(of: error)
      metrics.status =
        error is RunInterrupted ? "interrupted" : error is StoreLock.Busy ? "locked" : "failed"
      writeMetrics(metrics, runner: runner)
      if let error = error as? StoreError { throw RunError(message: error.message) }
      throw error
    }
    writeMetrics(metrics, runner: runner)
  }

  private func execute(_ runner: PipelineRunner, bar: ProgressBar?, metrics: inout RunMetrics) throws {
    let output = storeOptions.outputDirectory(runner)
    if let text = shard, let shard = Shard(parsing: text) {
      let discovery = try runner.discover(inputs)
      warnAboutSkipped(discovery, logger: runner.logger)
      let (result, folder) = try runner.run(inputs: discovery, outputDirectory: output, shard: shard)
      bar?.clear()
      print("shard \(shard) of the partners:")
      describe(result, folder: folder, inputCount: discovery.files.count)
      metrics.record(result, status: "published")
      return
    }
    if noStore {
      let discovery = try runner.discover(inputs)
      warnAboutSkipped(discovery, logger: runner.logger)
      let (result, folder) = try runner.run(inputs: discovery, outputDirectory: output)
      if let keep { RunFolder.prune(outputDirectory: output, keep: keep) }
      bar?.clear()
      describe(result, folder: folder, inputCount: discovery.files.count)
      metrics.record(result, status: "published")
      return
    }
    let settings = storeOptions.settings(runner)
    // With a store, an inbox with no file in it is not an error: the store may hold inputs.
    var discovery = InputDiscovery.empty
    do {
      discovery = try runner.discover(inputs)
    } catch {
      guard FileManager.default.fileExists(atPath: settings.path) else { throw error }
      runner.logger.warning("\(error.message); reporting on the store alone")
    }
    warnAboutSkipped(discovery, logger: runner.logger)
    let outcome = try runner.run(discovery: discovery, outputDirectory: output, store: settings, keep: keep)
    bar?.clear()
    switch outcome {
    case .published(let result, let folder):
      describe(result, folder: folder, inputCount: result.inputs.count)
      metrics.record(result, status: "published")
    case .unchanged(let runID, let current, let folder, let inputs):
      print("run \(runID): nothing new in \(inputs) input(s); the reports of run \(current) stay published")
      print("reports: \(folder)/ (latest: \(output)/latest)")
      metrics.success = true
      metrics.exitCode = 0
      metrics.status = "unchanged"
      metrics.inputs = ["unchanged": inputs]
      metrics.finishedAt = Date()
    }
  }

  private func describe(_ result: RunResult, folder: RunFolder, inputCount: Int) {
    let counts = result.counts
    print(
      "run \(result.runID): \(inputCount) input(s), read \(counts.read), accepted \(counts.accepted), rejected \(counts.rejected), superseded \(counts.superseded)"
    )
    if let delta = result.delta {
      let new = delta.newCounts
      print(
        "  new since the last published run: \(delta.new.count) input(s), read \(new.read), accepted \(new.accepted), rejected \(new.rejected), superseded \(new.superseded); \(delta.unchanged) unchanged"
          + (delta.copies.isEmpty
            ? "" : "; identical copies of another input, read once: " + delta.copies.joined(separator: "; "))
      )
      for path in delta.replaced { print("  replaced: \(path) (a new content at the same path)") }
      for path in delta.forgotten { print("  passed over: \(path) (forgotten)") }
    }
    for input in result.inputs where input.problem != nil {
      print("  malformed: \(input.path)\(input.problemLine > 0 ? ":\(input.problemLine)" : ""): \(input.problem!)")
    }
    print("reports: \(folder.publishedPath)/ (latest: \(folder.latestPath))")
  }

  /// Writes the metrics file, if asked for, with what the store says of the last
  /// successful run; a metrics file that cannot be written is a warning, not a failure:
  /// the run itself went as reported.
  private func writeMetrics(_ metrics: RunMetrics, runner: PipelineRunner) {
    guard let path = console.metrics else { return }
    var metrics = metrics
    if !noStore, shard == nil { metrics.addHistory(storePath: storeOptions.settings(runner).path) }
    do {
      try metrics.write(to: path)
    } catch {
      runner.logger.warning("\(error)")
    }
  }

  static func exitCode(of error: Error) -> Int32 {
    switch error {
    case let interrupted as RunInterrupted: 128 + interrupted.signal
    case is StoreLock.Busy: 3
    case is UsageError, is DefinitionError: 2
    default: 1
    }
  }
}

extension RunMetrics {
  mutating func record(_ result: RunResult, status: String) {
    success = true
    exitCode = 0
    self.status = status
    finishedAt = Date()
    counts = result.counts
    newCounts = result.delta?.newCounts
    bytesRead = result.inputs.filter { result.delta == nil || $0.isNew }.reduce(0) { $0 + $1.bytes }
    if let delta = result.delta {
      inputs = [
        "stored": delta.storedInputs, "new": delta.new.count, "unchanged": delta.unchanged,
        "replaced": delta.replaced.count, "forgotten": delta.forgotten.count,
      ]
    } else {
      inputs = ["read": result.inputs.count]
    }
  }
}

struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the run folders of every shard of a sharded run into one run's reports.",
    discussion: """
      Each RUN_DIR is a folder published by `impact run --shard K/N` (or its output folder's latest). The \
      result is the same as one unsharded run over the same inputs, counts included, whatever the order of \
      the folders. Exits 2, listing every problem, when a shard is missing or twice, or the shards read \
      other inputs, catalog or tool version.
      """)

  @OptionGroup var options: PipelineOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Where the merged run folder goes: a folder of its own, not the output of the nightly run.", valueName: "dir"))
  var output: String

  @Argument(help: ArgumentHelp("The shards' run folders.", valueName: "run-dir"))
  var runFolders: [String]

  func run() throws {
    let runner = try options.load()
    let (result, folder) = try runner.merge(runFolders: runFolders, outputDirectory: output)
    let counts = result.counts
    print(
      "run \(result.runID): merged \(runFolders.count) shard(s) over \(result.inputs.count) input(s), read \(counts.read), accepted \(counts.accepted), rejected \(counts.rejected), superseded \(counts.superseded)"
    )
    print("reports: \(folder.publishedPath)/ (latest: \(folder.latestPath))")
  }
}
