import Foundation
import ImpactModel
import ImpactNormalization
import ImpactReaders
import Testing

@Suite struct CSVReaderTests {
  let folder = TemporaryDirectory()

  @Test func readsUTF8WithBOMAndCRLF() {
    let text =
      "\u{FEFF}partner_id,response_id,period,territory,indicator,value\r\nassoc-a,r1,2023,75056,social.beneficiaries,12\r\n"
    let result = readFile(folder.write("bom.csv", text))
    #expect(result.outcome.problem == nil)
    #expect(result.outcome.detected["encoding"] == "utf-8-bom")
    #expect(result.batch.records.count == 1)
    #expect(result.batch.records.first?.value == Quantity(units: 12))
    #expect(result.batch.partners.string(of: 0) == "assoc-a")
  }

  @Test func readsWindows1252WithSemicolonsAndDecimalCommas() {
    // "Réponse n°1" and a non-breaking space (0xA0) as a thousands separator, in cp1252.
    var bytes = Array("partner_id;response_id;period;territory;indicator;value;unit\r\n".utf8)
    bytes +=
      Array("crea-sol;R".utf8) + [0xE9] + Array("ponse n".utf8) + [0xB0]
      + Array("1;2023-Q1;13055;social.microcredit_amount;1".utf8)
    bytes += [0xA0] + Array("234,50;EUR\r\n".utf8)
    let result = readFile(folder.write("cp1252.csv", bytes: bytes))
    #expect(result.outcome.detected["encoding"] == "windows-1252")
    #expect(result.outcome.detected["delimiter"] == ";")
    #expect(result.batch.rejects.isEmpty, "\(result.batch.rejects)")
    #expect(result.batch.records.first?.value == Quantity(micros: 1_234_500_000))
    #expect(result.batch.responses.string(of: 0) == "Réponse n°1")
  }

  @Test func decidesTheEncodingOverTheWholeFileNotASample() {
    // 5 MB of ASCII rows, then one cp1252 byte on the last row: the whole file is cp1252.
    var text = canonicalHeader
    let row = "assoc-a,r%d,2023,75056,social.beneficiaries,1,\n"
    for index in 0..<60_000 { text += row.replacingOccurrences(of: "%d", with: String(index)) }
    var bytes = Array(text.utf8)
    bytes += Array("assoc-a,caf".utf8) + [0xE9] + Array(",2023,75056,social.beneficiaries,1,\n".utf8)
    let result = readFile(folder.write("late.csv", bytes: bytes))
    #expect(result.outcome.detected["encoding"] == "windows-1252")
    #expect(result.batch.records.count == 60_001)
    #expect(result.batch.responses.string(of: 60_000) == "café")
  }

  @Test func detectsTabAndSemicolonDelimiters() {
    let tab = "partner_id\tresponse_id\tperiod\tterritory\tindicator\tvalue\na\tr1\t2023\t33\tsocial.volunteers\t3\n"
    #expect(readFile(folder.write("tab.tsv", tab)).batch.records.count == 1)
    let semicolon = "partner_id;response_id;period;territory;indicator;value\na;r,1;2023;33;social.volunteers;3,5\n"
    let result = readFile(folder.write("semi.csv", semicolon))
    #expect(result.outcome.detected["delimiter"] == ";")
    #expect(result.reasons == [.invalidValue])  // 3.5 volunteers is not a whole number
  }

  @Test func handlesQuotesDoubledQuotesAndLineBreaksInsideQuotes() {
    let text =
      canonicalHeader + """
        a,"r ""1"", ok",2023,75056,social.beneficiaries,"1 200",
        a,"multi
        line",2023,75056,social.beneficiaries,5,
        a,r3,2023,75056,social.beneficiaries,7,

        """
    let result = readFile(folder.write("quotes.csv", text))
    #expect(result.batch.rejects.isEmpty, "\(result.batch.rejects)")
    #expect(result.batch.records.map(\.line) == [2, 3, 5])
    #expect(result.batch.responses.string(of: 0) == "r \"1\", ok")
    #expect(result.batch.responses.string(of: 1) == "multi\nline")
    #expect(result.batch.records.first?.value == Quantity(units: 1200))
  }

  @Test func rejectsRaggedRowsAsMalformedRows() {
    let text =
      canonicalHeader
      + "a,r1,2023,75056,social.beneficiaries,5\na,r2,2023,75056,social.beneficiaries,5,,extra\na,r3,2023,75056,social.beneficiaries,5,,,\n"
    let result = readFile(folder.write("ragged.csv", text))
    // Row 2 lacks the unit field; row 3 has a non-empty extra field; row 4 only pads.
    #expect(result.reasons == [.malformedRow, .malformedRow])
    #expect(result.batch.rejects.map(\.line) == [2, 3])
    #expect(result.batch.records.count == 1)
  }

  @Test func acceptsColumnsInAnyOrderAndWarnsAboutOthers() {
    let text =
      " Value ,INDICATOR,Territory,period,Response_ID,Partner_ID,Commentaire\n4,social.volunteers,33,2023,r1,a,rien\n"
    let result = readFile(folder.write("order.csv", text))
    #expect(result.batch.records.count == 1)
    #expect(result.outcome.warnings.contains { $0.contains("Commentaire") })
    #expect(result.labels[.value] == "Value")
  }

  @Test func refusesAFileWhoseHeaderLacksAColumnAndCountsItsRows() {
    let text = "partner_id,response_id,period,value\na,r1,2023,4\na,r2,2023,5\n"
    let result = readFile(folder.write("nocolumn.csv", text))
    #expect(result.reasons == [.malformedFile, .malformedFile])
    #expect(result.outcome.problem?.message.contains("'territory', 'indicator'") == true)
  }

  @Test func readsAnEmptyFileAsNoObservation() {
    for (name, text) in [("empty.csv", ""), ("header-only.csv", canonicalHeader), ("blank.csv", "\n\n")] {
      let result = readFile(folder.write(name, text))
      #expect(result.outcome.problem == nil, "\(name)")
      #expect(result.batch.readCount == 0, "\(name)")
    }
  }

  @Test func refusesAFileEndingInsideQuotesWhole() {
    let text = canonicalHeader + "a,r1,2023,75056,social.beneficiaries,5,\na,\"r2,2023,75056,social.beneficiaries,5,\n"
    let result = readFile(folder.write("truncated.csv", text))
    #expect(result.outcome.problem?.message.contains("quoted") == true)
    #expect(result.batch.records.isEmpty)
    #expect(result.reasons == [.malformedFile])
  }

  @Test func refusesBytesNeitherUTF8NorWindows1252() {
    var bytes = Array((canonicalHeader + "a,r1,2023,75056,social.beneficiaries,5,\n").utf8)
    bytes += Array("a,r".utf8) + [0x81] + Array("2,2023,75056,social.beneficiaries,5,\n".utf8)
    let result = readFile(folder.write("undefined.csv", bytes: bytes))
    #expect(result.outcome.problem?.line == 3)
    #expect(result.batch.records.isEmpty)
    #expect(result.reasons == [.malformedFile, .malformedFile])
  }

  /// French Windows-1252 text can hold a well-formed UTF-8 sequence by chance: « é »
  /// with a no-break space is E9 A0 BB. The file is still Windows-1252.
  @Test func readsWindows1252WhoseBytesFormAUTF8SequenceByChance() {
    let text =
      "partner_id;response_id;period;territory;indicator;value;unit;commentaire\r\n"
      + "crea-sol;r1;2024-Q1;13055;social.beneficiaries;12;person;Prêt accordé\r\n"
      + "crea-sol;r2;2024-Q1;13055;social.beneficiaries;5;person;« Très apprécié\u{00A0}»\r\n"
    // Every character here is in Latin-1, where Windows-1252 agrees with Unicode.
    let bytes = text.unicodeScalars.map { UInt8($0.value) }
    let result = readFile(folder.write("chance.csv", bytes: bytes))
    #expect(result.outcome.problem == nil, "\(String(describing: result.outcome.problem))")
    #expect(result.outcome.detected["encoding"] == "windows-1252")
    #expect(result.batch.records.count == 2)
  }

  /// A UTF-8 file with one Windows-1252 row is refused, naming the byte that breaks
  /// UTF-8 (not the one after it) and its line.
  @Test func refusesUTF8MixedWithWindows1252NamingTheByte() {
    var text = canonicalHeader
    for index in 0..<5 { text += "assoc-é,r\(index),2023,75056,social.beneficiaries,1,\n" }
    var bytes = Array(text.utf8)
    bytes += Array("assoc-a,caf".utf8) + [0xEA] + Array("t,2023,75056,social.beneficiaries,1,\n".utf8)
    let result = readFile(folder.write("mixed-encodings.csv", bytes: bytes))
    #expect(result.outcome.problem?.message.contains("(0xEA)") == true, "\(String(describing: result.outcome.problem))")
    #expect(result.outcome.problem?.line == 7)
    #expect(result.reasons == Array(repeating: .malformedFile, count: 6))
  }

  /// What a hostile file puts on one line (megabytes) is quoted in messages and rejects,
  /// not copied whole.
  @Test func quotesLongTextInsteadOfCopyingIt() {
    let header = String(repeating: "x", count: 1 << 20)
    let headerOnly = readFile(folder.write("long-header.csv", header + "\n"))
    #expect((headerOnly.outcome.problem?.message.count ?? .max) < 1000)
    let response = String(repeating: "r", count: 1 << 20)
    let longCell = readFile(
      folder.write("long-cell.csv", canonicalHeader + "a,\(response),2023,75056,social.beneficiaries,1,\n"))
    #expect(longCell.reasons == [.invalidValue])
    let reject = longCell.batch.rejects.first
    #expect((reject?.value.count ?? .max) < 1100 && (reject?.response.count ?? .max) < 300)
    #expect(reject?.value.hasSuffix("… (1048576 characters)") == true)
  }

  /// UTF-8 rows followed by more Windows-1252 rows than there were accents above: still a
  /// file that mixes two encodings, refused whole, not read as Windows-1252 with the
  /// UTF-8 rows garbled (réponse-0 would then be two responses).
  @Test func refusesUTF8WithMoreWindows1252RowsThanAccents() {
    var bytes = Array(canonicalHeader.utf8)
    for index in 0..<3 { bytes += Array("p1,réponse-\(index),2023,75056,social.beneficiaries,5,\n".utf8) }
    for index in 3..<9 {
      bytes += Array("p1,r".utf8) + [0xE9] + Array("ponse-\(index % 8),2023,75056,social.beneficiaries,9,\n".utf8)
    }
    let result = readFile(folder.write("mostly-cp1252.csv", bytes: bytes))
    #expect(result.outcome.problem?.message.contains("mixes two encodings") == true)
    #expect(result.outcome.problem?.line == 5)
    #expect(result.batch.records.isEmpty)
  }

  /// A row with text after a closing quote is refused as written, the text included.
  @Test func showsARowWithTextAfterAClosingQuoteAsWritten() {
    let text = canonicalHeader + "a,\"r1\"x,2023,75056,social.beneficiaries,5,\r\n"
    let result = readFile(folder.write("stray.csv", text))
    #expect(result.reasons == [.malformedRow])
    #expect(result.batch.rejects.first?.value == "a,\"r1\"x,2023,75056,social.beneficiaries,5,")
  }

  @Test func refusesBinaryFiles() {
    let result = readFile(folder.write("binary.csv", bytes: Array(canonicalHeader.utf8) + [0, 1, 2, 3]))
    #expect(result.outcome.problem?.message.contains("NUL") == true)
  }

  @Test func readsRecordsThatStraddleBlocks() {
    // Rows whose quoted line breaks fall across the 4 MiB block boundary, many times.
    var text = canonicalHeader
    var index = 0
    while text.utf8.count < 9 << 20 {
      text += "a,\"resp\n\(index)\",2023,75056,social.beneficiaries,\(index % 100),\n"
      index += 1
    }
    let result = readFile(folder.write("big.csv", text))
    #expect(result.batch.rejects.isEmpty)
    #expect(result.batch.records.count == index)
    #expect(result.batch.records.last?.line == Int32(2 + (index - 1) * 2))
    #expect(result.batch.responses.string(of: Int32(index - 1)) == "resp\n\(index - 1)")
  }

  /// Old Mac exports end lines with a lone CR: each ends a record and counts as a line,
  /// in a file of them and in a file that mixes them with LF and CRLF, quoted or not,
  /// and across the 4 MiB block boundary.
  @Test func readsLoneCarriageReturnsAsLineEnds() {
    let row = { (index: Int) in "a,r\(index),2023,75056,social.beneficiaries,\(index % 100),person" }
    let mac = "partner_id,response_id,period,territory,indicator,value,unit\r" + row(1) + "\r" + row(2) + "\r"
    let macResult = readFile(folder.write("mac.csv", mac))
    #expect(macResult.outcome.problem == nil)
    #expect(macResult.batch.records.map(\.line) == [2, 3])
    #expect(macResult.outcome.warnings.isEmpty, "\(macResult.outcome.warnings)")
    // Mixed: a lone CR after an unquoted field and after a quoted one, a quoted lone CR.
    let mixed =
      canonicalHeader + row(1) + "\r" + "a,\"r2\",2023,75056,social.beneficiaries,2,\r" + "a,\"r\r3\",2023,75056,"
      + "social.beneficiaries,3,\r\n" + row(4) + "\n"
    let mixedResult = readFile(folder.write("mixed.csv", mixed))
    #expect(mixedResult.batch.rejects.isEmpty, "\(mixedResult.batch.rejects)")
    #expect(mixedResult.batch.records.map(\.line) == [2, 3, 4, 6])
    #expect(mixedResult.batch.responses.string(of: 2) == "r\r3")
    // Lone CRs across the block boundary, wherever it falls.
    var text = "partner_id,response_id,period,territory,indicator,value,unit\r"
    var index = 0
    while text.utf8.count < 9 << 20 {
      text += row(index) + "\r"
      index += 1
    }
    let big = readFile(folder.write("mac-big.csv", text))
    #expect(big.batch.rejects.isEmpty)
    #expect(big.batch.records.count == index)
    #expect(big.batch.records.last?.line == Int32(index + 1))
  }

  @Test func hashesTheWholeFile() throws {
    let text = canonicalHeader + "a,r1,2023,75056,social.beneficiaries,5,\n"
    let path = folder.write("hash.csv", text)
    let result = readFile(path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    process.waitUntilExit()
    let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
    #expect(result.outcome.sha256 == String(expected))
    #expect(result.outcome.byteCount == text.utf8.count)
  }

  /// A file read in one pass (its digest and encoding taken from the blocks the parse
  /// reads) gives what a pass first, then the parse, gives: the pass is spared for UTF-8
  /// files, and for the rest (a late Windows-1252 byte, a stray byte, a NUL byte, a quote
  /// never closed) what was read is forgotten and the file read again the first way.
  @Test func oneReadingPassGivesWhatAPassFirstGives() {
    let header = "partner_id,response_id,period,territory,indicator,value,commentaire\n"
    var body = ""
    for row in 0..<3000 {
      body +=
        row % 97 == 5 ? "p1,r\(row),2023\n" : "p\(row % 3),r\(row / 2),2023,75056,social.beneficiaries,\(row % 90),ok\n"
    }
    let utf8 = Array((header + body).utf8)
    #expect(utf8.count > 1 << 16, "longer than the head read first")
    func ending(_ bytes: [UInt8]) -> [UInt8] {
      utf8 + Array("p1,caf".utf8) + bytes + Array(",2023,75056,social.beneficiaries,1,x\n".utf8)
    }
    let cases: [(name: String, bytes: [UInt8], onePass: Bool)] = [
      ("utf8", utf8, true),
      (
        "bom-crlf",
        [0xEF, 0xBB, 0xBF] + Array((header + body + "\n\n").replacingOccurrences(of: "\n", with: "\r\n").utf8), true
      ),
      ("accents", ending([0xC3, 0xA9]), true),
      ("no-value-column", Array((header.replacingOccurrences(of: "value,", with: "") + body).utf8), true),
      ("late-windows-1252", ending([0xE9]), false),
      ("late-stray-byte", ending([0xC3, 0xA9, 0x20, 0x81]), false),
      ("late-nul", ending([0x00]), false),
      ("quote-never-closed", utf8 + Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8), true),
    ]
    for (name, bytes, onePass) in cases {
      let path = folder.write("\(name).csv", bytes: bytes)
      let before = CSVFormat.onePassStatistics
      let builder = BatchBuilder(catalog: shippedCatalog)
      let outcome = CSVFormat().read(path: path, into: builder)
      if let problem = outcome.problem { builder.rejectWholeFile(because: problem.description) }
      let after = CSVFormat.onePassStatistics
      let reference = readFile(path)
      #expect(reference.batch.readCount >= 3000, "\(name): rows read")
      #expect(describe(outcome) == describe(reference.outcome), "\(name)")
      #expect(describe(builder.batch) == describe(reference.batch), "\(name)")
      // Other suites read files meanwhile: the counts can only be seen to grow.
      #expect(onePass ? after.read > before.read : after.readAgain > before.readAgain, "\(name)")
    }
  }

  private func describe(_ outcome: ReadOutcome) -> String {
    "\(outcome.sha256) \(outcome.byteCount) \(outcome.detected.sorted { $0.key < $1.key }) \(outcome.warnings) "
      + (outcome.problem?.description ?? "")
  }

  private func describe(_ batch: NormalizedBatch) -> String {
    batch.records.map {
      "\($0.line) \(batch.partners.string(of: $0.partner)) \(batch.responses.string(of: $0.response)) \($0.value)"
    }.joined(separator: "\n") + batch.rejects.map { "\($0.line) \($0.reason) \($0.value) \($0.message)" }.joined()
  }
}
