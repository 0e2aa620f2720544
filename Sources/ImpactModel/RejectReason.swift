/// Why an observation was not accepted. The raw values are stable codes, written to
/// `rejects.csv` and counted in `summary.json`.
public enum RejectReason: String, CaseIterable, Sendable, Codable, Comparable {
  case missingField = "missing_field"
  case unknownIndicator = "unknown_indicator"
  case invalidValue = "invalid_value"
  case outOfRange = "out_of_range"
  case invalidTerritory = "invalid_territory"
  case invalidPeriod = "invalid_period"
  case invalidUnit = "invalid_unit"
  case malformedRow = "malformed_row"
  case malformedFile = "malformed_file"
  case superseded

  /// The stable code.
  public var code: String { rawValue }

  public static func < (lhs: RejectReason, rhs: RejectReason) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}

/// Where a problem was found: a file, a line, and a field (a column name or an XML path).
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
  public let file: String
  /// 1-based; 0 when the problem concerns the whole file.
  public let line: Int
  public let field: String

  public init(file: String, line: Int, field: String = "") {
    self.file = file
    self.line = line
    self.field = field
  }

  public var description: String {
    var text = file
    if line > 0 { text += ":\(line)" }
    if !field.isEmpty { text += " (\(field))" }
    return text
  }
}

/// A problem found in a definition or a file, collected as a value rather than thrown, so
/// that every problem is reported before anything stops.
public struct Problem: Sendable, Equatable, CustomStringConvertible {
  public let code: String
  public let message: String
  public let position: SourcePosition

  public init(code: String, message: String, position: SourcePosition) {
    self.code = code
    self.message = message
    self.position = position
  }

  public var description: String { "\(position): \(code): \(message)" }
}
