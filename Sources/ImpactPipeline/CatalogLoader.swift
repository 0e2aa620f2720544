import Foundation
import ImpactModel
import Yams

/// Reads an indicator catalog from YAML, checking every entry before giving up.
public enum CatalogLoader {
  static let entryKeys = [
    "id", "transition", "unit", "aggregation", "integer", "min", "max", "units", "label_fr", "label_en", "iris",
  ]

  /// The catalog at `path`, or every problem found in it.
  public static func load(path: String) -> Result<Catalog, DefinitionError> {
    var file = YAMLFile(path: path)
    guard let root = file.root, let top = file.mapping(root, "the catalog") else {
      return .failure(DefinitionError(problems: file.problems))
    }
    file.checkKeys(top, known: ["version", "indicators"], in: "the catalog")
    guard let list = top.first(where: { $0.key == "indicators" })?.value, let entries = list.sequence else {
      file.problem("missing_key", "the catalog needs an 'indicators' list", at: root, key: "indicators")
      return .failure(DefinitionError(problems: file.problems))
    }
    var indicators: [Indicator] = []
    var seen: Set<String> = []
    for entry in entries {
      guard let members = file.mapping(entry, "an indicator") else { continue }
      file.checkKeys(members, known: entryKeys, in: "an indicator")
      func value(_ key: String) -> Node? { members.first { $0.key == key }?.value }
      func required(_ key: String) -> String? {
        guard let text = file.string(value(key), key: key), !text.isEmpty else {
          file.problem("missing_key", "an indicator needs '\(key)'", at: entry, key: key)
          return nil
        }
        return text
      }
      let id = required("id")
      let transitionText = required("transition")
      let unit = required("unit")
      let labelFrench = required("label_fr")
      let labelEnglish = required("label_en")
      var transition: Transition?
      if let transitionText {
        transition = Transition(rawValue: transitionText)
        if transition == nil {
          file.problem(
            "unknown_transition",
            "'\(transitionText)' is not a transition; use \(Transition.allCases.map(\.id).joined(separator: ", "))",
            at: value("transition"), key: "transition")
        }
      }
      if let id {
        if !seen.insert(id).inserted {
          file.problem("duplicate_id", "indicator '\(id)' is defined twice", at: value("id"), key: "id")
        }
        let valid = id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == ".") }
        if !valid || (transition.map { !id.hasPrefix($0.id + ".") } ?? false) {
          file.problem(
            "invalid_id", "'\(id)' must read <transition>.<name> in lower case, with its transition as prefix",
            at: value("id"), key: "id")
        }
      }
      var aggregation = Aggregation.sum
      if let text = file.string(value("aggregation"), key: "aggregation") {
        if let parsed = Aggregation(rawValue: text) {
          aggregation = parsed
        } else {
          file.problem(
            "invalid_aggregation", "'\(text)' is not an aggregation; use sum, mean or last", at: value("aggregation"),
            key: "aggregation")
        }
      }
      var integer = false
      if let node = value("integer") {
        if let flag = node.bool {
          integer = flag
        } else {
          file.problem("wrong_type", "'integer' is true or false", at: node, key: "integer")
        }
      }
      func bound(_ key: String) -> Quantity? {
        guard let text = file.string(value(key), key: key) else { return nil }
        if case .value(let quantity) = Quantity.parse(text) { return quantity }
        file.problem("invalid_number", "'\(key)' must be a number, not '\(text)'", at: value(key), key: key)
        return nil
      }
      let minimum = bound("min")
      let maximum = bound("max")
      if let minimum, let maximum, minimum > maximum {
        file.problem("invalid_range", "min \(minimum) is above max \(maximum)", at: value("min"), key: "min")
      }
      var aliases: [UnitAlias] = []
      if let node = value("units"), let units = file.mapping(node, "'units'") {
        for member in units {
          guard let text = file.string(member.value, key: member.key), let factor = parseFactor(text) else {
            file.problem(
              "invalid_factor",
              "the factor of unit '\(member.key)' must be a positive number or fraction such as 1000 or 1/60",
              at: member.value, key: member.key)
            continue
          }
          aliases.append(UnitAlias(unit: member.key, numerator: factor.0, denominator: factor.1))
        }
      }
      let iris = file.string(value("iris"), key: "iris") ?? ""
      if let id, let transition, let unit, let labelFrench, let labelEnglish {
        indicators.append(
          Indicator(
            id: id, transition: transition, unit: unit, aggregation: aggregation, integer: integer, minimum: minimum,
            maximum: maximum, aliases: aliases, labelFrench: labelFrench, labelEnglish: labelEnglish, irisCode: iris))
      }
    }
    if entries.isEmpty { file.problem("empty_catalog", "the catalog lists no indicator", at: list) }
    if indicators.count > 4000 { file.problem("too_many", "a catalog holds at most 4000 indicators", at: list) }
    guard file.problems.isEmpty else { return .failure(DefinitionError(problems: file.problems)) }
    return .success(Catalog(indicators: indicators))
  }

  /// `1000` → 1000/1, `1/60` → 1/60, `0.001` → 1/1000; nil unless positive.
  static func parseFactor(_ text: String) -> (Int64, Int64)? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    if parts.count == 2 {
      guard let numerator = Int64(parts[0].trimmingCharacters(in: .whitespaces)),
        let denominator = Int64(parts[1].trimmingCharacters(in: .whitespaces)), numerator > 0, denominator > 0
      else { return nil }
      return (numerator, denominator)
    }
    guard parts.count == 1, case .value(let quantity) = Quantity.parse(text), quantity.micros > 0 else { return nil }
    let divisor = gcd(quantity.micros, Quantity.scale)
    return (quantity.micros / divisor, Quantity.scale / divisor)
  }

  private static func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
}

/// A definition (pipeline or catalog) that cannot be used, with every problem found.
public struct DefinitionError: Error, CustomStringConvertible {
  public let problems: [Problem]

  public init(problems: [Problem]) { self.problems = problems }

  public var description: String { problems.map(\.description).joined(separator: "\n") }
}
