import ImpactModel
import ImpactSupport

/// `trends.csv`: one row per indicator or transition figure and year, with its change
/// against the previous year and two years before (see `Trends`).
public struct TrendsCSVReport: Report {
  public static let columns = [
    "scope", "id", "transition", "measure", "unit", "year", "value", "previous_year", "change_from_previous_year",
    "ratio_to_previous_year", "two_years_before", "change_from_two_years_before", "ratio_to_two_years_before",
  ]

  public init() {}

  public var fileName: String { "trends.csv" }

  public func write(_ result: RunResult, to path: String) throws {
    let csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
    for series in Trends(result).series {
      for point in series.points {
        csv.text(series.scope)
        csv.text(series.id)
        csv.text(series.transition.id)
        csv.text(series.measure)
        csv.text(series.unit)
        csv.integer(point.year)
        csv.number(micros: point.value)
        for value in [
          point.previousYear, point.changeFromPreviousYear, point.ratioToPreviousYear, point.twoYearsBefore,
          point.changeFromTwoYearsBefore, point.ratioToTwoYearsBefore,
        ] {
          if let value { csv.number(micros: value) } else { csv.empty() }
        }
        try csv.endRow()
      }
    }
    try csv.file.close()
  }
}
