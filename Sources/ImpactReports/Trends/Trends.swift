import ImpactAggregation
import ImpactModel

/// Year-over-year figures: per indicator the figure of each year (its sum, mean or
/// latest level, as its aggregation says), per transition its distinct responses and
/// partners; each against the previous year and two years before ("200 new partnerships,
/// twice as many as two years ago").
///
/// A comparison is left empty when the earlier year has no data: a year without
/// observations is unknown, not zero.
public struct Trends {
  /// One figure of one year and how it compares.
  public struct Point: Sendable {
    public let year: Int
    /// In micro-units.
    public let value: Int128
    public let previousYear: Int128?
    public let twoYearsBefore: Int128?

    public var changeFromPreviousYear: Int128? { previousYear.map { value - $0 } }
    public var changeFromTwoYearsBefore: Int128? { twoYearsBefore.map { value - $0 } }
    /// `value / previousYear` in micro-units; nil when there is nothing to divide by.
    public var ratioToPreviousYear: Int128? { Self.ratio(value, previousYear) }
    public var ratioToTwoYearsBefore: Int128? { Self.ratio(value, twoYearsBefore) }

    static func ratio(_ value: Int128, _ base: Int128?) -> Int128? {
      guard let base, base != 0 else { return nil }
      return Quantity.divideRounded(value * 1_000_000, by: base)
    }
  }

  /// A figure followed over the years.
  public struct Series: Sendable {
    /// `indicator` or `transition`.
    public let scope: String
    public let id: String
    public let transition: Transition
    /// `sum`, `mean`, `last` (an indicator's aggregation), `responses` or `partners`.
    public let measure: String
    /// The indicator's unit; `count` for a transition's figures.
    public let unit: String
    public let points: [Point]
  }

  public let series: [Series]

  public init(_ result: RunResult) {
    let catalog = result.ledger.catalog
    var byIndicator: [Int: [Int: Int128]] = [:]
    for row in result.rows where row.grouping == .indicatorYear {
      guard let year = row.year else { continue }
      let indicator = catalog.indicators[row.indicator]
      let value = indicator.aggregation == .mean ? (row.statistics.meanMicros ?? 0) : row.statistics.sum
      byIndicator[row.indicator, default: [:]][year] = value
    }
    var series: [Series] = []
    for (index, indicator) in catalog.indicators.enumerated() {
      guard let years = byIndicator[index] else { continue }
      series.append(
        Series(
          scope: "indicator", id: indicator.id, transition: indicator.transition,
          measure: indicator.aggregation.rawValue, unit: indicator.unit, points: Self.points(years)))
    }
    for transition in Transition.allCases {
      let years = result.transitionYears.filter { $0.transition == transition }
      guard !years.isEmpty else { continue }
      for (measure, value) in [("responses", \TransitionYear.responses), ("partners", \TransitionYear.partners)] {
        var values: [Int: Int128] = [:]
        for year in years { values[year.year] = Int128(year[keyPath: value]) * 1_000_000 }
        series.append(
          Series(
            scope: "transition", id: transition.id, transition: transition, measure: measure, unit: "count",
            points: Self.points(values)))
      }
    }
    self.series = series
  }

  static func points(_ values: [Int: Int128]) -> [Point] {
    values.keys.sorted().map { year in
      Point(year: year, value: values[year]!, previousYear: values[year - 1], twoYearsBefore: values[year - 2])
    }
  }
}
