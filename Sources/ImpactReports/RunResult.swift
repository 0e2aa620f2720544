import Foundation
import ImpactAggregation
import ImpactModel
import ImpactSupport

/// What happened to one input file.
public struct InputReport: Sendable, Codable {
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
  /// With the store: the run that ingested the file.
  public var ingestedBy: String?
  /// With the store: whether this publication is the first to count the file.
  public var isNew = false

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

  public init(read: Int, accepted: Int, rejected: Int, superseded: Int) {
    self.read = read
    self.accepted = accepted
    self.rejected = rejected
    self.superseded = superseded
  }

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
  /// Per transition and year, for the trends.
  public var transitionYears: [TransitionYear] = []
  /// With the store: what this run changed; nil for a run without one.
  public var delta: RunDelta?

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

/// A report written from the ledger alone, in chunks: the runner starts it on another
/// core while it aggregates, then lends its own thread to it.
public protocol LedgerReport: Report {
  func writer(ledger: Ledger, to path: String) throws -> OrderedChunkWriter
}

extension LedgerReport {
  /// Writes the report on the calling thread alone.
  public func write(ledger: Ledger, to path: String) throws {
    let writer = try writer(ledger: ledger, to: path)
    writer.work()
    try writer.finish()
  }

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
    TrendsCSVReport(),
    HTMLReport(),
  ]
}

/// What a run with the store changed, beside the cumulative picture its reports show.
public struct RunDelta: Sendable {
  public var storePath: String
  /// Active inputs in the store, this run's included.
  public var storedInputs = 0
  /// Inputs no published report counted before: ingested by this run, or by an earlier
  /// run that stopped before publishing.
  public var new: [String] = []
  /// The counts of those inputs' observations (superseded: by the time of this run).
  public var newCounts = Counts()
  /// Inputs found again with the same content (at the same path or another).
  public var unchanged = 0
  /// Files of this run with the same content as another file of this run (one input),
  /// each named with the file it copies.
  public var copies: [String] = []
  /// Paths whose earlier content this run replaced by a new one.
  public var replaced: [String] = []
  /// Inputs read again because the pipeline, catalog or tool version changed.
  public var renormalized: [String] = []
  /// Inputs passed over because their content was forgotten (`impact forget`).
  public var forgotten: [String] = []

  public init(storePath: String) { self.storePath = storePath }
}
