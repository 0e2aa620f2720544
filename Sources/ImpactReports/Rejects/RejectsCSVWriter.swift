import ImpactModel
import ImpactSupport

/// `rejects.csv`, written as the run goes: every observation not accepted, with its file,
/// line, field, value, reason code, a message saying what is wrong with this value, and
/// what to do about it in French and English.
public final class RejectsCSVWriter {
  public static let columns = [
    "source_file", "source_line", "partner_id", "response_id", "indicator", "field", "value", "reason", "message",
    "hint_fr", "hint_en",
  ]

  private let csv: CSVWriter
  /// The two hint cells of each reason met, escaped once: they are most of a row's bytes.
  private var hints: [(reason: RejectReason, cells: [UInt8])] = []
  /// The file cell of the row before, escaped: rows come file by file.
  private var lastFile: (name: String, cell: [UInt8])?

  public init(path: String) throws {
    csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
  }

  public func write(
    file: String, line: Int, partner: String, response: String, indicator: String, field: String, value: String,
    reason: RejectReason, message: String
  ) throws {
    if lastFile?.name != file { lastFile = (file, CSVWriter.escapedText(file)) }
    lastFile!.cell.withUnsafeBytes { csv.preformatted($0) }
    csv.integer(line)
    csv.text(partner)
    csv.text(response)
    csv.text(indicator)
    csv.text(field)
    csv.text(value)
    csv.text(reason.code)
    csv.text(message)
    let hint = hints.firstIndex { $0.reason == reason } ?? appendHints(of: reason)
    hints[hint].cells.withUnsafeBytes { csv.preformatted($0) }
    try csv.endRow()
  }

  private func appendHints(of reason: RejectReason) -> Int {
    hints.append((reason, CSVWriter.escapedCells([reason.hintFrench, reason.hintEnglish])))
    return hints.count - 1
  }

  public func close() throws { try csv.file.close() }
}
