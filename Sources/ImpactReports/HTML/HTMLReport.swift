import Foundation
import ImpactSupport

/// `report.html`: the run as one page for people, in French with an English switch:
/// counts and accounting check, inputs, per transition its indicators and charts by
/// région, year and partner, and the rejects by reason and partner with what to fix.
///
/// The page is self-contained (inline style and SVG, no fetch of any kind) and reads
/// without JavaScript. Rejects by reason and partner come from the runner's tally, or are
/// counted from the `rejects.csv` beside `path` when the result has none.
/// Figures are the exact decimals of the other reports, grouped by thousands.
public struct HTMLReport: Report {
  public init() {}

  public var fileName: String { "report.html" }

  public func write(_ result: RunResult, to path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    let rejects = result.rejectsTally ?? RejectsTally(path: (folder.isEmpty ? "." : folder) + "/rejects.csv")
    let file = try OutputFile(path: path)
    try file.write(ReportPage(result: result, rejects: rejects).render())
    try file.close()
  }
}
