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
    let indicators = ledger.catalog.indicators
    let departementCodes = (0...table.departements.count).map { table.departementCode(Int16($0)) }
    let regionCodes = (0...table.departements.count).map { table.regionCode(Int16($0)) }
    for record in ledger.records where !record.superseded {
      let partner = ledger.partner(ofResponse: record.response)
      let period = ledger.periods[Int(record.period)]
      let territory = ledger.territories[Int(record.territory)]
      let indicator = indicators[Int(record.indicator)]
      ledger.partners.withBytes(of: partner) { csv.text(bytes: $0) }
      ledger.responses.withBytes(of: record.response) { csv.text(bytes: $0) }
      csv.text(period.text)
      csv.integer(period.year)
      csv.text(territory.code)
      csv.text(departementCodes[Int(territory.departement)])
      csv.text(regionCodes[Int(territory.departement)])
      csv.text(indicator.transition.id)
      csv.text(indicator.id)
      csv.number(micros: Int128(record.value.micros))
      csv.text(indicator.unit)
      csv.text(ledger.files[Int(record.file)])
      csv.integer(Int(record.line))
      try csv.endRow()
    }
    try csv.file.close()
  }
}
