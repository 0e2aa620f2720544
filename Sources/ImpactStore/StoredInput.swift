import Foundation
import GRDB

/// An input as the store knows it.
public struct StoredInput: Sendable {
  public var seq: Int64
  public var sha256: String
  /// Where its content was first read.
  public var path: String
  public var bytes: Int
  public var format: String
  public var source: String?
  public var fingerprint: String
  /// `active`, `replaced` (a new content came at its path) or `forgotten`.
  public var status: String
  public var ingestedRun: String
  public var ingestedAt: String
  /// The first published run that counted it; nil until then.
  public var publishedRun: String?
  public var retiredRun: String?
  public var retiredAt: String?
  public var read: Int
  public var rejected: Int
  /// The input's report (JSON).
  public var report: String

  init(row: Row) {
    seq = row["seq"]
    sha256 = row["sha256"]
    path = row["path"]
    bytes = row["bytes"]
    format = row["format"]
    source = row["source"]
    fingerprint = row["fingerprint"]
    status = row["status"]
    ingestedRun = row["ingested_run"]
    ingestedAt = row["ingested_at"]
    publishedRun = row["published_run"]
    retiredRun = row["retired_run"]
    retiredAt = row["retired_at"]
    read = row["read"]
    rejected = row["rejected"]
    report = row["report"]
  }
}

/// A run in the history; its figures (`read`, `folder`, ...) are those of its outcome.
@dynamicMemberLookup
public struct StoredRun: Sendable {
  public var id: String
  public var pipeline: String
  public var toolVersion: String
  public var startedAt: String
  public var finishedAt: String?
  /// `running`, `published`, `unchanged` (nothing new: the reports of `folder` stay
  /// published), `failed`, `interrupted` or `killed`.
  public var status: String
  public var outcome = RunOutcome()

  public subscript<Value>(dynamicMember field: KeyPath<RunOutcome, Value>) -> Value { outcome[keyPath: field] }

  init(row: Row) {
    id = row["id"]
    pipeline = row["pipeline"]
    toolVersion = row["tool_version"]
    startedAt = row["started_at"]
    finishedAt = row["finished_at"]
    status = row["status"]
    for (column, field) in RunOutcome.countColumns { outcome[keyPath: field] = row[column] }
    outcome.state = row["state"]
    outcome.folder = row["folder"]
    outcome.message = row["message"]
  }
}

extension Store {
  /// ISO 8601 in UTC with milliseconds: sortable as text.
  public static func timestamp(_ date: Date) -> String {
    var formatter = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    formatter.timeZone = TimeZone(identifier: "UTC")!
    return date.formatted(formatter)
  }
}
