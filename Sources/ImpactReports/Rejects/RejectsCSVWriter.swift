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

  public init(path: String) throws {
    csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
  }

  public func write(
    file: String, line: Int, partner: String, response: String, indicator: String, field: String, value: String,
    reason: RejectReason, message: String
  ) throws {
    csv.text(file)
    csv.integer(line)
    csv.text(partner)
    csv.text(response)
    csv.text(indicator)
    csv.text(field)
    csv.text(value)
    csv.text(reason.code)
    csv.text(message)
    csv.text(reason.hintFrench)
    csv.text(reason.hintEnglish)
    try csv.endRow()
  }

  public func close() throws { try csv.file.close() }
}
