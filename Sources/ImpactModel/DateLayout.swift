/// How a source writes its dates: a pattern such as `dd/MM/yyyy`, ISO dates and
/// date-times (`iso`, as ODK writes them), or quarters (`quarter`: `2024-Q1`, `T1 2024`).
///
/// Dates are read from bytes by position, not with `DateFormatter`: millions per second,
/// and no locale or time-zone surprises. An ISO date-time keeps the date as written in
/// its own time zone, which is the day the survey was answered.
public enum DateLayout: Sendable, Equatable {
  case pattern([DateToken])
  case iso
  case quarter

  /// A layout from its text in a pipeline file, or nil when it is not one.
  public init?(_ text: String) {
    switch text {
    case "iso": self = .iso
    case "quarter": self = .quarter
    default:
      var tokens: [DateToken] = []
      var rest = Substring(text)
      let names: [(String, DateToken)] = [
        ("yyyy", .year4), ("yy", .year2), ("MM", .month2), ("M", .month), ("dd", .day2), ("d", .day),
      ]
      while !rest.isEmpty {
        if let (name, token) = names.first(where: { rest.hasPrefix($0.0) }) {
          tokens.append(token)
          rest = rest.dropFirst(name.count)
        } else if let first = rest.first, !first.isLetter, first.isASCII {
          tokens.append(.literal(first.asciiValue!))
          rest = rest.dropFirst()
        } else {
          return nil
        }
      }
      guard tokens.contains(.year4) || tokens.contains(.year2) else { return nil }
      let hasDay = tokens.contains(.day) || tokens.contains(.day2)
      let hasMonth = tokens.contains(.month) || tokens.contains(.month2)
      if hasDay && !hasMonth { return nil }
      self = .pattern(tokens)
    }
  }

  /// Reads a calendar position (year, and month, day or quarter where the layout has
  /// them) from bytes.
  public func read(_ raw: UnsafeRawBufferPointer) -> Result<CalendarPosition, PeriodError> {
    var bytes = Array(raw)
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
    // Made only for a date that does not read.
    var text: String { String(decoding: bytes, as: UTF8.self) }
    func failure() -> Result<CalendarPosition, PeriodError> {
      .failure(PeriodError(message: "'\(text)' does not read as \(self)"))
    }
    var position = CalendarPosition(year: 0)
    switch self {
    case .iso:
      guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
        let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
        bytes.count == 10 || bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ")
      else { return failure() }
      position = CalendarPosition(year: year, month: month, day: day)
    case .quarter:
      // 2024-Q1, 2024Q1, 2024-T1, T1 2024, Q1-2024, 1T2024 (lower case too): the year,
      // and what is left once separators go is Q or T beside one digit 1 to 4.
      let upper = bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }
      guard let yearStart = upper.indices.first(where: { digits(upper, $0, 4) != nil }),
        let year = digits(upper, yearStart, 4)
      else { return failure() }
      let rest = (upper[..<yearStart] + upper[(yearStart + 4)...]).filter {
        $0 != 0x20 && $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "_")
      }
      let markers: [UInt8] = [UInt8(ascii: "Q"), UInt8(ascii: "T")]
      guard rest.count == 2 else { return failure() }
      let digit = markers.contains(rest[0]) ? rest[1] : markers.contains(rest[1]) ? rest[0] : 0
      guard digit >= UInt8(ascii: "1") && digit <= UInt8(ascii: "4") else { return failure() }
      let quarter = Int(digit - 0x30)
      position = CalendarPosition(year: year, quarter: quarter)
    case .pattern(let tokens):
      var index = 0
      var year: Int?
      var month: Int?
      var day: Int?
      for token in tokens {
        switch token {
        case .literal(let byte):
          guard index < bytes.count, bytes[index] == byte else { return failure() }
          index += 1
        case .year4:
          guard let value = digits(bytes, index, 4) else { return failure() }
          year = value
          index += 4
        case .year2:
          guard let value = digits(bytes, index, 2) else { return failure() }
          year = 2000 + value
          index += 2
        case .month2, .day2:
          guard let value = digits(bytes, index, 2) else { return failure() }
          if token == .month2 { month = value } else { day = value }
          index += 2
        case .month, .day:
          guard let first = digits(bytes, index, 1) else { return failure() }
          var value = first
          index += 1
          if let second = digits(bytes, index, 1) {
            value = value * 10 + second
            index += 1
          }
          if token == .month { month = value } else { day = value }
        }
      }
      guard index == bytes.count, let year else { return failure() }
      position = CalendarPosition(year: year, month: month, day: day)
    }
    if let month = position.month, !(1...12).contains(month) {
      return .failure(PeriodError(message: "'\(text)' has no month \(month)"))
    }
    if let day = position.day, let month = position.month,
      !(1...Period.daysIn(month: month, year: position.year)).contains(day)
    {
      return .failure(PeriodError(message: "'\(text)' is not a calendar date"))
    }
    guard Period.years.contains(position.year) else {
      return .failure(PeriodError(message: "year \(position.year) in '\(text)' is outside \(Period.years)"))
    }
    return .success(position)
  }

  private func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
    guard start >= 0, start + count <= bytes.count else { return nil }
    var value = 0
    for index in start..<start + count {
      let byte = bytes[index]
      guard byte >= 0x30 && byte <= 0x39 else { return nil }
      value = value * 10 + Int(byte - 0x30)
    }
    return value
  }
}

extension DateLayout: CustomStringConvertible {
  public var description: String {
    switch self {
    case .iso: return "an ISO date (yyyy-MM-dd, optionally with a time)"
    case .quarter: return "a quarter (2024-Q1, T1 2024)"
    case .pattern(let tokens):
      return tokens.map { token -> String in
        switch token {
        case .year4: "yyyy"
        case .year2: "yy"
        case .month2: "MM"
        case .month: "M"
        case .day2: "dd"
        case .day: "d"
        case .literal(let byte): String(UnicodeScalar(byte))
        }
      }.joined()
    }
  }
}

/// One element of a date pattern.
public enum DateToken: Sendable, Equatable {
  case year4, year2, month2, month, day2, day
  case literal(UInt8)
}

/// A year, and the month, day or quarter a date gave.
public struct CalendarPosition: Sendable, Equatable {
  public var year: Int
  public var month: Int?
  public var day: Int?
  public var quarter: Int?

  public init(year: Int, month: Int? = nil, day: Int? = nil, quarter: Int? = nil) {
    self.year = year
    self.month = month
    self.day = day
    self.quarter = quarter
  }

  /// The canonical period text at `granularity` (the finest available when nil), or why
  /// the position is too coarse for it.
  public func periodText(at granularity: Period.Granularity?) -> Result<String, PeriodError> {
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
    let finest: Period.Granularity = day != nil ? .day : month != nil ? .month : quarter != nil ? .quarter : .year
    switch granularity ?? finest {
    case .year:
      return .success(String(year))
    case .quarter:
      guard let quarter = quarter ?? month.map({ ($0 - 1) / 3 + 1 }) else { break }
      return .success("\(year)-Q\(quarter)")
    case .month:
      guard let month else { break }
      return .success("\(year)-\(two(month))")
    case .day:
      guard let month, let day else { break }
      return .success("\(year)-\(two(month))-\(two(day))")
    }
    return .failure(PeriodError(message: "the date gives no \((granularity ?? finest).rawValue)"))
  }
}
