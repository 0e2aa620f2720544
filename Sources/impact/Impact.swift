import ArgumentParser
import Foundation
import ImpactModel
import ImpactPipeline
import ImpactServer
import ImpactStore
import ImpactSupport
import Logging

/// The `impact` command: a thin layer over `ImpactPipeline`.
@main
struct Impact: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "impact",
    abstract: "Validate, normalize and aggregate partner impact-survey files (CSV, XML) into reports.",
    discussion: """
      Exit codes:
        0    success, or nothing new to publish (for validate: no observation rejected)
        1    the run failed and published nothing (for validate: some observations were rejected)
        2    usage or configuration error (bad option, missing input, invalid pipeline or catalog,
             shard folders that cannot be merged)
        3    another run holds the store (pass --wait to wait for it)
        130  stopped by SIGINT, 143 by SIGTERM: nothing published, the store as before the run
      """,
    version: ImpactVersion.current,
    subcommands: [
      RunCommand.self, ValidateCommand.self, InspectCommand.self, RunsCommand.self, ShowCommand.self,
      ForgetCommand.self, RebuildCommand.self, MergeCommand.self, ServeCommand.self,
    ]
  )

  /// Maps errors to the documented exit codes (ArgumentParser would use 64 for usage).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as UsageError {
      fail("impact: \(error.message)", code: 2)
    } catch let error as DefinitionError {
      fail(
        "impact: the pipeline, its catalog or its sources have \(error.problems.count) problem(s):\n"
          + error.description,
        code: 2)
    } catch let error as RunError {
      fail("impact: run failed, nothing published: \(error.message)", code: 1)
    } catch let error as StoreLock.Busy {
      fail("impact: \(error)", code: 3)
    } catch let error as RunInterrupted {
      fail("impact: \(error)", code: 128 + error.signal)
    } catch let error as MergeError {
      fail("impact: cannot merge these folders:\n\(error)", code: 2)
    } catch let error as StoreError {
      fail("impact: \(error.message)", code: 1)
    } catch let error as OutputFile.WriteError {
      fail("impact: run failed, nothing published: \(error)", code: 1)
    } catch let error as ServerError {
      fail("impact: \(error.message)", code: 2)
    } catch let error as ExitCode {
      Foundation.exit(error.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      let message = fullMessage(for: error)
      fail(message, code: code == .validationFailure ? 2 : code.rawValue)
    }
  }

  /// Ends the process with `message` on standard error: one JSON object with
  /// `--log-format json`, like the other log lines.
  static func fail(_ message: String, code: Int32) -> Never {
    if ImpactLogHandler.format == .json {
      ImpactLogHandler.writeJSON(level: "error", message: message, fields: [("exit_code", .integer(Int(code)))])
    } else {
      FileHandle.standardError.write(Data((message + "\n").utf8))
    }
    Foundation.exit(code)
  }
}

/// Options shared by the commands that read a pipeline.
struct PipelineOptions: ParsableArguments {
  @Option(name: .long, help: ArgumentHelp("The pipeline definition (YAML).", valueName: "file"))
  var pipeline = "pipelines/alliance.yml"

  @Option(name: .long, help: "Worker threads reading files (default: one per core).")
  var workers: Int?

  func load() throws -> PipelineRunner {
    guard FileManager.default.fileExists(atPath: pipeline) else {
      let hint =
        pipeline == "pipelines/alliance.yml"
        ? "run from the project folder, or pass --pipeline FILE" : "check the path given to --pipeline"
      throw UsageError(message: "no pipeline file at \(pipeline): \(hint)")
    }
    switch PipelineDefinition.load(path: pipeline) {
    case .failure(let error): throw error
    case .success(let definition):
      var runner = PipelineRunner(pipeline: definition)
      if let workers {
        guard workers > 0 else { throw UsageError(message: "--workers must be at least 1") }
        runner.workers = workers
      }
      return runner
    }
  }
}

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check the inputs and print each rejected observation as file:line: reason (field): message.",
    discussion: "Writes no report. Exits 1 when any observation is rejected."
  )

  @OptionGroup var options: PipelineOptions

  @Flag(name: .long, help: "Also print observations replaced by a later resubmission.")
  var showSuperseded = false

  @Argument(help: "Input files or folders (default: the pipeline's inputs).")
  var inputs: [String] = []

  func run() throws {
    let runner = try options.load()
    let discovery = try runner.discover(inputs)
    warnAboutSkipped(discovery)
    let problems = runner.checkSources(inputs: discovery)
    if !problems.isEmpty { throw DefinitionError(problems: problems) }
    // The observations of one row a source maps to several indicators are often refused
    // for one reason (a date, a postal code): one line says so for all of them.
    var pending: (event: RejectEvent, indicators: [String])?
    func flush() {
      guard let (event, indicators) = pending else { return }
      pending = nil
      let field = event.field.isEmpty ? "" : " (\(event.field))"
      let many =
        indicators.count > 1 ? " [\(indicators.count) observations: \(indicators.joined(separator: ", "))]" : ""
      print(Self.printable("\(event.file):\(event.line): \(event.reason.code)\(field): \(event.message)\(many)"))
    }
    let result = try runner.validate(inputs: discovery) { event in
      guard event.reason != .superseded || showSuperseded else { return }
      if let current = pending?.event, current.file == event.file, current.line == event.line,
        current.reason == event.reason, current.field == event.field, current.message == event.message
      {
        pending?.indicators.append(event.indicator)
        return
      }
      flush()
      pending = (event, [event.indicator])
    }
    flush()
    let counts = result.counts
    for input in result.inputs where input.problem != nil {
      print(Self.printable("\(input.path):\(input.problemLine): malformed_file: \(input.problem!)"))
    }
    FileHandle.standardError.write(
      Data(
        "\(discovery.files.count) input(s): read \(counts.read), accepted \(counts.accepted), rejected \(counts.rejected), superseded \(counts.superseded)\n"
          .utf8))
    if counts.rejected > 0 || result.inputs.contains(where: { $0.problem != nil }) { throw ExitCode(1) }
  }
}

extension ValidateCommand {
  /// `text` with control characters a partner's file may hold (an escape sequence that
  /// would recolour or retitle the terminal) written as `\u{1B}`.
  static func printable(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
        result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }
}

/// Tells on standard error which files were passed over, so that nothing is left out
/// without a word: through `logger` when the command set up logging.
func warnAboutSkipped(_ discovery: InputDiscovery, logger: Logger? = nil) {
  let unreadable = Dictionary(discovery.unreadableFolders.map { ($0.path, $0.reason) }) { first, _ in first }
  var lines = discovery.skipped.map { path in
    unreadable[path].map { "skipped the folder \(path): it cannot be read (\($0)): its files are not read" }
      ?? "skipped \(path): not a .csv, .tsv, .txt or .xml file, and no source's files match it"
  }
  lines += discovery.emptyPatterns.map { "no file matches \($0)" }
  if let logger {
    for line in lines { logger.warning("\(line)") }
  } else if !lines.isEmpty {
    FileHandle.standardError.write(Data((lines.map { "impact: " + $0 }.joined(separator: "\n") + "\n").utf8))
  }
}

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show what was detected in a partner file and print a source block for a pipeline.",
    discussion: "Encoding, delimiter, header line, record element and paths for XML, a few values of each field."
  )

  @OptionGroup var options: PipelineOptions

  @Argument(help: "The file to look at.")
  var file: String

  func run() throws {
    let runner = try options.load()
    print(try Inspector(catalog: runner.pipeline.catalog).report(path: file), terminator: "")
  }
}

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the published runs over HTTP (read-only), and take partners' uploads.",
    discussion: """
      Routes: / (the runs), /api/runs, /runs/<id>/ (a run's report), /runs/<id>/<file>, /latest/..., /healthz, \
      and POST /submissions?filename=NAME.csv with a partner's token when --inbox is set. \
      CSV downloads take ?dialect=excel-fr (;, decimal comma, UTF-8 BOM).
      """
  )

  @OptionGroup var options: PipelineOptions

  @Option(
    name: .long, help: ArgumentHelp("The output folder to serve (default: the pipeline's output).", valueName: "dir"))
  var output: String?

  @Option(name: .long, help: "The address to listen on.")
  var host = "127.0.0.1"

  @Option(name: .long, help: "The port to listen on.")
  var port = 8080

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Require a bearer token from this file: lines 'TOKEN SCOPE', SCOPE * or a partner id.", valueName: "file"))
  var tokens: String?

  @Option(name: .long, help: ArgumentHelp("Take uploads into this folder (needs --tokens).", valueName: "dir"))
  var inbox: String?

  @Option(name: .long, help: "The largest upload, in megabytes.")
  var maxUploadMb = 50

  func run() throws {
    let runner = try options.load()
    guard inbox == nil || tokens != nil else {
      throw UsageError(message: "--inbox needs --tokens: uploads are taken from partners' tokens only")
    }
    guard (1...65535).contains(port), maxUploadMb > 0 else {
      throw UsageError(message: "check --port and --max-upload-mb")
    }
    let server = ReportServer(
      archive: try RunArchive(outputDirectory: output ?? runner.pipeline.outputDirectory),
      tokens: try tokens.map { try AccessTokens(path: $0) },
      inbox: try inbox.map { try SubmissionInbox(folder: $0, maxBytes: maxUploadMb << 20, runner: runner) })
    print("impact: serving \(server.archive.root) on http://\(host):\(port)/")
    let outcome = BlockingOutcome()
    let host = self.host
    let port = self.port
    Task {
      do { try await server.run(host: host, port: port) } catch { outcome.failure = error }
      outcome.done.signal()
    }
    outcome.done.wait()
    if let failure = outcome.failure { throw ServerError(message: "the server stopped: \(failure)") }
  }
}

/// Lets a synchronous command wait for an asynchronous one.
final class BlockingOutcome: @unchecked Sendable {
  let done = DispatchSemaphore(value: 0)
  var failure: Error?
}
