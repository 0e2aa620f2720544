/// The outcome of reading a number as partners write it.
public enum QuantityParseResult: Sendable, Equatable {
  case value(Quantity)
  /// Not a decimal number; the text says what was wrong.
  case invalid(String)
  /// A number too large to hold (more than about 9.2 × 10¹² units).
  case tooLarge
}

extension Quantity {
  /// Reads a decimal number from UTF-8 bytes.
  ///
  /// Accepted: an optional sign, digits, one decimal separator (`.` or `,`), and spaces,
  /// U+00A0 or U+202F between digits as thousands separators (groups of three after the
  /// first: `1 234 567,50`); surrounding blanks are ignored. Rejected: exponents,
  /// `nan`/`inf`, hexadecimal, several separators, a space that does not group thousands
  /// (`1 2` is two numbers, not twelve).
  public static func parse(_ bytes: UnsafeRawBufferPointer) -> QuantityParseResult {
    if let plain = parsePlain(bytes) { return .value(plain) }
    return parseAnyForm(bytes)
  }

  /// Reads a decimal number in any form `parse` accepts, the long way: what it gives for
  /// the common form (`parsePlain`) too.
  static func parseAnyForm(_ bytes: UnsafeRawBufferPointer) -> QuantityParseResult {
    var i = 0
    var end = bytes.count
    while i < end, let width = blankWidth(bytes, at: i) { i += width }
    while end > i, let width = blankWidthBefore(bytes, end: end) { end -= width }
    if i == end { return .invalid("empty value") }
    var negative = false
    let first = bytes[i]
    if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
      negative = first == UInt8(ascii: "-")
      i += 1
    }
    var whole: Int64 = 0
    var fraction: Int64 = 0
    var fractionDigits = 0
    var roundingTail: [UInt8] = []
    var sawDigit = false
    var sawSeparator = false
    var lastWasDigit = false
    /// Digits since the start or the last thousands separator, and whether there was one.
    var groupDigits = 0
    var grouped = false
    let badGrouping = QuantityParseResult.invalid("a space that does not separate thousands (write 1 234 567)")
    while i < end {
      let byte = bytes[i]
      if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
        let digit = Int64(byte - UInt8(ascii: "0"))
        sawDigit = true
        lastWasDigit = true
        groupDigits += 1
        if sawSeparator {
          if fractionDigits < 6 {
            fraction = fraction * 10 + digit
            fractionDigits += 1
          } else {
            roundingTail.append(byte)
          }
        } else {
          let (times, o1) = whole.multipliedReportingOverflow(by: 10)
          let (plus, o2) = times.addingReportingOverflow(digit)
          if o1 || o2 || plus > Int64.max / scale { return .tooLarge }
          whole = plus
        }
        i += 1
      } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") {
        if sawSeparator { return .invalid("more than one decimal separator") }
        if grouped && groupDigits != 3 { return badGrouping }
        sawSeparator = true
        lastWasDigit = false
        i += 1
      } else if let width = blankWidth(bytes, at: i), lastWasDigit, !sawSeparator {
        // A thousands separator sits between digits, after one to three of them, then
        // after groups of three; a tab separates nothing.
        let next = i + width
        guard next < end, bytes[next] >= UInt8(ascii: "0"), bytes[next] <= UInt8(ascii: "9"), bytes[i] != 0x09,
          grouped ? groupDigits == 3 : groupDigits <= 3
        else { return badGrouping }
        grouped = true
        groupDigits = 0
        lastWasDigit = false
        i = next
      } else {
        return .invalid("not a decimal number")
      }
    }
    if !sawDigit { return .invalid("no digits") }
    if grouped && !sawSeparator && groupDigits != 3 { return badGrouping }
    for _ in fractionDigits..<6 { fraction *= 10 }
    // The whole part is at most Int64.max / scale, but its fraction may still carry it past
    // Int64.max (9223372036854.775808).
    let (scaled, o1) = whole.multipliedReportingOverflow(by: scale)
    let (sum, o2) = scaled.addingReportingOverflow(fraction)
    if o1 || o2 { return .tooLarge }
    var micros = sum
    if let firstDropped = roundingTail.first {
      let restNonZero = roundingTail.dropFirst().contains { $0 != UInt8(ascii: "0") }
      if firstDropped > UInt8(ascii: "5")
        || (firstDropped == UInt8(ascii: "5") && (restNonZero || micros % 2 != 0))
      {
        let (bumped, overflow) = micros.addingReportingOverflow(1)
        if overflow { return .tooLarge }
        micros = bumped
      }
    }
    return .value(Quantity(micros: negative ? -micros : micros))
  }

  /// The value of the common form, `-` or nothing, 1 to 12 digits, then `.` or `,` and 1
  /// to 6 digits or nothing, in one pass with no overflow to check; nil for anything else
  /// (blanks, groups, signs, longer numbers, errors), which `parse` reads the long way.
  @inline(__always)
  static func parsePlain(_ bytes: UnsafeRawBufferPointer) -> Quantity? {
    let count = bytes.count
    guard count > 0, count <= 20 else { return nil }
    let negative = bytes[0] == UInt8(ascii: "-")
    var i = negative ? 1 : 0
    var whole: Int64 = 0
    let wholeStart = i
    while i < count {
      let digit = bytes[i] &- UInt8(ascii: "0")
      guard digit < 10 else { break }
      whole = whole &* 10 &+ Int64(digit)
      i += 1
    }
    guard i > wholeStart, i - wholeStart <= 12 else { return nil }
    var micros = whole &* scale
    if i < count {
      guard bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") else { return nil }
      i += 1
      let fractionStart = i
      var fraction: Int64 = 0
      while i < count {
        let digit = bytes[i] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        fraction = fraction &* 10 &+ Int64(digit)
        i += 1
      }
      let digits = i - fractionStart
      guard digits >= 1, digits <= 6 else { return nil }
      for _ in digits..<6 { fraction &*= 10 }
      micros &+= fraction
    }
    return Quantity(micros: negative ? -micros : micros)
  }

  /// Reads a decimal number from a string (see `parse(_:)` on bytes).
  public static func parse(_ text: String) -> QuantityParseResult {
    var copy = text
    return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
  }

  /// The width of a blank (space, tab, U+00A0, U+202F) starting at `i`, or nil.
  static func blankWidth(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int? {
    let byte = bytes[i]
    if byte == 0x20 || byte == 0x09 { return 1 }
    if byte == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0xA0 { return 2 }
    if byte == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xAF { return 3 }
    return nil
  }

  /// The width of a blank ending just before `end`, or nil.
  static func blankWidthBefore(_ bytes: UnsafeRawBufferPointer, end: Int) -> Int? {
    let byte = bytes[end - 1]
    if byte == 0x20 || byte == 0x09 { return 1 }
    if byte == 0xA0, end >= 2, bytes[end - 2] == 0xC2 { return 2 }
    if byte == 0xAF, end >= 3, bytes[end - 3] == 0xE2, bytes[end - 2] == 0x80 { return 3 }
    return nil
  }
}
