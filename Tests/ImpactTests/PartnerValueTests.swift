import ImpactModel
import Testing

@Suite struct PartnerValueTests {
  func number(_ text: String, decimal: Character? = nil, thousands: Character? = nil) -> Quantity? {
    let style = PartnerValues.NumberStyle(decimal: decimal?.asciiValue, thousands: thousands?.asciiValue)
    return Array(text.utf8).withUnsafeBytes { try? PartnerValues.number($0, style: style).get().value }
  }

  @Test func readsNumbersAsPartnersWriteThem() {
    #expect(number("1 234,50 €") == Quantity(micros: 1_234_500_000))
    #expect(number("1\u{00A0}234,50\u{00A0}€") == Quantity(micros: 1_234_500_000))
    #expect(number("€ 12") == Quantity(units: 12))
    #expect(number("250 EUR") == Quantity(units: 250))
    #expect(number("12,5 %") == Quantity(micros: 125_000))
    #expect(number("45%") == Quantity(micros: 450_000))
    #expect(number("1.234,5", decimal: ",", thousands: ".") == Quantity(micros: 1_234_500_000))
    #expect(number("1,234.5", decimal: ".", thousands: ",") == Quantity(micros: 1_234_500_000))
    #expect(number("1.234,5") == nil)  // without the source saying so, two separators are ambiguous
    #expect(number("12.5", decimal: ",") == nil)
    // Two numbers in one cell are not one number: separators group thousands.
    #expect(number("0 5") == nil)
    #expect(number("1.2345,5", decimal: ",", thousands: ".") == nil)
    #expect(number("1 234 567 €") == Quantity(units: 1_234_567))
    #expect(number("n/a") == nil)
    #expect(number("") == nil)
  }

  @Test func readsAScoreOutOfAScale() throws {
    let result = try Array("3/5".utf8).withUnsafeBytes { try PartnerValues.number($0, style: .init()).get() }
    #expect(result.value == Quantity(units: 3))
    #expect(result.outOf == Quantity(units: 5))
  }

  @Test(arguments: [
    ("90", 90), ("1h30", 90), ("1 h 30", 90), ("1h30min", 90), ("16h", 960), ("1,5 h", 90), ("45min", 45),
    ("45 mn", 45), ("1:30", 90), ("0-30", 30), ("30-60", 60), ("60-90 min", 90), ("2H", 120),
  ])
  func readsDurationsInMinutes(text: String, minutes: Int64) {
    let parsed = Array(text.utf8).withUnsafeBytes { try? PartnerValues.durationMinutes($0).get() }
    #expect(parsed == Quantity(units: minutes), "\(text)")
  }

  @Test(arguments: ["", "abc", "1h3x", "30-", "60-30", "h"])
  func refusesWhatIsNotADuration(text: String) {
    #expect((Array(text.utf8).withUnsafeBytes { try? PartnerValues.durationMinutes($0).get() }) == nil, "\(text)")
  }

  @Test(arguments: [
    ("75011", "75"), ("20000", "2A"), ("20190", "2A"), ("20200", "2B"), ("20600", "2B"), ("97400", "974"),
    ("97600", "976"), ("1000", "01"), (" 69001 ", "69"),
  ])
  func resolvesPostalCodesToDepartements(code: String, departement: String) {
    let result = Array(code.utf8).withUnsafeBytes { PartnerValues.departementOfPostalCode($0, table: .france) }
    #expect((try? result.get()) == departement)
  }

  @Test(arguments: ["99999", "98000", "97500", "00100", "7501", "ABCDE", "750011"])
  func refusesPostalCodesOutsideTheDepartements(code: String) {
    let result = Array(code.utf8).withUnsafeBytes { PartnerValues.departementOfPostalCode($0, table: .france) }
    if code == "7501" {
      #expect((try? result.get()) == "07")  // a dropped leading zero: 07501
    } else {
      #expect((try? result.get()) == nil, "\(code)")
    }
  }
}

@Suite struct DateLayoutTests {
  func period(_ text: String, _ format: String, _ granularity: Period.Granularity?) -> String? {
    guard let layout = DateLayout(format) else { return nil }
    return Array(text.utf8).withUnsafeBytes { bytes in
      try? layout.read(bytes).flatMap { $0.periodText(at: granularity) }.get()
    }
  }

  @Test func readsTheLayoutsPartnersUse() {
    #expect(period("14/03/2024", "dd/MM/yyyy", .month) == "2024-03")
    #expect(period("14/03/2024", "dd/MM/yyyy", .quarter) == "2024-Q1")
    #expect(period("14/03/2024", "dd/MM/yyyy", nil) == "2024-03-14")
    #expect(period("4/3/2024", "d/M/yyyy", .day) == "2024-03-04")
    #expect(period("03/2024", "MM/yyyy", .month) == "2024-03")
    #expect(period("2024", "yyyy", .year) == "2024")
    #expect(period("2024-05-14T10:02:11.000+02:00", "iso", .quarter) == "2024-Q2")
    #expect(period("2024-12-31T23:30:00.000-05:00", "iso", .day) == "2024-12-31")
    #expect(period("T3 2024", "quarter", nil) == "2024-Q3")
    #expect(period("2024-Q4", "quarter", .year) == "2024")
    #expect(period("2024T2", "quarter", nil) == "2024-Q2")
  }

  @Test func refusesImpossibleDatesAndTooFineGranularities() {
    #expect(period("31/02/2024", "dd/MM/yyyy", .month) == nil)
    #expect(period("14/13/2024", "dd/MM/yyyy", .month) == nil)
    #expect(period("2024-03-14", "dd/MM/yyyy", .month) == nil)
    #expect(period("03/2024", "MM/yyyy", .day) == nil)
    #expect(period("T5 2024", "quarter", nil) == nil)
    #expect(period("2024-Q1", "quarter", .month) == nil)
  }

  @Test func refusesFormatsThatAreNotDates() {
    #expect(DateLayout("dd/MM/yyyy") != nil)
    #expect(DateLayout("banana") == nil)
    #expect(DateLayout("dd/yyyy") == nil)
    #expect(DateLayout("MM/dd") == nil)
  }
}
