import Testing

@testable import ImpactModel

@Suite struct QuantityTests {
  @Test(arguments: [
    ("12", 12_000_000), ("12,5", 12_500_000), ("12.5", 12_500_000), ("1 234,50", 1_234_500_000),
    ("1\u{00A0}234,50", 1_234_500_000), ("1\u{202F}234.5", 1_234_500_000), ("  7  ", 7_000_000),
    ("-3", -3_000_000), ("+4", 4_000_000), ("0.1234565", 123_456), ("0.1234575", 123_458),
    ("0.12345651", 123_457), (",5", 500_000), ("5.", 5_000_000), ("12 345 678", 12_345_678_000_000),
    ("-1 000,5", -1_000_500_000), ("999 999", 999_999_000_000),
  ])
  func parsesNumbersAsPartnersWriteThem(text: String, micros: Int64) {
    #expect(Quantity.parse(text) == .value(Quantity(micros: micros)))
  }

  @Test(arguments: [
    "nan", "inf", "1e5", "0x1p4", "1.234,5", "12 %", "abc", "", "  ", "1 ", "- 3", "1  234", "€12", "1,2,3",
    // Spaces that do not group thousands: two numbers in one cell, not one.
    "1 2", "12 3", "0 5", "1 2345", "12 345 6", "1234 567", "1 23,5", "1\t234",
  ])
  func refusesWhatIsNotADecimalNumber(text: String) {
    if case .value(let value) = Quantity.parse(text) {
      // "1 " is a number with a trailing blank: trimmed, it is fine.
      #expect(text == "1 " && value == Quantity(units: 1), "'\(text)' was read as \(value)")
    }
  }

  @Test func refusesNumbersTooLargeToHold() {
    #expect(Quantity.parse("1e400") != .value(Quantity(units: 1)))
    #expect(Quantity.parse("99999999999999999999") == .tooLarge)
    #expect(Quantity.parse("9223372036855") == .tooLarge)
    // The largest whole part with a fraction that carries it past Int64.max: refused, not a
    // crash of the run; the largest amount that fits is read.
    #expect(Quantity.parse("9223372036854.775808") == .tooLarge)
    #expect(Quantity.parse("-9223372036854,9") == .tooLarge)
    #expect(Quantity.parse("9223372036854.7758075") == .tooLarge)
    #expect(Quantity.parse("9223372036854.775807") == .value(Quantity(micros: .max)))
  }

  @Test func formatsWithoutFloatingPointNoise() {
    var sum: Int128 = 0
    for _ in 0..<3 {
      if case .value(let value) = Quantity.parse("0.1") { sum += Int128(value.micros) }
    }
    #expect(Quantity.format(micros: sum) == "0.3")
    #expect(Quantity(micros: -1_500_000).description == "-1.5")
    #expect(Quantity(micros: 1).description == "0.000001")
    #expect(Quantity(micros: 120_000_000).description == "120")
  }

  @Test func sumsOfMoneyStayExactToTheCent() {
    // A million amounts of 0.01 € and 1 234 567.89 €: exact, where Double drifts.
    var sum: Int128 = 0
    var double = 0.0
    for index in 0..<1_000_000 {
      let text = index % 2 == 0 ? "0,01" : "1234567,89"
      guard case .value(let value) = Quantity.parse(text) else {
        Issue.record("unparsed")
        return
      }
      sum += Int128(value.micros)
      double += Double(text.replacingOccurrences(of: ",", with: "."))!
    }
    #expect(Quantity.format(micros: sum) == "617283950000")
    #expect(double != 617_283_950_000)  // Double drifts by about 9 €
  }

  @Test func convertsUnitsExactlyThenRounds() {
    let minutes = Quantity(units: 90)
    #expect(minutes.scaled(numerator: 1, denominator: 60) == Quantity(micros: 1_500_000))
    #expect(Quantity(units: 1).scaled(numerator: 1, denominator: 60) == Quantity(micros: 16_667))
    #expect(Quantity(micros: 2_500_000).scaled(numerator: 1000, denominator: 1) == Quantity(units: 2500))
    #expect(Quantity(micros: .max).scaled(numerator: 1000, denominator: 1) == nil)
  }
}

@Suite struct QuantityFastPathTests {
  /// The common form read in one pass (`parsePlain`) gives what the long way gives, and
  /// leaves every other text to it.
  @Test func theCommonFormReadsAsTheLongWayReadsIt() {
    var generator = SystemRandomNumberGenerator()
    let pieces = ["0", "1", "5", "9", "-", "+", ".", ",", " ", "00", "999999", "1234567", "\u{00A0}", "e", "x"]
    var plain = 0
    for _ in 0..<50_000 {
      var text = ""
      for _ in 0..<Int.random(in: 1...7, using: &generator) { text += pieces.randomElement(using: &generator)! }
      var copy = text
      copy.withUTF8 { utf8 in
        let bytes = UnsafeRawBufferPointer(utf8)
        let longWay = Quantity.parseAnyForm(bytes)
        if let fast = Quantity.parsePlain(bytes) {
          plain += 1
          #expect(longWay == .value(fast), "'\(text)'")
        }
        #expect(Quantity.parse(bytes) == longWay, "'\(text)'")
      }
    }
    // The draw makes plain numbers often enough for the comparison to mean something.
    #expect(plain > 1_000)
    for text in ["0", "-0", "12", "1.96", "-144", "999999999999.999999", "0,000001", "123456789012"] {
      var copy = text
      copy.withUTF8 { #expect(Quantity.parsePlain(UnsafeRawBufferPointer($0)) != nil, "'\(text)'") }
    }
  }
}

@Suite struct QuantityTextTests {
  /// The text of `micros` made from the standard library's integer text: whole part, and
  /// six decimals with their trailing zeros dropped.
  static func reference(_ micros: Int128) -> String {
    let magnitude = micros.magnitude
    var fraction = String(magnitude % 1_000_000)
    fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return (micros < 0 ? "-" : "") + String(magnitude / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
  }

  /// Amounts and sums, in 64-bit arithmetic where they fit and past it where they do not,
  /// read as the standard library writes their parts.
  @Test func amountsAndSumsReadAsTheirDigits() {
    var generator = SystemRandomNumberGenerator()
    var values: [Int64] = [0, 1, -1, 10, 1_000_000, -1_000_000, 1_500_000, 123_456, 100_000, .max, .min, .min + 1]
    for _ in 0..<20_000 {
      let magnitude = Int64.random(in: 0...Int64.max, using: &generator) >> Int.random(in: 0...62, using: &generator)
      values.append(Bool.random(using: &generator) ? magnitude : -magnitude)
    }
    for micros in values {
      #expect(Quantity(micros: micros).description == Self.reference(Int128(micros)), "\(micros)")
    }
    var sums: [Int128] = [Int128(Int64.max) + 1, Int128(Int64.min) - 1, .max, .min + 1]
    for micros in values.prefix(2_000) { sums.append(Int128(micros) * 1_000_003 + Int128(micros)) }
    for sum in sums { #expect(Quantity.format(micros: sum) == Self.reference(sum), "\(sum)") }
    #expect(Quantity(micros: -1_500_000).description == "-1.5")
    #expect(Quantity(micros: 1_960_000).description == "1.96")
    #expect(Quantity(micros: 7).description == "0.000007")
  }
}
