import Foundation
import ImpactModel
import Testing

@Suite struct TerritoryTests {
  let table = TerritoryTable.france

  @Test(arguments: [
    ("75056", "75", "11"), ("2A004", "2A", "94"), ("2b033", "2B", "94"), ("97411", "974", "04"),
    ("97611", "976", "06"), ("1053", "01", "84"), ("33", "33", "75"), ("2A", "2A", "94"), ("971", "971", "01"),
    ("FR", "FR", "FR"), (" 69123 ", "69", "84"), ("5", "05", "93"),
  ])
  func rollsUpToDepartementAndRegion(code: String, departement: String, region: String) throws {
    let territory = try table.parseTerritory(code).get()
    #expect(table.departementCode(territory.departement) == departement)
    #expect(table.regionCode(territory.departement) == region)
  }

  @Test(arguments: [
    "20", "20123", "96", "975", "97501", "97701", "99999", "00123", "7505", "750561", "2C004", "", "F", "FRA", "75O56",
  ])
  func refusesWhatIsNotATerritory(code: String) {
    // "7505" is a valid commune code with its leading zero lost (07505); the rest are not.
    let parsed = table.parseTerritory(code)
    if code == "7505" {
      #expect((try? parsed.get())?.code == "07505")
    } else {
      #expect((try? parsed.get()) == nil, "'\(code)' was accepted")
    }
  }

  @Test func holdsEveryDepartementOnce() {
    #expect(table.departements.count == 101)
    #expect(Set(table.departements.map(\.code)).count == 101)
    #expect(table.regions.count == 18)
    #expect(table.regionOfDepartement.allSatisfy { $0 >= 0 })
  }

  @Test func matchesTheINSEEReferenceTable() throws {
    let path = sharedReference + "/departements.csv"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      print("skipped: \(path) is absent (it ships beside the checkout, not in it)")
      return
    }
    let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", maxSplits: 2).map(String.init) }
    #expect(rows.count == 101)
    for row in rows {
      let code = row[0]
      guard let index = table.departements.firstIndex(where: { $0.code == code }) else {
        Issue.record("département \(code) is missing")
        continue
      }
      #expect(table.regionCode(Int16(index)) == row[1], "région of \(code)")
      #expect(table.regions[table.regionOfDepartement[index]].name == row[2], "région name of \(code)")
    }
  }

  @Test func resolvesEveryCommuneOfThePostalBase() throws {
    let path = sharedReference + "/laposte_hexasmal.csv"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      print("skipped: \(path) is absent (it ships beside the checkout, not in it)")
      return
    }
    var refused: Set<String> = []
    var checked = 0
    for line in text.split(separator: "\n").dropFirst() {
      let code = String(line.prefix { $0 != ";" })
      guard code.count == 5 else { continue }
      checked += 1
      guard case .success(let territory) = table.parseTerritory(code) else {
        refused.insert(code)
        continue
      }
      let expected = code.hasPrefix("97") ? String(code.prefix(3)) : String(code.prefix(2))
      #expect(table.departementCode(territory.departement) == expected)
    }
    #expect(checked > 30000)
    // Saint-Pierre-et-Miquelon (975), Saint-Barthélemy and Saint-Martin (977, 978), the
    // Pacific collectivities (98x) and Monaco (99) are not départements.
    let outside = ["975", "977", "978", "98", "99"]
    #expect(refused.allSatisfy { code in outside.contains { code.hasPrefix($0) } }, "\(refused.sorted())")
  }
}

@Suite struct PeriodTests {
  @Test(arguments: [
    ("2023", 2023, Period.Granularity.year), ("2023-Q3", 2023, .quarter), ("2023-q1", 2023, .quarter),
    ("2023-07", 2023, .month), ("2024-02-29", 2024, .day), ("2000-02-29", 2000, .day),
  ])
  func parsesPeriods(text: String, year: Int, granularity: Period.Granularity) throws {
    let period = try Period.parse(text).get()
    #expect(period.year == year)
    #expect(period.granularity == granularity)
  }

  @Test(arguments: [
    "2023-13", "2023-02-30", "2023-02-29", "1900-02-29", "T3 2023", "2023-Q5", "2023-Q0", "23", "2023/07", "2023-7",
    "2023-07-1", "", "1850", "2023-00",
  ])
  func refusesInvalidPeriods(text: String) {
    #expect((try? Period.parse(text).get()) == nil, "'\(text)' was accepted")
  }
}
