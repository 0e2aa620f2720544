import ArgumentParser
import Foundation
import ImpactPipeline
import ImpactStore

/// Opens an existing store for the read-only commands.
func openStore(_ options: PipelineOptions, _ storeOptions: StoreOptions) throws -> Store {
  let runner = try options.load()
  let settings = storeOptions.settings(runner)
  guard FileManager.default.fileExists(atPath: settings.path) else {
    throw UsageError(message: "no store at \(settings.path): run `impact run` first, or pass --store FILE")
  }
  return try Store(path: settings.path)
}

struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs",
    abstract: "List the runs of the store, newest first (with --inputs, the inputs it holds, in ingestion order).")

  @OptionGroup var options: PipelineOptions
  @OptionGroup var storeOptions: StoreOptions

  @Flag(name: .long, help: "List the inputs the store holds instead, in ingestion order.")
  var inputs = false

  @Option(name: .long, help: "How many runs to list.")
  var limit = 50

  func run() throws {
    let store = try openStore(options, storeOptions)
    if inputs {
      print("seq  status     sha256        read  rejected  ingested by            path")
      for input in try store.allInputs() {
        print(
          "\(pad(String(input.seq), 4)) \(pad(input.status, 10)) \(input.sha256.prefix(12))  \(pad(String(input.read), 5)) \(pad(String(input.rejected), 9)) \(pad(input.ingestedRun, 22)) \(input.path)"
        )
      }
      return
    }
    let widths = [22, 11, 10, 10, 10, 10, 7, 5]
    let header = ["run", "status", "read", "accepted", "rejected", "superseded", "inputs", "new", "started"]
    print(zip(header, widths + [0]).map { pad($0.0, $0.1) }.joined(separator: " "))
    for run in try store.runs(limit: limit) {
      let figures = [run.read, run.accepted, run.rejected, run.superseded, run.inputs, run.ingested]
        .map { $0.map(String.init) ?? "-" }
      let cells = [run.id, run.status] + figures + [run.startedAt]
      print(zip(cells, widths + [0]).map { pad($0.0, $0.1) }.joined(separator: " "))
    }
  }
}

struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Print one run's summary: its outcome, counts, and the inputs it ingested.")

  @OptionGroup var options: PipelineOptions
  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: ArgumentHelp("A run id, or 'latest' for the newest run.", valueName: "run"))
  var runID: String

  func run() throws {
    let store = try openStore(options, storeOptions)
    let found = runID == "latest" ? try store.runs(limit: 1).first : try store.run(id: runID)
    guard let found else { throw UsageError(message: "no run \(runID) in \(store.path): `impact runs` lists them") }
    print("run:       \(found.id)")
    print("status:    \(found.status)\(found.message.map { " (\($0))" } ?? "")")
    print("pipeline:  \(found.pipeline)")
    print("tool:      impact \(found.toolVersion)")
    print("started:   \(found.startedAt)")
    print("finished:  \(found.finishedAt ?? "-")")
    if let read = found.read {
      print(
        "counts:    read \(read), accepted \(found.accepted ?? 0), rejected \(found.rejected ?? 0), superseded \(found.superseded ?? 0) (every input in the store)"
      )
    }
    if let inputs = found.inputs { print("inputs:    \(inputs) (\(found.ingested ?? 0) new in its reports)") }
    if let folder = found.folder {
      print("reports:   \(folder)\(found.status == "unchanged" ? " (published earlier, still current)" : "")")
    }
    let ingested = try store.inputs(ingestedBy: found.id)
    if !ingested.isEmpty {
      print("ingested:")
      for input in ingested {
        print(
          "  \(input.path)  read \(input.read), rejected \(input.rejected)  [\(input.status)] \(input.sha256.prefix(12))"
        )
      }
    }
  }
}

struct ForgetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forget",
    abstract: "Retract inputs from the store (a partner withdrew a file); the next run no longer counts them.",
    discussion: """
      Name inputs by path (as ingested or seen since) or by sha256 (eight characters at least), or every input \
      holding a partner's observations with --partner. A forgotten content stays out even if the file is still \
      in the inbox. Run `impact run` (or `impact rebuild`) to publish reports without them.
      """)

  @OptionGroup var options: PipelineOptions
  @OptionGroup var storeOptions: StoreOptions

  @Option(name: .long, help: "Forget every input holding this partner's observations.")
  var partner: String?

  @Flag(name: .long, help: "List what would be forgotten, and change nothing.")
  var dryRun = false

  @Flag(name: .long, help: "With --partner: forget inputs that hold other partners' observations too.")
  var yes = false

  @Argument(help: "Input paths or sha256 prefixes.")
  var inputs: [String] = []

  func run() throws {
    guard !inputs.isEmpty || partner != nil else { throw UsageError(message: "name inputs to forget, or --partner ID") }
    let runner = try options.load()
    let settings = storeOptions.settings(runner)
    // What --partner would take is looked at first: an input that speaks for other
    // partners too takes their observations along, and a forget cannot be undone.
    let chosen = try runner.forget(paths: inputs, partner: partner, store: settings, dryRun: true)
    let store = try Store(path: settings.path)
    var others: [Int64: [String]] = [:]
    for input in chosen { others[input.seq] = ((try? store.partners(of: input.seq)) ?? []).filter { $0 != partner } }
    let shared = partner != nil && others.values.contains { !$0.isEmpty }
    let forgotten =
      dryRun || (shared && !yes) ? chosen : try runner.forget(paths: inputs, partner: partner, store: settings)
    let verb = dryRun || (shared && !yes) ? "would forget" : "forgotten"
    for input in forgotten {
      let held = others[input.seq] ?? []
      let note = partner != nil && !held.isEmpty ? " (it also held partners \(held.joined(separator: ", ")))" : ""
      print("\(verb): \(input.path) \(input.sha256.prefix(12)), \(input.read) observation(s)\(note)")
    }
    if dryRun {
      print("nothing was changed (--dry-run)")
    } else if shared && !yes {
      throw UsageError(
        message:
          "nothing was forgotten: some of these inputs hold other partners' observations too, which would go with them; pass --yes to forget them all, or name the inputs to forget"
      )
    } else {
      print("the next `impact run` publishes reports without \(forgotten.count == 1 ? "it" : "them")")
    }
  }
}

struct RebuildCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rebuild",
    abstract: "Recompute and publish the reports from the store alone, reading no input file.")

  @OptionGroup var options: PipelineOptions
  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var console: ConsoleOptions

  @Option(name: .long, help: ArgumentHelp("Keep only the N newest run folders.", valueName: "n"))
  var keep: Int?

  func run() throws {
    var runner = try options.load()
    let bar = try console.prepare(&runner)
    defer { bar?.stop() }
    let settings = storeOptions.settings(runner)
    guard FileManager.default.fileExists(atPath: settings.path) else {
      throw UsageError(message: "no store at \(settings.path): run `impact run` first, or pass --store FILE")
    }
    var metrics = RunMetrics(pipeline: runner.pipeline.path, startedAt: Date())
    do {
      let outcome = try runner.run(
        discovery: nil, outputDirectory: storeOptions.outputDirectory(runner), store: settings, keep: keep)
      bar?.clear()
      guard case .published(let result, let folder) = outcome else { return }
      let counts = result.counts
      print(
        "run \(result.runID): rebuilt from \(result.inputs.count) stored input(s), read \(counts.read), accepted \(counts.accepted), rejected \(counts.rejected), superseded \(counts.superseded)"
      )
      print("reports: \(folder.publishedPath)/ (latest: \(folder.latestPath))")
      metrics.record(result, status: "published")
      if let path = console.metrics { try metrics.write(to: path) }
    } catch {
      metrics.finishedAt = Date()
      metrics.exitCode = RunCommand.exitCode(of: error)
      if let path = console.metrics { try? metrics.write(to: path) }
      throw error
    }
  }
}

func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
