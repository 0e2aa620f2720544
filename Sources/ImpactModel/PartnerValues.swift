/// Numbers, durations and postal codes as partners write them in their own exports.
public enum PartnerValues {
  /// How a source writes numbers.
  public struct NumberStyle: Sendable, Equatable {
    /// The decimal separator; nil accepts `.` and `,`.
    public var decimal: UInt8?
    /// A thousands separator besides blanks.
    public var thousands: UInt8?

    public init(decimal: UInt8? = nil, thousands: UInt8? = nil) {
      self.decimal = decimal
      self.thousands = thousands
    }
  }

  /// A number read from a partner's cell.
  public struct Number: Sendable, Equatable {
    public var value: Quantity
    /// Written `x/y`: the `y`, the scale the number is on.
    public var outOf: Quantity?
  }

  /// Reads `1 234,50 €`, `12,5 %` (a ratio: 0.125), `3/5` and plain decimals.
  private static let currencySuffixes = ["€", "EUR", "eur", "euros", "Euros"].map { Array($0.utf8) }

  public static func number(_ raw: UnsafeRawBufferPointer, style: NumberStyle) -> Result<Number, ConversionError> {
    var text = Array(raw)
    trimBlanks(&text)
    let written = text
    // Made only for a value that does not read.
    var shown: String { String(decoding: written, as: UTF8.self) }
    // Currency and percent signs at the end.
    var percent = false
    for suffix in currencySuffixes where text.count > suffix.count && text.suffix(suffix.count).elementsEqual(suffix) {
      text.removeLast(suffix.count)
      trimBlanks(&text)
      break
    }
    if text.last == UInt8(ascii: "%") {
      percent = true
      text.removeLast()
      trimBlanks(&text)
    }
    if text.first == 0xE2, text.count > 3, text[1] == 0x82, text[2] == 0xAC {  // a leading €
      text.removeFirst(3)
      trimBlanks(&text)
    }
    var outOf: Quantity?
    if let slash = text.firstIndex(of: UInt8(ascii: "/")) {
      let denominator = Array(text[(slash + 1)...])
      text = Array(text[..<slash])
      guard case .value(let scale) = denominator.withUnsafeBytes({ Quantity.parse($0) }), scale.micros > 0 else {
        return .failure(ConversionError(message: "'\(shown)' is not a number"))
      }
      outOf = scale
    }
    if let thousands = style.thousands {
      // Read as a space, so that groups of three are checked: `0.5` with `.` for
      // thousands is not 05.
      for index in text.indices where text[index] == thousands { text[index] = 0x20 }
    }
    if let decimal = style.decimal {
      let other = decimal == UInt8(ascii: ",") ? UInt8(ascii: ".") : UInt8(ascii: ",")
      if text.contains(other) {
        return .failure(
          ConversionError(
            message:
              "'\(shown)' uses '\(String(UnicodeScalar(other)))' but this source writes decimals with '\(String(UnicodeScalar(decimal)))'"
          ))
      }
    }
    switch text.withUnsafeBytes({ Quantity.parse($0) }) {
    case .value(var value):
      if percent {
        value = value.scaled(numerator: 1, denominator: 100) ?? value
      }
      return .success(Number(value: value, outOf: outOf))
    case .tooLarge:
      return .failure(ConversionError(message: "'\(shown)' is too large: values are at most 9 223 372 036 854"))
    case .invalid:
      return .failure(ConversionError(message: "'\(shown)' is not a number"))
    }
  }

  /// Reads a duration in minutes: `90`, `1h30`, `1 h 30`, `16h`, `1,5 h`, `45min`,
  /// `45 mn`, `1:30`, and the activity-report buckets `0-30` (counted as 30), `30-60`.
  public static func durationMinutes(_ raw: UnsafeRawBufferPointer) -> Result<Quantity, ConversionError> {
    var text = Array(raw).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    trimBlanks(&text)
    let shown = String(decoding: text, as: UTF8.self)
    let failure = Result<Quantity, ConversionError>.failure(
      ConversionError(message: "'\(shown)' is not a duration (such as 90, 1h30, 16h, 45min or 0-30)"))
    text.removeAll { $0 == 0x20 }
    func decimal(_ bytes: ArraySlice<UInt8>) -> Quantity? {
      guard !bytes.isEmpty, case .value(let value) = Array(bytes).withUnsafeBytes({ Quantity.parse($0) }) else {
        return nil
      }
      return value
    }
    // A bucket: its upper bound.
    if let dash = text.firstIndex(of: UInt8(ascii: "-")), dash > 0, let low = decimal(text[..<dash]) {
      var upper = text[(dash + 1)...]
      if upper.elementsEqual("min".utf8) || upper.isEmpty { return failure }
      for unit in ["min", "mn"] where upper.count > unit.count && upper.suffix(unit.count).elementsEqual(unit.utf8) {
        upper = upper.dropLast(unit.count)
      }
      guard let high = decimal(upper), high >= low else { return failure }
      return .success(high)
    }
    if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
      guard let hours = decimal(text[..<colon]), let minutes = decimal(text[(colon + 1)...]) else { return failure }
      return .success(Quantity(micros: hours.micros * 60 + minutes.micros))
    }
    if let h = text.firstIndex(of: UInt8(ascii: "h")) {
      guard let hours = decimal(text[..<h]) else { return failure }
      var rest = text[(h + 1)...]
      for unit in ["min", "mn"] where rest.suffix(unit.count).elementsEqual(unit.utf8) {
        rest = rest.dropLast(unit.count)
      }
      let minutes = rest.isEmpty ? Quantity.zero : decimal(rest)
      guard let minutes else { return failure }
      return .success(Quantity(micros: hours.micros * 60 + minutes.micros))
    }
    var minutes = text[...]
    for unit in ["minutes", "min", "mn", "m"]
    where minutes.count > unit.count && minutes.suffix(unit.count).elementsEqual(unit.utf8) {
      minutes = minutes.dropLast(unit.count)
      break
    }
    guard let value = decimal(minutes) else { return failure }
    return .success(value)
  }

  /// The département of a French postal code: its first two digits, but `20` splits
  /// into Corse-du-Sud (200xx, 201xx: 2A) and Haute-Corse (202xx–206xx: 2B), and overseas
  /// codes take three digits (974xx: 974). Monaco (980xx) and the Pacific (98xxx) have
  /// no département.
  public static func departementOfPostalCode(_ raw: UnsafeRawBufferPointer, table: TerritoryTable) -> Result<
    String, TerritoryError
  > {
    var text = Array(raw)
    trimBlanks(&text)
    if text.count == 4, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { text.insert(0x30, at: 0) }
    let shown = String(decoding: text, as: UTF8.self)
    guard text.count == 5, text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
      return .failure(TerritoryError(message: "'\(shown)' is not a postal code (five digits)"))
    }
    var code = String(decoding: text[0..<2], as: UTF8.self)
    if code == "20" {
      code = text[2] <= UInt8(ascii: "1") ? "2A" : "2B"
    } else if code == "97" {
      code = String(decoding: text[0..<3], as: UTF8.self)
    }
    guard case .success(let territory) = table.parseTerritory(code), territory.level == .departement else {
      return .failure(TerritoryError(message: "postal code '\(shown)' is in no French département"))
    }
    return .success(territory.code)
  }

  static func trimBlanks(_ text: inout [UInt8]) {
    func isBlank(_ bytes: ArraySlice<UInt8>) -> Int {
      if bytes.first == 0x20 || bytes.first == 0x09 { return 1 }
      if bytes.starts(with: [0xC2, 0xA0]) { return 2 }
      if bytes.starts(with: [0xE2, 0x80, 0xAF]) { return 3 }
      return 0
    }
    while !text.isEmpty {
      let width = isBlank(text[...])
      if width == 0 { break }
      text.removeFirst(width)
    }
    while let last = text.last {
      if last == 0x20 || last == 0x09 {
        text.removeLast()
      } else if text.count >= 2 && text.suffix(2).elementsEqual([0xC2, 0xA0]) {
        text.removeLast(2)
      } else if text.count >= 3 && text.suffix(3).elementsEqual([0xE2, 0x80, 0xAF]) {
        text.removeLast(3)
      } else {
        break
      }
    }
  }
}

/// Why a partner's value could not be converted.
public struct ConversionError: Error, Sendable, Equatable {
  public let message: String
  public init(message: String) { self.message = message }
}
