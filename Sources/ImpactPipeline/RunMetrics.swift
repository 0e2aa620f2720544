import Foundation
import ImpactReports
import ImpactStore

#if canImport(Glibc)
  import Glibc
#endif

/// A run's figures in the Prometheus text format, for a node exporter's textfile
/// collector: written to a temporary file beside the target and renamed over it, so the
/// collector never reads half a file.
public struct RunMetrics {
  public var pipeline: String
  public var success: Bool
  /// The exit code the command ends with.
  public var exitCode: Int32
  public var startedAt: Date
  public var finishedAt: Date
  /// `published`, `unchanged`, `failed`, `interrupted` or `locked`.
  public var status: String
  /// Cumulative counts the published reports show (nil when nothing was published).
  public var counts: Counts?
  /// Observations of the inputs this run ingested.
  public var newCounts: Counts?
  /// Inputs by what the run did with them.
  public var inputs: [String: Int] = [:]
  /// Bytes of the files this run read.
  public var bytesRead = 0
  /// When the last successful run of the store ended, for runs that did not succeed.
  public var lastSuccess: Date?

  public init(pipeline: String, startedAt: Date) {
    self.pipeline = pipeline
    self.startedAt = startedAt
    finishedAt = startedAt
    success = false
    exitCode = 1
    status = "failed"
  }

  /// The text-format exposition.
  public func render() -> String {
    let pipelineLabel = "pipeline=\"\(Self.escape(pipeline))\""
    var text = ""
    func metric(_ name: String, _ help: String, _ type: String, _ samples: [(String, String)]) {
      text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
      for (labels, value) in samples {
        text += "\(name){\(pipelineLabel)\(labels.isEmpty ? "" : "," + labels)} \(value)\n"
      }
    }
    func seconds(_ date: Date) -> String { String(format: "%.3f", date.timeIntervalSince1970) }
    metric("impact_run_success", "Whether the last run succeeded (1) or not (0).", "gauge", [("", success ? "1" : "0")])
    metric("impact_run_exit_code", "The exit code of the last run.", "gauge", [("", "\(exitCode)")])
    metric(
      "impact_run_status", "The outcome of the last run (1 for the status it ended with).", "gauge",
      ["published", "unchanged", "failed", "interrupted", "locked"].map {
        ("status=\"\($0)\"", $0 == status ? "1" : "0")
      })
    metric(
      "impact_run_duration_seconds", "How long the last run took.", "gauge",
      [("", String(format: "%.3f", finishedAt.timeIntervalSince(startedAt)))])
    metric("impact_run_started_timestamp_seconds", "When the last run started.", "gauge", [("", seconds(startedAt))])
    metric("impact_run_finished_timestamp_seconds", "When the last run ended.", "gauge", [("", seconds(finishedAt))])
    if let last = success ? finishedAt : lastSuccess {
      metric(
        "impact_run_last_success_timestamp_seconds", "When the last successful run ended.", "gauge",
        [("", seconds(last))])
    }
    func statuses(_ counts: Counts) -> [(String, String)] {
      [
        ("read", counts.read), ("accepted", counts.accepted), ("rejected", counts.rejected),
        ("superseded", counts.superseded),
      ]
      .map { ("status=\"\($0.0)\"", "\($0.1)") }
    }
    if let counts {
      metric(
        "impact_observations", "Observations in the published reports, by status (every input counted).", "gauge",
        statuses(counts))
    }
    if let newCounts {
      metric(
        "impact_run_new_observations", "Observations of the inputs new in this run's reports, by status.", "gauge",
        statuses(newCounts))
    }
    if !inputs.isEmpty {
      metric(
        "impact_run_inputs", "Inputs of the last run, by what it did with them.", "gauge",
        inputs.sorted { $0.key < $1.key }.map { ("state=\"\(Self.escape($0.key))\"", "\($0.value)") })
    }
    metric("impact_run_read_bytes", "Bytes of the files the last run read.", "gauge", [("", "\(bytesRead)")])
    return text
  }

  /// Fills in, from the store's history, what a run that published nothing lacks: when
  /// the last run succeeded and the counts of the reports still published.
  public mutating func addHistory(storePath: String) {
    guard FileManager.default.fileExists(atPath: storePath), let store = try? Store(path: storePath),
      let runs = try? store.runs(limit: 200)
    else { return }
    let parser = ISO8601DateFormatter()
    parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let last = runs.first(where: { $0.status == "published" || $0.status == "unchanged" }),
      let finished = last.finishedAt
    {
      lastSuccess = parser.date(from: finished)
    }
    if counts == nil, success, let published = runs.first(where: { $0.status == "published" }),
      let read = published.read
    {
      counts = Counts(
        read: read, accepted: published.accepted ?? 0, rejected: published.rejected ?? 0,
        superseded: published.superseded ?? 0)
    }
  }

  /// Writes the metrics to `path` atomically.
  public func write(to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    do {
      try Data(render().utf8).write(to: URL(fileURLWithPath: temporary))
    } catch {
      throw RunError(message: "cannot write the metrics file \(path): \(error.localizedDescription)")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw RunError(message: "cannot write the metrics file \(path): \(reason)")
    }
  }

  static func escape(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
}
