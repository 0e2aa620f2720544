import Foundation
import ImpactPipeline
import ImpactStore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `impact run` under a scheduler: one run per store, killed or stopped at any point
/// without damage, a full disk or an unwritable folder failing cleanly, metrics and logs.
@Suite(.serialized) struct SchedulerTests {
  let executable = CommandLineTests.executable

  /// A canonical CSV of `rows` observations, the same for the same `seed`.
  static func workload(rows: Int, seed: Int) -> String {
    let indicators = ["social.beneficiaries", "digital_inclusion.mediation_hours", "territorial.partnerships"]
    let territories = ["75056", "69123", "13055", "33", "2A004", "FR"]
    var text = canonicalHeader
    text.reserveCapacity(rows * 60)
    for row in 0..<rows {
      let mix = (row &* 2_654_435_761 &+ seed &* 97) & 0x7FFF_FFFF
      let value = mix % 500
      // Every 50th row is invalid, every 7th a resubmission of an earlier response.
      text += "p\(mix % 13),r\(seed)-\(row % 7 == 0 ? row / 2 : row),\(2021 + mix % 4),"
      text +=
        "\(territories[mix % territories.count]),\(indicators[row % 3]),\(row % 50 == 0 ? "n/a" : String(value)),\n"
    }
    return text
  }

  struct Finished {
    let status: Int32
    let signalled: Bool
    let output: String
    let error: String
  }

  func start(_ arguments: [String], environment: [String: String]? = nil) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
    if let environment { process.environment = environment }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    return (process, output, error)
  }

  func finish(_ started: (Process, Pipe, Pipe)) -> Finished {
    let (process, output, error) = started
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Finished(
      status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
      output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
  }

  func impact(_ arguments: [String]) throws -> Finished { finish(try start(arguments)) }

  func runArguments(inbox: String, output: String, _ extra: [String] = []) -> [String] {
    ["run", "--pipeline", "pipelines/canonical.yml", "--output", output] + extra + [inbox]
  }

  /// The figures of a published run folder: the CSV reports byte for byte, and the
  /// counts of the summary (which also holds run ids and times).
  func figures(_ folder: String) throws -> [String] {
    var result: [String] = []
    for name in ["aggregates.csv", "records.csv", "rejects.csv", "trends.csv"] {
      result.append(try String(contentsOfFile: folder + "/" + name, encoding: .utf8))
    }
    let summary =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
      as! [String: Any]
    func sorted(_ value: Any?) -> String {
      guard let counts = value as? [String: Int] else { return "-" }
      return counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
    let thisRun = summary["this_run"] as? [String: Any]
    result.append(
      "\(sorted(summary["counts"])); new: \(sorted(thisRun?["new_counts"])); stored: \(thisRun?["inputs_in_store"] ?? "-")"
    )
    return result
  }

  func copyFolder(_ from: String, _ to: String) throws {
    try? FileManager.default.removeItem(atPath: to)
    try FileManager.default.copyItem(atPath: from, toPath: to)
  }

  func noPartialFolders(in output: String) -> Bool {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
    return !names.contains { $0.hasPrefix(".partial-") || $0.hasPrefix(".latest-") }
  }

  /// An inbox with one small file and an output folder where a run published it; returns
  /// their paths and the published figures.
  func publishedBaseline(in work: TemporaryDirectory, rows: Int, output name: String = "out") throws -> (
    inbox: String, output: String, figures: [String]
  ) {
    let inbox = work.path + "/inbox"
    let output = work.path + "/" + name
    work.write("inbox/a.csv", Self.workload(rows: rows, seed: 1))
    let first = try impact(runArguments(inbox: inbox, output: output))
    #expect(first.status == 0, "\(first.error)")
    return (inbox, output, try figures(output + "/latest"))
  }

  /// A run is killed (SIGKILL) at many points; each time the published reports before it
  /// stay intact, and the next run publishes exactly what the uninterrupted run did.
  @Test func aRunKilledAtAnyPointIsCompletedByTheNext() throws {
    let work = TemporaryDirectory()
    let (inbox, baseline, before) = try publishedBaseline(in: work, rows: 2000, output: "baseline")
    for (name, seed) in [("b.csv", 2), ("c.csv", 3), ("d.csv", 4)] {
      work.write("inbox/" + name, Self.workload(rows: 40000, seed: seed))
    }
    // The uninterrupted run, and how long it takes.
    let reference = work.path + "/reference"
    try copyFolder(baseline, reference)
    let clock = Date()
    let full = try impact(runArguments(inbox: inbox, output: reference))
    let duration = Date().timeIntervalSince(clock)
    #expect(full.status == 0, "\(full.error)")
    let expected = try figures(reference + "/latest")
    #expect(expected != before)
    let points = 10
    for point in 0..<points {
      let trial = work.path + "/trial-\(point)"
      try copyFolder(baseline, trial)
      let process = try start(runArguments(inbox: inbox, output: trial, ["--quiet"]))
      Thread.sleep(forTimeInterval: duration * Double(point) / Double(points))
      kill(process.0.processIdentifier, SIGKILL)
      _ = finish(process)
      // Whatever `latest` shows is whole: the run before, or the finished run.
      let shown = try figures(trial + "/latest")
      #expect(shown == before || shown == expected, "kill point \(point): latest shows a damaged run")
      let next = try impact(runArguments(inbox: inbox, output: trial))
      #expect(next.status == 0, "kill point \(point): \(next.error)")
      #expect(try figures(trial + "/latest") == expected, "kill point \(point): the next run differs")
      #expect(noPartialFolders(in: trial), "kill point \(point): an unfinished folder was left")
      try? FileManager.default.removeItem(atPath: trial)
    }
  }

  @Test func sigtermStopsCleanlyAndPublishesNothing() throws {
    let work = TemporaryDirectory()
    let (inbox, output, before) = try publishedBaseline(in: work, rows: 1000)
    for seed in 2...5 { work.write("inbox/\(seed).csv", Self.workload(rows: 40000, seed: seed)) }
    let started = try start(runArguments(inbox: inbox, output: output, ["--log-level", "debug"]))
    // Wait for the run to be under way (its plan logged), then ask it to stop.
    var seen = Data()
    while !String(decoding: seen, as: UTF8.self).contains("store plan") {
      let chunk = started.2.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      seen.append(chunk)
    }
    kill(started.0.processIdentifier, SIGTERM)
    let outcome = finish(started)
    #expect(outcome.status == 128 + SIGTERM, "\(outcome.output) \(outcome.error)")
    #expect(outcome.error.contains("interrupted by signal"))
    #expect(try figures(output + "/latest") == before)
    #expect(noPartialFolders(in: output))
    let store = try Store(path: output + "/impact-store.sqlite")
    #expect(try store.runs().first?.status == "interrupted")
    #expect(try store.activeInputs().count == 1, "the interrupted run's inputs were rolled back")
    #expect(try impact(runArguments(inbox: inbox, output: output)).status == 0)
    #expect(try store.activeInputs().count == 5)
  }

  @Test func aSecondRunExitsWithCode3OrWaits() throws {
    let work = TemporaryDirectory()
    let inbox = work.path + "/inbox"
    let output = work.path + "/out"
    work.write("inbox/a.csv", Self.workload(rows: 100, seed: 1))
    var lock: StoreLock? = try StoreLock(storePath: output + "/impact-store.sqlite", wait: false)
    let busy = try impact(runArguments(inbox: inbox, output: output, ["--metrics", work.path + "/m.prom"]))
    #expect(busy.status == 3)
    #expect(busy.error.contains("another run holds the store lock"))
    #expect(busy.error.contains("--wait"))
    // With JSON logs, the final error is a JSON line too.
    let json = try impact(runArguments(inbox: inbox, output: output, ["--log-format", "json"]))
    let object = try JSONSerialization.jsonObject(with: Data(json.error.utf8)) as? [String: Any]
    #expect(object?["level"] as? String == "error" && object?["exit_code"] as? Int == 3, "\(json.error)")
    #expect((object?["message"] as? String)?.hasPrefix("impact: ") == false)
    let metrics = try String(contentsOfFile: work.path + "/m.prom", encoding: .utf8)
    #expect(metrics.contains("impact_run_success{pipeline=\"pipelines/canonical.yml\"} 0"))
    #expect(metrics.contains("impact_run_status{pipeline=\"pipelines/canonical.yml\",status=\"locked\"} 1"))
    let waiting = try start(runArguments(inbox: inbox, output: output, ["--wait"]))
    Thread.sleep(forTimeInterval: 1)
    #expect(waiting.0.isRunning, "--wait did not wait for the lock")
    lock = nil
    _ = lock
    let outcome = finish(waiting)
    #expect(outcome.status == 0, "\(outcome.error)")
  }

  @Test func aFullDiskFailsTheRunAndKeepsWhatWasPublished() throws {
    let work = TemporaryDirectory()
    let (inbox, output, before) = try publishedBaseline(in: work, rows: 100)
    work.write("inbox/b.csv", Self.workload(rows: 20000, seed: 2))
    // Files may not grow past a limit: writes fail with EFBIG, as on a full disk. The
    // smaller limit stops the store's write, the larger one a report's.
    for limit in [256, 1500] {
      let quoted = ([executable] + runArguments(inbox: inbox, output: output)).map { "'\($0)'" }.joined(separator: " ")
      let shell = Process()
      shell.executableURL = URL(fileURLWithPath: "/bin/bash")
      shell.arguments = ["-c", "ulimit -f \(limit); trap '' XFSZ; exec \(quoted)"]
      shell.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
      let error = Pipe()
      shell.standardError = error
      shell.standardOutput = Pipe()
      try shell.run()
      let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      shell.waitUntilExit()
      #expect(shell.terminationStatus == 1, "\(message)")
      #expect(message.contains("nothing published"), "\(message)")
      #expect(message.contains("too large") || message.contains("check free space"), "\(message)")
      #expect(try figures(output + "/latest") == before)
      #expect(noPartialFolders(in: output))
    }
    let retry = try impact(runArguments(inbox: inbox, output: output))
    #expect(retry.status == 0, "\(retry.error)")
    #expect(try figures(output + "/latest") != before)
  }

  @Test func anUnwritableOutputFolderFailsWithAClearMessage() throws {
    let work = TemporaryDirectory()
    work.write("inbox/a.csv", Self.workload(rows: 10, seed: 1))
    let blocker = work.write("not-a-folder", "x")
    let outcome = try impact(
      runArguments(inbox: work.path + "/inbox", output: blocker + "/out", ["--store", work.path + "/s.sqlite"]))
    #expect(outcome.status == 1)
    #expect(outcome.error.contains("cannot create the run folder in \(blocker)/out"), "\(outcome.error)")
    let store = try Store(path: work.path + "/s.sqlite")
    #expect(try store.activeInputs().isEmpty)
    #expect(try store.runs().first?.status == "failed")
  }

  @Test func metricsAndJSONLogsDescribeTheRun() throws {
    let work = TemporaryDirectory()
    work.write("inbox/a.csv", Self.workload(rows: 500, seed: 1))
    let metricsPath = work.path + "/impact.prom"
    let outcome = try impact(
      runArguments(
        inbox: work.path + "/inbox", output: work.path + "/out", ["--metrics", metricsPath, "--log-format", "json"]))
    #expect(outcome.status == 0, "\(outcome.error)")
    let lines = outcome.error.split(separator: "\n")
    #expect(!lines.isEmpty)
    var published: [String: Any]?
    for line in lines {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object?["level"] != nil && object?["message"] != nil && object?["time"] != nil, "\(line)")
      if object?["message"] as? String == "published" { published = object }
    }
    // Counts are numbers, for a log collector to sum.
    #expect(published?["read"] as? Int == 500 && published?["run"] is String, "\(outcome.error)")
    let metrics = try String(contentsOfFile: metricsPath, encoding: .utf8)
    let label = "pipeline=\"pipelines/canonical.yml\""
    #expect(metrics.contains("# TYPE impact_run_duration_seconds gauge"))
    #expect(metrics.contains("impact_run_success{\(label)} 1"))
    #expect(metrics.contains("impact_observations{\(label),status=\"read\"} 500"))
    #expect(metrics.contains("impact_run_inputs{\(label),state=\"new\"} 1"))
    // Every sample line is `name{labels} value`.
    for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
      #expect(line.range(of: #"^[a-z_]+\{[^}]*\} -?[0-9.]+$"#, options: .regularExpression) != nil, "\(line)")
    }
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func aProgressBarOnlyOnATerminal() throws {
    let work = TemporaryDirectory()
    work.write("inbox/a.csv", Self.workload(rows: 20000, seed: 1))
    func underTerminal(_ extra: [String]) throws -> String {
      let command =
        ([executable] + runArguments(inbox: work.path + "/inbox", output: work.path + "/out-\(extra.count)", extra))
        .map { "'\($0)'" }.joined(separator: " ")
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
      process.arguments = ["-qec", command, "/dev/null"]
      process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
      let output = Pipe()
      process.standardOutput = output
      process.standardInput = FileHandle.nullDevice
      try process.run()
      let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "\(text)")
      return text
    }
    let bar = try underTerminal([])
    #expect(bar.contains("1/1 files") && bar.contains("obs") && bar.contains("MB/s"), "\(bar)")
    #expect(!(try underTerminal(["--quiet"])).contains("files ·"))
    let piped = try impact(runArguments(inbox: work.path + "/inbox", output: work.path + "/piped"))
    #expect(!piped.error.contains("files ·"))
  }

  @Test func aMetricsFileThatCannotBeWrittenIsOnlyAWarning() throws {
    let work = TemporaryDirectory()
    work.write("inbox/a.csv", Self.workload(rows: 20, seed: 1))
    let outcome = try impact(
      runArguments(
        inbox: work.path + "/inbox", output: work.path + "/out", ["--metrics", work.path + "/no/such/m.prom"]))
    #expect(outcome.status == 0, "\(outcome.error)")
    #expect(outcome.error.contains("cannot write the metrics file"))
    #expect(RunFolder.current(in: work.path + "/out") != nil)
  }

  @Test func noStoreRemembersNothingAndTheHistoryCommandsRead() throws {
    let work = TemporaryDirectory()
    work.write("inbox/a.csv", Self.workload(rows: 50, seed: 1))
    let stateless = try impact(runArguments(inbox: work.path + "/inbox", output: work.path + "/a", ["--no-store"]))
    #expect(stateless.status == 0)
    #expect(!FileManager.default.fileExists(atPath: work.path + "/a/impact-store.sqlite"))
    let output = work.path + "/b"
    #expect(try impact(runArguments(inbox: work.path + "/inbox", output: output)).status == 0)
    let again = try impact(runArguments(inbox: work.path + "/inbox", output: output))
    #expect(again.output.contains("nothing new"))
    let runs = try impact(["runs", "--pipeline", "pipelines/canonical.yml", "--output", output])
    #expect(runs.output.contains("unchanged") && runs.output.contains("published"))
    let show = try impact(["show", "latest", "--pipeline", "pipelines/canonical.yml", "--output", output])
    #expect(show.output.contains("status:    unchanged"))
    let forget = try impact([
      "forget", "--pipeline", "pipelines/canonical.yml", "--output", output, work.path + "/inbox/a.csv",
    ])
    #expect(forget.status == 0, "\(forget.error)")
    #expect(forget.output.contains("forgotten: \(work.path)/inbox/a.csv"))
    let missing = try impact(["show", "nope", "--pipeline", "pipelines/canonical.yml", "--output", output])
    #expect(missing.status == 2)
  }

  /// Forgetting a partner's inputs takes other partners' observations along when a file
  /// speaks for several: that needs --yes, and --dry-run shows it without a change.
  @Test func forgettingAPartnerAsksBeforeTakingOtherPartnersAlong() throws {
    let work = TemporaryDirectory()
    work.write(
      "inbox/shared.csv",
      canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,1,\np2,r2,2023,75056,social.beneficiaries,2,\n")
    let output = work.path + "/out"
    #expect(try impact(runArguments(inbox: work.path + "/inbox", output: output)).status == 0)
    let forget = ["forget", "--pipeline", "pipelines/canonical.yml", "--output", output, "--partner", "p1"]
    let dry = try impact(forget + ["--dry-run"])
    #expect(dry.status == 0 && dry.output.contains("would forget: ") && dry.output.contains("also held partners p2"))
    let refused = try impact(forget)
    #expect(refused.status == 2 && refused.error.contains("pass --yes"), "\(refused.error)")
    let done = try impact(forget + ["--yes"])
    #expect(done.status == 0 && done.output.contains("forgotten: "), "\(done.error)")
    #expect(try impact(forget + ["--yes"]).status == 2)  // nothing of p1 is left to forget
  }
}
