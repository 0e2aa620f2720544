/// A reporting period: a year, a quarter, a month or a day.
public struct Period: Sendable, Equatable {
  public enum Granularity: String, Sendable {
    case year, quarter, month, day
  }

  /// The normalized text (`2023`, `2023-Q3`, `2023-07`, `2023-07-14`).
  public let text: String
  public let year: Int
  public let granularity: Granularity

  /// The last day of the period as `yyyyMMdd`, to order periods of any granularity.
  public var endOrdinal: Int {
    let parts = text.split(separator: "-")
    var month = 12
    var day = 31
    if granularity == .quarter, let quarter = Int(parts[1].dropFirst()) { month = quarter * 3 }
    if granularity == .month || granularity == .day, let value = Int(parts[1]) { month = value }
    if granularity == .day, let value = Int(parts[2]) {
      day = value
    } else {
      day = Period.daysIn(month: month, year: year)
    }
    return year * 10000 + month * 100 + day
  }

  /// Years outside this range are refused as typing mistakes.
  public static let years = 1900...2100

  /// Parses `YYYY`, `YYYY-Qn`, `YYYY-MM` or `YYYY-MM-DD` (a real calendar date).
  ///
  /// Blanks around the text are ignored and `q` is read as `Q`; nothing else is guessed.
  public static func parse(_ raw: UnsafeRawBufferPointer) -> Result<Period, PeriodError> {
    var start = 0
    var end = raw.count
    while start < end && (raw[start] == 0x20 || raw[start] == 0x09) { start += 1 }
    while end > start && (raw[end - 1] == 0x20 || raw[end - 1] == 0x09) { end -= 1 }
    let bytes = raw[start..<end].map { $0 == UInt8(ascii: "q") ? UInt8(ascii: "Q") : $0 }
    let text = String(decoding: bytes, as: UTF8.self)
    let expected = "use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD"
    func failure(_ why: String) -> Result<Period, PeriodError> { .failure(PeriodError(message: why)) }
    if bytes.isEmpty { return failure("the period is empty; \(expected)") }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for i in range {
        guard i < bytes.count, isDigit(bytes[i]) else { return nil }
        value = value * 10 + Int(bytes[i] - 48)
      }
      return value
    }
    guard bytes.count >= 4, let year = number(0..<4) else {
      return failure("'\(text)' does not start with a year; \(expected)")
    }
    guard years.contains(year) else {
      return failure("year \(year) is outside \(years.lowerBound)–\(years.upperBound)")
    }
    if bytes.count == 4 { return .success(Period(text: text, year: year, granularity: .year)) }
    guard bytes[4] == UInt8(ascii: "-") else { return failure("'\(text)' is not a period; \(expected)") }
    if bytes.count == 7 && bytes[5] == UInt8(ascii: "Q") {
      guard let quarter = number(6..<7), (1...4).contains(quarter) else {
        return failure("'\(text)' has no quarter 1 to 4")
      }
      return .success(Period(text: text, year: year, granularity: .quarter))
    }
    guard bytes.count == 7 || bytes.count == 10, let month = number(5..<7) else {
      return failure("'\(text)' is not a period; \(expected)")
    }
    guard (1...12).contains(month) else { return failure("'\(text)' has no month \(month)") }
    if bytes.count == 7 { return .success(Period(text: text, year: year, granularity: .month)) }
    guard bytes[7] == UInt8(ascii: "-"), let day = number(8..<10) else {
      return failure("'\(text)' is not a period; \(expected)")
    }
    guard day >= 1 && day <= daysIn(month: month, year: year) else {
      return failure("'\(text)' is not a calendar date")
    }
    return .success(Period(text: text, year: year, granularity: .day))
  }

  /// Parses a period from a string (see the byte version).
  public static func parse(_ text: String) -> Result<Period, PeriodError> {
    var copy = text
    return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
  }

  /// The number of days of a month in the Gregorian calendar.
  public static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}

/// Why a period was refused.
public struct PeriodError: Error, Sendable, Equatable {
  public let message: String
  public init(message: String) { self.message = message }
}
