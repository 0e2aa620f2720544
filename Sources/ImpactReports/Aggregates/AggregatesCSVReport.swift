import ImpactAggregation
import ImpactModel
import ImpactSupport

/// `aggregates.csv`: one row per group of each grouping set; dimensions outside the
/// grouping are empty cells. Values are in the catalog unit, after conversion.
public struct AggregatesCSVReport: Report {
  public static let columns = [
    "grouping", "indicator", "transition", "unit", "year", "departement", "region", "partner_id", "observations",
    "responses", "partners", "sum", "mean", "min", "max",
  ]

  public init() {}

  public var fileName: String { "aggregates.csv" }

  public func write(_ result: RunResult, to path: String) throws {
    let ledger = result.ledger
    let table = ledger.territoryTable
    let csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
    for row in result.rows {
      let indicator = ledger.catalog.indicators[row.indicator]
      csv.text(row.grouping.rawValue)
      csv.text(indicator.id)
      csv.text(indicator.transition.id)
      csv.text(indicator.unit)
      if let year = row.year { csv.integer(year) } else { csv.empty() }
      if let departement = row.departement { csv.text(table.departementCode(departement)) } else { csv.empty() }
      if let region = row.region { csv.text(table.regionCode(regionIndex: region)) } else { csv.empty() }
      if let partner = row.partner { csv.text(ledger.partners.string(of: partner)) } else { csv.empty() }
      csv.integer(row.statistics.observations)
      csv.integer(row.responses)
      csv.integer(row.partners)
      csv.number(micros: row.statistics.sum)
      csv.number(micros: row.statistics.meanMicros ?? 0)
      csv.number(micros: Int128(row.statistics.minimum.micros))
      csv.number(micros: Int128(row.statistics.maximum.micros))
      try csv.endRow()
    }
    try csv.file.close()
  }
}
