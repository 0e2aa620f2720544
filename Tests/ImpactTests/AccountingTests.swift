import Foundation
import ImpactAggregation
import ImpactModel
import ImpactPipeline
import Testing

/// Random inputs: every observation is accounted for, and the grouping sets match a
/// brute-force computation over the accepted records.
@Suite struct AccountingTests {
  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let territories = ["75056", "69123", "2A004", "97411", "33", "2B", "FR", "13055", "59350", "974"]
  static let periods = ["2022", "2023-Q2", "2023-07", "2024-02-29", "2021"]
  static let indicators = [
    "social.beneficiaries", "social.satisfaction", "environmental.co2_avoided", "digital_inclusion.mediation_hours",
    "territorial.partnerships",
  ]
  static let broken = ["n/a", "-4", "12,5,0", "", "1e3"]

  func makeFiles(seed: UInt64, in folder: TemporaryDirectory) -> [String] {
    var random = Generator(state: seed)
    var files: [String] = []
    for file in 0..<Int.random(in: 1...4, using: &random) {
      var text = canonicalHeader
      for _ in 0..<Int.random(in: 0...300, using: &random) {
        let partner = "p\(Int.random(in: 0..<6, using: &random))"
        let response = "r\(Int.random(in: 0..<40, using: &random))"
        let indicator = Self.indicators.randomElement(using: &random)!
        var value =
          indicator == "social.satisfaction"
          ? String(Int.random(in: 1...5, using: &random))
          : "\(Int.random(in: 0...999, using: &random)),\(Int.random(in: 0...99, using: &random))"
        if indicator == "social.beneficiaries" || indicator == "territorial.partnerships" {
          value = String(Int.random(in: 0...500, using: &random))
        }
        var territory = Self.territories.randomElement(using: &random)!
        var period = Self.periods.randomElement(using: &random)!
        switch Int.random(in: 0..<20, using: &random) {
        case 0: value = Self.broken.randomElement(using: &random)!
        case 1: territory = "20"
        case 2: period = "2023-02-30"
        default: break
        }
        text += "\(partner),\(response),\(period),\(territory),\(indicator),\"\(value)\",\n"
      }
      files.append(folder.write("in-\(seed)-\(file).csv", text))
    }
    return files
  }

  @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
  func accountsForEveryObservationAndAggregatesExactly(seed: UInt64) throws {
    let folder = TemporaryDirectory()
    let files = makeFiles(seed: seed, in: folder)
    let (result, events) = try ingest(files, workers: Int(seed % 3) + 1)
    let counts = result.counts
    #expect(counts.balances)
    #expect(counts.rejected + counts.superseded == events.count)
    #expect(counts.read == result.inputs.reduce(0) { $0 + $1.read })

    // Brute force: the last occurrence of each key among the accepted records.
    let ledger = result.ledger
    var last: [String: LedgerRecord] = [:]
    for record in ledger.records {
      let key =
        "\(ledger.partner(ofResponse: record.response))/\(ledger.responses.string(of: record.response))/\(record.indicator)"
      last[key] = record
    }
    #expect(last.count == counts.accepted)

    var aggregator = GroupingSetAggregator(ledger: ledger)
    aggregator.addAll()
    let rows = aggregator.rows()
    let table = ledger.territoryTable
    for grouping in Grouping.allCases {
      var expected: [String: (count: Int, sum: Int128, responses: Set<Int32>, partners: Set<Int32>)] = [:]
      for record in last.values {
        let year = ledger.periods[Int(record.period)].year
        let departement = ledger.territories[Int(record.territory)].departement
        let partner = ledger.partner(ofResponse: record.response)
        var key = "\(record.indicator)"
        switch grouping {
        case .indicator: break
        case .indicatorYear: key += "/\(year)"
        case .indicatorRegion: key += "/r\(table.regionIndex(departement))"
        case .indicatorDepartement: key += "/d\(departement)"
        case .indicatorPartner: key += "/p\(partner)"
        case .indicatorYearRegion: key += "/\(year)/r\(table.regionIndex(departement))"
        }
        var entry = expected[key] ?? (0, 0, [], [])
        entry.count += 1
        entry.sum += Int128(record.value.micros)
        entry.responses.insert(record.response)
        entry.partners.insert(partner)
        expected[key] = entry
      }
      let actual = rows.filter { $0.grouping == grouping }
      #expect(actual.count == expected.count, "\(grouping)")
      for row in actual {
        var key = "\(row.indicator)"
        if let year = row.year { key += "/\(year)" }
        if let region = row.region { key += "/r\(region)" }
        if let departement = row.departement { key += "/d\(departement)" }
        if let partner = row.partner { key += "/p\(partner)" }
        guard let entry = expected[key] else {
          Issue.record("unexpected group \(key) in \(grouping)")
          continue
        }
        #expect(row.statistics.observations == entry.count)
        #expect(row.statistics.sum == entry.sum)
        #expect(row.responses == entry.responses.count)
        #expect(row.partners == entry.partners.count)
      }
    }
  }

  /// A cell's sum goes past 64 bits exactly: a group's sum, minimum and maximum are those
  /// of its values, whatever their size.
  @Test func sumsPastSixtyFourBitsStayExact() throws {
    let folder = TemporaryDirectory()
    var text = canonicalHeader
    let large = "9223372036853.999999"
    for response in 0..<5 { text += "p,r\(response),2024,75056,social.microcredit_amount,\(large),\n" }
    text += "p,r9,2024,75056,social.microcredit_amount,0.000001,\n"
    let (result, _) = try ingest([folder.write("large.csv", text)])
    #expect(result.counts.accepted == 6)
    var aggregator = GroupingSetAggregator(ledger: result.ledger)
    aggregator.addAll()
    let row = try #require(aggregator.rows().first { $0.grouping == .indicator })
    let each = Int128(9_223_372_036_853_999_999)
    #expect(row.statistics.sum == 5 * each + 1)
    #expect(row.statistics.sum > Int128(Int64.max))
    #expect(row.statistics.minimum == Quantity(micros: 1))
    #expect(row.statistics.maximum == Quantity(micros: 9_223_372_036_853_999_999))
    #expect(row.statistics.observations == 6)
  }

  @Test(arguments: [2, 3] as [Int])
  func aggregatesTheSameInPartsOfThePartners(parts: Int) throws {
    let folder = TemporaryDirectory()
    var stocks = canonicalHeader
    for line in 0..<200 {
      // A stock indicator: the latest level per partner and territory replaces the sum.
      let period = ["2023-03", "2023-01", "2024", "2023-Q4"][line % 4]
      stocks +=
        "p\(line % 7),s\(line % 23),\(period),\(Self.territories[line % 5]),digital_inclusion.advisors,\(line),\n"
    }
    let files = makeFiles(seed: 7, in: folder) + [folder.write("stocks.csv", stocks)] + makeFiles(seed: 8, in: folder)
    let ledger = try ingest(files).0.ledger
    var whole = GroupingSetAggregator(ledger: ledger)
    whole.addAll()
    var combined = GroupingSetAggregator(ledger: ledger)
    combined.addAll(partners: parts - 1, of: parts)
    for part in 0..<(parts - 1) {
      var other = GroupingSetAggregator(ledger: ledger)
      other.addAll(partners: part, of: parts)
      combined.absorb(other)
    }
    #expect(whole.rows().contains { $0.statistics.series != nil })
    #expect(combined.rows().map { "\($0)" } == whole.rows().map { "\($0)" })
    #expect(
      combined.rows(of: [.indicatorPartner, .indicator]).map { "\($0)" }
        == (whole.rows(of: [.indicatorPartner]) + whole.rows(of: [.indicator])).map { "\($0)" })
    #expect(combined.transitionTotals().map { "\($0)" } == whole.transitionTotals().map { "\($0)" })
    #expect(combined.transitionYears() == whole.transitionYears())
  }

  /// The partners dealt into parts for the aggregation threads: every partner in one
  /// part, the parts' records as even as whole partners allow (no part heavier than the
  /// lightest by more than the largest partner), and the same counts always dealt alike.
  @Test func dealsThePartnersIntoPartsOfAboutAsManyRecords() {
    var generator = Generator(state: 11)
    for trial in 0..<50 {
      let partners = Int.random(in: 0...300, using: &generator)
      let accepted = (0..<partners).map { _ in
        Bool.random(using: &generator) ? 0 : Int.random(in: 1...(trial % 2 == 0 ? 50 : 50_000), using: &generator)
      }
      for parts in 1...4 {
        let owner = GroupingSetAggregator.partOfPartner(accepted: accepted, parts: parts)
        #expect(owner.count == partners)
        #expect(owner.allSatisfy { (0..<parts).contains($0) })
        #expect(GroupingSetAggregator.partOfPartner(accepted: accepted, parts: parts) == owner)
        var load = [Int](repeating: 0, count: parts)
        for (partner, part) in owner.enumerated() { load[part] += accepted[partner] }
        #expect(load.max()! - load.min()! <= (accepted.max() ?? 0), "trial \(trial), \(parts) parts: \(load)")
      }
    }
  }

  @Test func givesTheSameResultsWithOneWorkerOrMany() throws {
    let folder = TemporaryDirectory()
    let files = makeFiles(seed: 42, in: folder) + makeFiles(seed: 43, in: folder)
    let (one, oneEvents) = try ingest(files, workers: 1)
    let (many, manyEvents) = try ingest(files, workers: 4)
    #expect(one.counts == many.counts)
    #expect(
      oneEvents.map { "\($0.file):\($0.line):\($0.reason)" } == manyEvents.map { "\($0.file):\($0.line):\($0.reason)" })
    #expect(one.ledger.records.map(\.value) == many.ledger.records.map(\.value))
  }
}
