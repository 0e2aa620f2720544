import Foundation
import ImpactAggregation
import ImpactModel
import ImpactPipeline
import Testing

/// Partner exports read through pipeline sources.
@Suite struct MappedSourceTests {
  let folder = TemporaryDirectory()

  func pipeline(_ sources: String) throws -> PipelineDefinition {
    let path = folder.write(
      "pipeline.yml", "catalog: \(repositoryRoot)/pipelines/catalog.yml\noutput: out\nsources:\n" + sources)
    return try PipelineDefinition.load(path: path).get()
  }

  /// The start of a source over the Kobo submissions of `kobo/`, one record a file.
  static let koboSource = """
      - name: kobo
        files: ["kobo/*.xml"]
        format: xml
        xml: {record: "/*"}
        partner: {path: partenaire}

    """

  func ingest(_ definition: PipelineDefinition) throws -> (IngestionResult, [RejectEvent], InputDiscovery) {
    let runner = PipelineRunner(pipeline: definition)
    let inputs = try runner.discover([])
    var events: [RejectEvent] = []
    let result = try runner.validate(inputs: inputs) { events.append($0) }
    return (result, events, inputs)
  }

  func accepted(_ result: IngestionResult) -> [String: Quantity] {
    var values: [String: Quantity] = [:]
    let ledger = result.ledger
    for record in ledger.records where !record.superseded {
      let key = "\(ledger.responses.string(of: record.response))/\(ledger.catalog.indicators[Int(record.indicator)].id)"
      values[key] = record.value
    }
    return values
  }

  /// A source that says Windows-1252 reads the file so, even when its bytes would pass
  /// for UTF-8 with stray bytes: only a byte that code page leaves undefined is wrong.
  @Test func aSourceSayingWindows1252IsBelievedOverTheScan() throws {
    // « é » (E9 A0 BB) and "Ã©" (C3 A9): well-formed UTF-8 sequences; 0xB0 (°): not.
    var bytes = Array("Code;Montant;Note\r\n".utf8)
    bytes += Array("A1;12;".utf8) + [0xAB, 0xE9, 0xA0, 0xBB, 0xC3, 0xA9] + Array("\r\n".utf8)
    bytes += Array("A2;5;".utf8) + [0xC3, 0xA9, 0xB0] + Array("\r\n".utf8)
    folder.write("notes/n.csv", bytes: bytes)
    let definition = try pipeline(
      """
        - name: notes
          files: ["notes/*.csv"]
          format: csv
          csv: {encoding: windows-1252, delimiter: ";"}
          partner: {value: crea-sol}
          response: {column: Code}
          period: {value: "2024"}
          territory: {value: "13055"}
          indicators:
            - {column: Montant, indicator: social.microcredit_amount}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(result.inputs.first?.problem == nil, "\(String(describing: result.inputs.first?.problem))")
    #expect(events.isEmpty, "\(events.map(\.message))")
    #expect(result.counts.accepted == 2)
  }

  /// Numbers that fit as read but not once put on the indicator's scale (a fraction of a
  /// tiny whole, a scale factor) are refused with a reason, not a crash of the run and not
  /// kept unscaled; one far outside a rescaled source's scale is out of range, not wrapped.
  @Test func numbersTooLargeOnceScaledAreRefused() throws {
    folder.write(
      "notes/a.csv",
      """
      Code;Note;Note10;Montant
      n1;9223372036854/0,000001;-9223372036854;9223372036854
      n2;3/5;7;12

      """)
    let definition = try pipeline(
      """
        - name: notes
          files: ["notes/*.csv"]
          format: csv
          csv: {encoding: utf-8, delimiter: ";", decimal: ","}
          partner: {value: crea-sol}
          response: {column: Code}
          period: {value: "2024"}
          territory: {value: "13055"}
          indicators:
            - {column: Note, indicator: social.satisfaction}
            - {column: Note10, indicator: digital_inclusion.autonomy_gain, rescale: [5, 10]}
            - {column: Montant, indicator: social.microcredit_amount, scale: 1000}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(result.counts.read == 6)
    #expect(result.counts.balances)
    let refused = Dictionary(
      events.filter { $0.response == "n1" }.map { ($0.indicator, $0) }, uniquingKeysWith: { first, _ in first })
    #expect(refused.count == 3, "\(events.map(\.message))")
    // 9223372036854 out of 0.000001, on a scale topping at 5; 9223372036854 thousands.
    for indicator in ["social.satisfaction", "social.microcredit_amount"] {
      #expect(refused[indicator]?.reason == .invalidValue, "\(indicator)")
      #expect(refused[indicator]?.message.contains("too large") == true, "\(String(describing: refused[indicator]))")
    }
    // -9223372036854 on a 5-10 scale: far below the indicator's range, computed without wrapping.
    #expect(refused["digital_inclusion.autonomy_gain"]?.reason == .outOfRange)
    #expect(result.counts.accepted == 3)
    #expect(events.allSatisfy { $0.response == "n1" })
  }

  @Test func mapsAFrenchExcelExportWideToLong() throws {
    var bytes = Array("Export ateliers - g".utf8) + [0xE9, 0x6E, 0xE9, 0x72, 0xE9] + Array(" le 03/04/2024\r\n".utf8)
    bytes += Array("N".utf8) + [0xB0] + Array(" atelier;Date;Code postal;Nb participants;Dur".utf8) + [0xE9]
    bytes += Array("e;Autonomie;Satisfaction;Montant\r\n".utf8)
    bytes +=
      Array("A1;14/03/2024;20000;12;1h30;Oui;Tout ".utf8) + [0xE0] + Array(" fait d'accord;1 234,50 ".utf8) + [
        0x80, 0x0D, 0x0A,
      ]
    bytes += Array("A2;31/02/2024;75011;8;60;Non;3/5;12\r\n".utf8)
    bytes += Array("A3;15/03/2024;99999;5;45min;Oui;2;8\r\n".utf8)
    bytes += Array("A4;16/03/2024;97400;douze;0-30;Peut-".utf8) + [0xEA] + Array("tre;4;9\r\n".utf8)
    folder.write("ateliers/export-1.csv", bytes: bytes)
    let definition = try pipeline(
      """
        - name: ateliers
          files: ["ateliers/*.csv"]
          format: csv
          csv: {encoding: windows-1252, delimiter: ";", decimal: ",", header_row: 2}
          partner: {value: emmaus-connect}
          response: {column: "N° atelier"}
          period: {column: Date, format: dd/MM/yyyy, granularity: month}
          territory: {column: Code postal, kind: postal_code}
          indicators:
            - {column: Nb participants, indicator: digital_inclusion.people_trained}
            - {column: "Durée", indicator: digital_inclusion.mediation_hours, parse: duration}
            - {column: Autonomie, indicator: digital_inclusion.autonomy_gain, values: {Oui: 1, Non: 0}}
            - {column: Satisfaction, indicator: social.satisfaction, values: {"Tout à fait d’accord": 5}}
            - {column: Montant, indicator: social.microcredit_amount}
            - {constant: 1, indicator: social.beneficiaries}

      """)
    let (result, events, _) = try ingest(definition)
    // 4 records × 6 mappings; A2 (no 31 February) and A3 (postal code 99999) reject all six.
    #expect(result.counts.read == 24)
    #expect(events.filter { $0.line == 4 }.map(\.reason) == Array(repeating: .invalidPeriod, count: 6))
    #expect(events.filter { $0.line == 5 }.map(\.reason) == Array(repeating: .invalidTerritory, count: 6))
    #expect(events.filter { $0.line == 6 }.map(\.reason) == [.invalidValue, .invalidValue])
    #expect(events.first { $0.line == 6 }?.field == "Nb participants")
    #expect(events.first { $0.line == 6 }?.value == "douze")
    let values = accepted(result)
    #expect(values["A1/digital_inclusion.people_trained"] == Quantity(units: 12))
    #expect(values["A1/digital_inclusion.mediation_hours"] == Quantity(micros: 1_500_000))
    #expect(values["A1/social.satisfaction"] == Quantity(units: 5))
    #expect(values["A1/social.microcredit_amount"] == Quantity(micros: 1_234_500_000))
    #expect(values["A1/social.beneficiaries"] == Quantity(units: 1))
    #expect(values["A4/digital_inclusion.mediation_hours"] == Quantity(micros: 500_000))  // bucket 0-30: 30 min
    #expect(result.counts.balances)
    let territory = result.ledger.territories.map(\.code)
    #expect(territory.contains("2A") && territory.contains("974"))
    #expect(result.ledger.periods.map(\.text).contains("2024-03"))
  }

  /// A value-map label matches the cell however either is written: case, blanks, a
  /// typographic apostrophe, and an accent composed (`è`) or decomposed (`e` + U+0300).
  @Test func valueMapLabelsMatchWhateverTheUnicodeSpelling() throws {
    let composed = "Tr\u{E8}s d’accord"
    let decomposed = "Tre\u{300}s d'accord"
    folder.write(
      "niveaux/export.csv",
      "N;Date;Code postal;Niveau\nA1;01/02/2024;75011;\(decomposed)\nA2;01/02/2024;75011;  \(composed.uppercased()) \n"
        + "A3;01/02/2024;75011;non\nA4;01/02/2024;75011;K\nA5;01/02/2024;75011;peut-être\n")
    for label in [composed, decomposed] {
      let definition = try pipeline(
        """
          - name: niveaux
            files: ["niveaux/*.csv"]
            format: csv
            csv: {encoding: utf-8, delimiter: ";"}
            partner: {value: emmaus-connect}
            response: {column: N}
            period: {column: Date, format: dd/MM/yyyy}
            territory: {column: Code postal, kind: postal_code}
            indicators:
              - {column: Niveau, indicator: social.satisfaction, values: {"\(label)": 5, Non: 1, "\u{212A}": 2}}

        """)
      let (result, events, _) = try ingest(definition)
      let values = accepted(result)
      #expect(values["A1/social.satisfaction"] == Quantity(units: 5), "label \(label.unicodeScalars.count) scalars")
      #expect(values["A2/social.satisfaction"] == Quantity(units: 5))
      #expect(values["A3/social.satisfaction"] == Quantity(units: 1))
      // The Kelvin sign is K to Swift's string comparison, as before the byte path.
      #expect(values["A4/social.satisfaction"] == Quantity(units: 2))
      #expect(events.map(\.line) == [6])
    }
  }

  /// An edit in a file refused whole (it ends inside quotes) replaces nothing: nothing from
  /// the file is accepted, its edits included; and the store keeps that file's batch in a
  /// form a later run reads back (it kept edits pointing at the records removed).
  @Test func anEditInAFileRefusedWholeReplacesNothing() throws {
    let header = "partenaire;id;remplace;date;cp;benevoles\n"
    folder.write("wide/a.csv", header + "part-1;w-1;;02/04/2024;75011;1\n")
    folder.write(
      "wide/b.csv", header + "part-1;w-2;w-1;02/04/2024;75011;2\npart-1;w-3;;02/04/2024;75011;\"4\n")
    let definition = try pipeline(
      """
        - name: wide
          files: ["wide/*.csv"]
          format: csv
          partner: {column: partenaire}
          response: {column: id}
          replaces: {column: remplace}
          period: {column: date, format: "dd/MM/yyyy"}
          territory: {column: cp}
          indicators:
            - {column: benevoles, indicator: social.volunteers}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(result.counts.accepted == 1, "w-1 stands")
    #expect(result.counts.superseded == 0)
    #expect(events.map(\.reason) == [.malformedFile])
    // With the store: a later run that reads the stored batches again (a new file came).
    let runner = PipelineRunner(pipeline: definition)
    let store = StoreSettings(path: folder.path + "/out/store.sqlite")
    _ = try runner.run(discovery: try runner.discover([]), outputDirectory: folder.path + "/out", store: store)
    folder.write("wide/c.csv", header + "part-1;w-4;;02/04/2024;75011;3\n")
    guard
      case .published(let later, _) = try runner.run(
        discovery: try runner.discover([]), outputDirectory: folder.path + "/out", store: store)
    else {
      Issue.record("the later run published nothing")
      return
    }
    #expect(later.counts.accepted == 2)
  }

  @Test func odkEditsReplaceWholeSubmissionsAndDuplicatesCountOnce() throws {
    func submission(_ id: String, satisfaction: String, nps: String, deprecated: String? = nil, orx: Bool = false)
      -> String
    {
      let meta =
        orx
        ? "<orx:meta><orx:instanceID>\(id)</orx:instanceID>\(deprecated.map { "<orx:deprecatedID>\($0)</orx:deprecatedID>" } ?? "")</orx:meta>"
        : "<meta><instanceID>\(id)</instanceID>\(deprecated.map { "<deprecatedID>\($0)</deprecatedID>" } ?? "")</meta>"
      return """
        <?xml version='1.0' encoding='UTF-8' ?>
        <aXy3 xmlns:orx="http://openrosa.org/xforms" id="aXy3">
          <start>2024-05-14T10:02:11.000+02:00</start>
          <partenaire>restos-sud</partenaire><commune>13055</commune>
          <groupe><q_satisfaction>\(satisfaction)</q_satisfaction><q_nps>\(nps)</q_nps></groupe>
          \(meta)
        </aXy3>
        """
    }
    folder.write("kobo/a.xml", submission("uuid:1", satisfaction: "Plutôt d'accord", nps: "8"))
    folder.write("kobo/b.xml", submission("uuid:2", satisfaction: "Tout à fait d'accord", nps: "10", orx: true))
    folder.write("kobo/b-copy.xml", submission("uuid:2", satisfaction: "Tout à fait d'accord", nps: "10", orx: true))
    // The edit of uuid:1 sorts before it: an edit replaces the earlier submission whatever the order.
    folder.write(
      "kobo/0-edit.xml", submission("uuid:3", satisfaction: "Pas du tout d'accord", nps: "0", deprecated: "uuid:1"))
    let definition = try pipeline(
      Self.koboSource
        + """
            response: {path: "orx:meta/orx:instanceID"}
            replaces: {path: meta/deprecatedID}
            period: {path: start, format: iso, granularity: quarter}
            territory: {path: commune}
            indicators:
              - {path: groupe/q_satisfaction, indicator: social.satisfaction, values: {"Pas du tout d'accord": 1, "Plutôt d'accord": 4, "Tout à fait d'accord": 5}}
              - {path: groupe/q_nps, indicator: digital_inclusion.autonomy_gain, rescale: [0, 10]}

        """)
    let (result, events, _) = try ingest(definition)
    #expect(result.counts.read == 8)
    // uuid:1's two observations are replaced by the edit, though the edit was read first;
    // the copy of uuid:2 read last replaces the first one's two.
    #expect(result.counts.superseded == 4)
    #expect(result.counts.accepted == 4)
    #expect(events.filter { $0.response == "uuid:1" }.allSatisfy { $0.message.contains("edited submission uuid:3") })
    #expect(events.allSatisfy { $0.reason == .superseded })
    // A run writes the superseded rows of rejects.csv itself, as bytes rather than events:
    // the same rows (edits, a copy in another file).
    let runner = PipelineRunner(pipeline: definition)
    let output = TemporaryDirectory()
    let (_, run) = try runner.run(inputs: try runner.discover([]), outputDirectory: output.path)
    let rows = parseCSV(try String(contentsOfFile: run.latestPath + "/rejects.csv", encoding: .utf8)).dropFirst()
    #expect(
      rows.map { Array($0.prefix(9)) }
        == events.map {
          [
            $0.file, String($0.line), $0.partner, $0.response, $0.indicator, $0.field, $0.value, $0.reason.rawValue,
            $0.message,
          ]
        })
    #expect(
      Set(events.map(\.message)).count == 2, "the edit's two rows and the copy's two, each pair naming its place")
    let ledger = result.ledger
    let byResponse = Dictionary(grouping: ledger.records.filter { !$0.superseded }) {
      ledger.responses.string(of: $0.response)
    }
    #expect(byResponse.keys.sorted() == ["uuid:2", "uuid:3"])
    #expect(byResponse["uuid:3"]?.map(\.value) == [Quantity(units: 1), Quantity.zero])
    #expect(byResponse["uuid:2"]?.map(\.value) == [Quantity(units: 5), Quantity(units: 1)])
    #expect(ledger.periods.map(\.text) == ["2024-Q2"])
  }

  /// A partner export with a DOCTYPE is refused for it, at its line, whatever libxml2
  /// said about the entities declared there (nothing is loaded or expanded).
  @Test func aPartnerExportWithADoctypeIsRefusedAtItsLine() throws {
    let secret = folder.write("secret.txt", "TOP-SECRET-CONTENT")
    folder.write(
      "kobo/a.xml", "<data><partenaire>p1</partenaire><id>u1</id><start>2024-04-02</start><n>3</n></data>\n")
    folder.write(
      "kobo/b.xml",
      """
      <?xml version="1.0"?>
      <!DOCTYPE data [ <!ENTITY leak SYSTEM "file://\(secret)"> ]>
      <data><partenaire>p1</partenaire><id>&leak;</id><start>2024-04-02</start>
      <n>&leak;</n>
      </data>

      """)
    let definition = try pipeline(
      Self.koboSource
        + """
            response: {path: id}
            period: {path: start, format: iso, granularity: quarter}
            territory: {value: "13055"}
            indicators:
              - {path: n, indicator: social.volunteers}

        """)
    let (result, events, _) = try ingest(definition)
    let refused = try #require(result.inputs.first { $0.path.hasSuffix("b.xml") })
    #expect(refused.problem?.contains("DOCTYPE") == true, "\(refused.problem ?? "")")
    #expect(refused.problemLine == 2)
    #expect(!events.map { "\($0.value) \($0.response) \($0.message)" }.joined().contains("TOP-SECRET"))
  }

  @Test func readsNestedReportsWithAncestorAttributesAndDefaults() throws {
    folder.write(
      "federation/2024-T1.xml",
      """
      <rapport federation="federation-sud" trimestre="T1 2024">
        <site code_insee="13055" association="restos-sud"><activite><benevoles>12</benevoles><dechets_kg>1 250</dechets_kg></activite></site>
        <site code_insee="83137"><activite><benevoles>7</benevoles><dechets_kg>2,5</dechets_kg></activite></site>
      </rapport>
      """)
    let definition = try pipeline(
      """
        - name: federation
          files: ["federation/*.xml"]
          format: xml
          xml: {record: /rapport/site}
          partner: {path: "@association", default: federation-sud}
          response: {path: "@code_insee"}
          period: {path: /rapport/@trimestre, format: quarter}
          territory: {path: "@code_insee"}
          indicators:
            - {path: activite/benevoles, indicator: social.volunteers}
            - {path: activite/dechets_kg, indicator: environmental.waste_diverted}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(events.isEmpty, "\(events.map(\.message))")
    #expect(result.counts.accepted == 4)
    let ledger = result.ledger
    let partners = Set(ledger.records.map { ledger.partners.string(of: ledger.partner(ofResponse: $0.response)) })
    #expect(partners == ["restos-sud", "federation-sud"])
    #expect(ledger.periods.map(\.text) == ["2024-Q1"])
    #expect(ledger.records.map(\.value).contains(Quantity(units: 1250)))
  }

  @Test func aChangedExportIsRefusedWholeAndUnmappedColumnsAreListed() throws {
    folder.write("drift/good.csv", "id,date,cp,participants,remarque\nr1,2024-03-01,75011,4,ok\n")
    folder.write("drift/renamed.csv", "id,date,cp,nb_participants\nr2,2024-03-01,75011,5\nr3,2024-03-02,75011,6\n")
    let definition = try pipeline(
      """
        - name: drift
          files: ["drift/*.csv"]
          format: csv
          partner: {value: tiers-lieux}
          response: {column: id}
          period: {column: date, format: yyyy-MM-dd}
          territory: {column: cp, kind: postal_code}
          indicators:
            - {column: participants, indicator: digital_inclusion.people_trained}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(result.counts.accepted == 1)
    #expect(events.map(\.reason) == [.malformedFile, .malformedFile])
    let renamed = try #require(result.inputs.first { $0.path.hasSuffix("renamed.csv") })
    #expect(renamed.problem?.contains("'participants'") == true)
    #expect(renamed.unmapped == ["nb_participants"])
    let good = try #require(result.inputs.first { $0.path.hasSuffix("good.csv") })
    #expect(good.unmapped == ["remarque"])
    #expect(good.source == "drift")
  }

  @Test func skipsRowsBelowTheHeader() throws {
    folder.write("units/a.csv", "id;date;cp;n\n(texte);(jj/mm/aaaa);(code);(personnes)\nr1;01/03/2024;75011;4\n")
    let definition = try pipeline(
      """
        - name: units
          files: ["units/*.csv"]
          format: csv
          csv: {skip_rows: 1}
          partner: {value: p}
          response: {column: id}
          period: {column: date, format: dd/MM/yyyy}
          territory: {column: cp, kind: postal_code}
          indicators:
            - {column: n, indicator: social.volunteers}

      """)
    let (result, events, _) = try ingest(definition)
    #expect(events.isEmpty)
    #expect(result.counts.accepted == 1 && result.counts.read == 1)
  }

  @Test func definitionChecksCollectEveryProblem() {
    let path = folder.write(
      "bad.yml",
      """
      catalog: \(repositoryRoot)/pipelines/catalog.yml
      sources:
        - name: one
          files: ["x/*.csv"]
          format: csv
          csv: {encoding: latin-9, delimiter: "#"}
          partner: {value: p}
          response: {column: id}
          period: {column: date, format: dd/yyyy}
          territory: {column: cp, kind: zip}
          indicators:
            - {column: a, indicator: social.benificiaries}
            - {column: b, indicator: social.volunteers, unit: litre}
            - {column: c, indicator: social.volunteers, colour: red}
            - {path: d, indicator: social.volunteers}
        - name: one
          files: ["y/*.xml"]
          format: json
          partner: {value: p}
          response: {path: id}
          period: {value: "2024"}
          territory: {value: FR}
          indicators: []
      """)
    guard case .failure(let error) = PipelineDefinition.load(path: path) else {
      Issue.record("the definition loaded")
      return
    }
    let text = error.description
    for expected in [
      "latin-9", "'#'", "dd/yyyy", "zip", "did you mean social.beneficiaries", "litre", "colour",
      "'column', not 'path'",
      "two sources are named 'one'", "json", "a list of 'indicators'",
    ] {
      #expect(text.contains(expected), "missing: \(expected)")
    }
    #expect(error.problems.allSatisfy { $0.position.line > 0 })
  }

  @Test func aMappedColumnThatNoFileHasIsADefinitionProblem() throws {
    folder.write("p/a.csv", "id,date,cp,n\nr1,2024-03-01,75011,4\n")
    let definition = try pipeline(
      """
        - name: p
          files: ["p/*.csv"]
          format: csv
          partner: {value: p}
          response: {column: id}
          period: {column: date, format: yyyy-MM-dd}
          territory: {column: code_postal, kind: postal_code}
          indicators:
            - {column: n, indicator: social.volunteers}

      """)
    let runner = PipelineRunner(pipeline: definition)
    let problems = runner.checkSources(inputs: try runner.discover([]))
    #expect(problems.map(\.position.field) == ["code_postal"])
  }

  @Test func stocksTakeEachSeriesLatestLevel() throws {
    // Advisors in post: a level, not a flow. Two sites of one partner, reported each quarter.
    folder.write(
      "stocks.csv",
      canonicalHeader + """
        p,r1,2024-Q1,75056,digital_inclusion.advisors,3,
        p,r2,2024-Q2,75056,digital_inclusion.advisors,4,
        p,r3,2024-Q1,69123,digital_inclusion.advisors,2,
        q,r1,2023-Q4,33063,digital_inclusion.advisors,5,
        q,r2,2024-Q1,75056,digital_inclusion.advisors,7,
        p,r4,2024-Q1,75056,digital_inclusion.advisors,9,

        """)
    let output = TemporaryDirectory()
    let definition = try PipelineDefinition.load(path: repositoryRoot + "/pipelines/canonical.yml").get()
    let (result, _) = try PipelineRunner(pipeline: definition).run(
      inputs: try InputDiscovery(paths: [folder.path + "/stocks.csv"]), outputDirectory: output.path)
    let index = try #require(result.ledger.catalog.index(of: "digital_inclusion.advisors"))
    let rows = result.rows.filter { $0.indicator == index }
    // Latest per (partner, territory): p@75056 Q2 → 4 (the later-read Q1 does not win), p@69123 → 2,
    // q@33063 → 5, q@75056 → 7 (another partner's series, however late p's level there).
    let overall = try #require(rows.first { $0.grouping == .indicator })
    #expect(overall.statistics.sum == Int128(18_000_000))
    #expect(overall.statistics.observations == 6)
    #expect(overall.statistics.meanMicros == Quantity.divideRounded(18_000_000, by: 4))
    let byYear = rows.filter { $0.grouping == .indicatorYear }.map { ($0.year!, $0.statistics.sum) }
    #expect(byYear.map(\.0) == [2023, 2024])
    #expect(byYear.map(\.1) == [Int128(5_000_000), Int128(13_000_000)])
  }
}

/// The bundled partner exports through `pipelines/alliance.yml`, against totals computed
/// independently of `impact` (samples/partners/README.md) and golden reports.
@Suite struct AlliancePipelineTests {
  func load() throws -> PipelineDefinition {
    try PipelineDefinition.load(path: repositoryRoot + "/pipelines/alliance.yml").get()
  }

  @Test func partnerExportsGiveTheExpectedTotals() throws {
    let definition = try load()
    let inputs = try InputDiscovery(paths: [], sources: definition.sources, includeSourceFiles: true)
    #expect(inputs.inputs.count == 20)
    #expect(inputs.inputs.allSatisfy { $0.source != nil })
    var events: [RejectEvent] = []
    let result = try PipelineRunner(pipeline: definition).validate(inputs: inputs) { events.append($0) }
    #expect(result.counts.read == 633)
    #expect(result.counts.accepted == 598)
    #expect(result.counts.rejected == 31)
    #expect(result.counts.superseded == 4)
    let byReason = Dictionary(grouping: events.filter { $0.reason != .superseded }, by: \.reason).mapValues(\.count)
    #expect(byReason == [.invalidPeriod: 11, .invalidTerritory: 9, .missingField: 5, .invalidValue: 5, .outOfRange: 1])
    var aggregator = GroupingSetAggregator(ledger: result.ledger)
    aggregator.addAll()
    let expected: [String: (Int, String)] = [
      "demographic.seniors_supported": (27, "607"), "demographic.young_people_supported": (27, "597"),
      "digital_inclusion.autonomy_gain": (45, "33"), "digital_inclusion.mediation_hours": (87, "285.75"),
      "digital_inclusion.mediation_sessions": (62, "62"), "digital_inclusion.people_trained": (60, "358"),
      "environmental.co2_avoided": (9, "78300"), "environmental.waste_diverted": (9, "46150"),
      "social.beneficiaries": (40, "548"), "social.jobs_created": (30, "24"),
      "social.microcredit_amount": (30, "204785"), "social.microcredits_granted": (31, "36"),
      "social.satisfaction": (71, "300.62"), "social.volunteer_hours": (8, "2417"), "social.volunteers": (8, "75"),
      "territorial.partnerships": (27, "32"), "territorial.places_opened": (27, "7"),
    ]
    let rows = aggregator.rows().filter { $0.grouping == .indicator }
    #expect(rows.count == expected.count)
    for row in rows {
      let id = result.ledger.catalog.indicators[row.indicator].id
      guard let (count, sum) = expected[id] else {
        Issue.record("unexpected indicator \(id)")
        continue
      }
      #expect(row.statistics.observations == count, "\(id)")
      #expect(Quantity.format(micros: row.statistics.sum) == sum, "\(id)")
    }
  }

  @Test func theWholePipelineMatchesItsGoldenReports() throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: try load())
    let (result, folder) = try runner.run(inputs: try runner.discover([]), outputDirectory: output.path)
    #expect(result.counts.read == 793)
    #expect(result.counts.accepted == 738)
    let sources = Set(result.inputs.compactMap(\.source))
    #expect(sources.count == 7)
    try expectGoldenReports(in: folder.latestPath, prefix: "alliance-")
  }
}
