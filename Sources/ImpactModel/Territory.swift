/// A territory code as the schema accepts it, parsed from bytes.
public struct Territory: Sendable, Equatable {
  /// What the code designates.
  public enum Level: Sendable, Equatable {
    case national
    case departement
    case commune
  }

  public let level: Level
  /// The normalized code: upper case, leading zero restored (`1053` → `01053`).
  public let code: String
  /// The département the code rolls up to (`TerritoryTable.national` for `FR`).
  public let departement: Int16
}

/// Why a territory code was refused.
public struct TerritoryError: Error, Sendable, Equatable {
  public let message: String
  public init(message: String) { self.message = message }
}

extension TerritoryTable {
  /// Parses an INSEE commune code, a département code or `FR`.
  ///
  /// Blanks around the code are ignored and `2a` is read as `2A`. A four-digit code is
  /// read as a commune code whose leading zero a spreadsheet dropped (`1053` → `01053`),
  /// a one-digit code as a département (`1` → `01`).
  public func parseTerritory(_ raw: UnsafeRawBufferPointer) -> Result<Territory, TerritoryError> {
    var start = 0
    var end = raw.count
    while start < end && (raw[start] == 0x20 || raw[start] == 0x09) { start += 1 }
    while end > start && (raw[end - 1] == 0x20 || raw[end - 1] == 0x09) { end -= 1 }
    var code = [UInt8](raw[start..<end])
    for i in code.indices where code[i] >= UInt8(ascii: "a") && code[i] <= UInt8(ascii: "z") {
      code[i] -= 32
    }
    if code.count == 4 || code.count == 1, code.allSatisfy(isDigit) { code.insert(UInt8(ascii: "0"), at: 0) }
    let text = String(decoding: code, as: UTF8.self)
    func failure(_ why: String) -> Result<Territory, TerritoryError> {
      .failure(TerritoryError(message: why))
    }
    switch code.count {
    case 0:
      return failure("the territory is empty")
    case 2 where code == [UInt8(ascii: "F"), UInt8(ascii: "R")]:
      return .success(Territory(level: .national, code: "FR", departement: national))
    case 2:
      let index = metropolitan(code[0], code[1])
      guard index >= 0 else {
        return failure("'\(text)' is not a département code: use 01–19, 2A, 2B, 21–95 or 971–976")
      }
      return .success(Territory(level: .departement, code: text, departement: index))
    case 3:
      guard code[0] == UInt8(ascii: "9"), code[1] == UInt8(ascii: "7") else {
        return failure("'\(text)' is not a département code; overseas départements are 971–976")
      }
      let index = overseas(code[2])
      guard index >= 0 else { return failure("'\(text)' is not an overseas département (971, 972, 973, 974, 976)") }
      return .success(Territory(level: .departement, code: text, departement: index))
    case 5:
      guard code[2...].allSatisfy(isDigit) else {
        return failure("'\(text)' is not an INSEE commune code (two digits or 2A/2B, then three digits)")
      }
      let index: Int16
      if code[0] == UInt8(ascii: "9") && code[1] == UInt8(ascii: "7") {
        index = overseas(code[2])
        guard index >= 0 else { return failure("'\(text)' is not in an overseas département (971xx–976xx, not 975xx)") }
      } else {
        index = metropolitan(code[0], code[1])
        guard index >= 0 else {
          let prefix = String(text.prefix(2))
          let corsica = prefix == "20" ? " (Corsican communes start with 2A or 2B)" : ""
          return failure("'\(text)' is not an INSEE commune code: '\(prefix)' is not a département\(corsica)")
        }
      }
      return .success(Territory(level: .commune, code: text, departement: index))
    default:
      return failure(
        "'\(text)' is neither an INSEE commune code (5 characters), a département code nor FR; a postal code needs a pipeline that maps it"
      )
    }
  }

  /// Parses a territory from a string (see the byte version).
  public func parseTerritory(_ text: String) -> Result<Territory, TerritoryError> {
    var copy = text
    return copy.withUTF8 { parseTerritory(UnsafeRawBufferPointer($0)) }
  }
}
