import ImpactAggregation
import ImpactModel
import ImpactSupport

/// `records.csv`: every accepted observation, normalized, in input order, with the file
/// and line it came from.
public struct RecordsCSVReport: Report {
  public static let columns = [
    "partner_id", "response_id", "period", "year", "territory", "departement", "region", "transition", "indicator",
    "value", "unit", "source_file", "source_line",
  ]

  public init() {}

  public var fileName: String { "records.csv" }

  public func write(_ result: RunResult, to path: String) throws {
    let ledger = result.ledger
    let table = ledger.territoryTable
    let csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
    // Everything but the response id and the value repeats: escape it once per id.
    let partners = ByteChunks(
      (0..<Int32(ledger.partners.count)).map { CSVWriter.escapedText(ledger.partners.string(of: $0)) })
    let periods = ByteChunks(ledger.periods.map { CSVWriter.escapedCells([$0.text, String($0.year)]) })
    let territories = ByteChunks(
      ledger.territories.map {
        CSVWriter.escapedCells([$0.code, table.departementCode($0.departement), table.regionCode($0.departement)])
      })
    let indicators = ByteChunks(ledger.catalog.indicators.map { CSVWriter.escapedCells([$0.transition.id, $0.id]) })
    let units = ByteChunks(ledger.catalog.indicators.map { CSVWriter.escapedText($0.unit) })
    let files = ByteChunks(ledger.files.map { CSVWriter.escapedText($0) })
    for record in ledger.records where !record.superseded {
      csv.preformatted(partners[Int(ledger.partner(ofResponse: record.response))])
      ledger.responses.withBytes(of: record.response) { csv.text(bytes: $0) }
      csv.preformatted(periods[Int(record.period)])
      csv.preformatted(territories[Int(record.territory)])
      csv.preformatted(indicators[Int(record.indicator)])
      csv.number(micros: Int128(record.value.micros))
      csv.preformatted(units[Int(record.indicator)])
      csv.preformatted(files[Int(record.file)])
      csv.integer(Int(record.line))
      try csv.endRow()
    }
    try csv.file.close()
  }
}
