import Foundation
import ImpactAggregation
import ImpactModel

/// What happened to one input file.
public struct InputReport: Sendable {
  public var path: String
  public var format: String
  /// The pipeline source that mapped the file; nil for the canonical format.
  public var source: String?
  public var sha256: String
  public var bytes: Int
  public var read = 0
  public var accepted = 0
  public var rejected = 0
  public var superseded = 0
  /// Why the whole file was refused, where it was.
  public var problem: String?
  public var problemLine = 0
  public var problemPath = ""
  public var warnings: [String] = []
  /// What the reader detected (encoding, delimiter, ...).
  public var detected: [String: String] = [:]
  /// Columns or paths present in the file that the source does not map.
  public var unmapped: [String] = []
  /// Rejections of this file by reason.
  public var rejections: [RejectReason: Int] = [:]

  public init(path: String, format: String, sha256: String, bytes: Int) {
    self.path = path
    self.format = format
    self.sha256 = sha256
    self.bytes = bytes
  }
}

/// The four counts every run accounts with: `read = accepted + rejected + superseded`.
public struct Counts: Sendable, Equatable {
  public var read = 0
  public var accepted = 0
  public var rejected = 0
  public var superseded = 0

  public init() {}

  public var balances: Bool { read == accepted + rejected + superseded }
}

/// Everything the reports are written from.
public struct RunResult {
  public var runID: String
  public var toolVersion: String
  public var pipelinePath: String
  public var catalogPath: String
  public var startedAt: Date
  public var finishedAt: Date
  public var counts: Counts
  public var rejections: [RejectReason: Int]
  public var inputs: [InputReport]
  /// Paths given or found that no format claims.
  public var skipped: [String]
  public var ledger: Ledger
  public var rows: [AggregateRow]
  public var transitions: [TransitionTotals]
  /// The rejects counted by reason and partner as the runner wrote them; reports that
  /// need them read `rejects.csv` back when it is nil.
  public var rejectsTally: RejectsTally?

  public init(
    runID: String, toolVersion: String, pipelinePath: String, catalogPath: String, startedAt: Date,
    finishedAt: Date, counts: Counts, rejections: [RejectReason: Int], inputs: [InputReport], skipped: [String],
    ledger: Ledger, rows: [AggregateRow], transitions: [TransitionTotals]
  ) {
    self.runID = runID
    self.toolVersion = toolVersion
    self.pipelinePath = pipelinePath
    self.catalogPath = catalogPath
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.counts = counts
    self.rejections = rejections
    self.inputs = inputs
    self.skipped = skipped
    self.ledger = ledger
    self.rows = rows
    self.transitions = transitions
  }
}

/// A report file written into a run folder once every input has been merged.
///
/// A new report format is a folder in this module with a type conforming to this
/// protocol, plus one line in `Reports.all`.
public protocol Report: Sendable {
  var fileName: String { get }
  func write(_ result: RunResult, to path: String) throws
}

/// A report written from the ledger alone: the runner writes it while the aggregation
/// runs on another core.
public protocol LedgerReport: Report {
  func write(ledger: Ledger, to path: String) throws
}

extension LedgerReport {
  public func write(_ result: RunResult, to path: String) throws {
    try write(ledger: result.ledger, to: path)
  }
}

/// The registered reports.
public enum Reports {
  public static let all: [any Report] = [
    SummaryJSONReport(),
    AggregatesCSVReport(),
    RecordsCSVReport(),
    HTMLReport(),
  ]
}
