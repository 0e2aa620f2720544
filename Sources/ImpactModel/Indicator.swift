/// How the values of an indicator combine within a group.
public enum Aggregation: String, Sendable, CaseIterable {
  /// A flow: the amounts add up.
  case sum
  /// A score or a ratio: the figure reported is the mean.
  case mean
  /// A stock (a level at a date, such as advisors in post or loans outstanding): within a
  /// group, each partner's latest value per territory, summed.
  case last
}

/// A unit an indicator accepts besides its own, with the exact factor to its own unit.
///
/// The factor is a fraction so that `min` to `hour` (1/60) stays exact until the final
/// rounding to micro-units.
public struct UnitAlias: Sendable, Equatable {
  public let unit: String
  public let numerator: Int64
  public let denominator: Int64

  public init(unit: String, numerator: Int64, denominator: Int64) {
    self.unit = unit
    self.numerator = numerator
    self.denominator = denominator
  }
}

/// One entry of the indicator catalog.
public struct Indicator: Sendable, Equatable {
  public let id: String
  public let transition: Transition
  public let unit: String
  public let aggregation: Aggregation
  /// Values must be whole numbers.
  public let integer: Bool
  /// The smallest accepted value, in the catalog unit.
  public let minimum: Quantity?
  /// The largest accepted value, in the catalog unit.
  public let maximum: Quantity?
  public let aliases: [UnitAlias]
  public let labelFrench: String
  public let labelEnglish: String
  /// The IRIS+ metric code, where one matches; empty otherwise.
  public let irisCode: String

  public init(
    id: String, transition: Transition, unit: String, aggregation: Aggregation, integer: Bool,
    minimum: Quantity?, maximum: Quantity?, aliases: [UnitAlias], labelFrench: String,
    labelEnglish: String, irisCode: String
  ) {
    self.id = id
    self.transition = transition
    self.unit = unit
    self.aggregation = aggregation
    self.integer = integer
    self.minimum = minimum
    self.maximum = maximum
    self.aliases = aliases
    self.labelFrench = labelFrench
    self.labelEnglish = labelEnglish
    self.irisCode = irisCode
  }

  /// A human description of the accepted values, for reject messages.
  public var ruleDescription: String {
    var parts: [String] = []
    if integer { parts.append("a whole number") } else { parts.append("a number") }
    switch (minimum, maximum) {
    case (let low?, let high?): parts.append("from \(low) to \(high)")
    case (let low?, nil): parts.append(low == .zero ? "≥ 0" : "≥ \(low)")
    case (nil, let high?): parts.append("≤ \(high)")
    case (nil, nil): break
    }
    return parts.joined(separator: " ")
  }
}
