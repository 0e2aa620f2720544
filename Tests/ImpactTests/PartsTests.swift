import Foundation
import ImpactAggregation
import ImpactNormalization
import ImpactPipeline
import ImpactReaders
import Testing

/// One large CSV or XML file read in parts on several cores gives exactly what one
/// sequential read gives, wherever the cuts fall: inside quoted line breaks, on CRLF,
/// after blank lines, around malformed rows; inside comments and CDATA sections.
@Suite(.serialized) struct PartsTests {
  static let pipeline: PipelineDefinition = {
    switch PipelineDefinition.load(path: repositoryRoot + "/pipelines/canonical.yml") {
    case .success(let pipeline): return pipeline
    case .failure(let error): fatalError("\(error)")
    }
  }()

  /// A canonical CSV with a comment column holding quoted line breaks, shifted by `seed`
  /// so that the cuts land at different places.
  static func awkwardFile(seed: Int, rows: Int) -> [UInt8] {
    var text = "\u{FEFF}partner_id,response_id,period,territory,indicator,value,commentaire\r\n"
    for row in 0..<rows {
      let mix = (row &* 2_654_435_761 &+ seed &* 40503) & 0xFFFF
      let comment: String
      switch mix % 9 {
      case 0: comment = "\"multi\nline \"\"quoted\"\"\n\(String(repeating: "z", count: seed % 13))\""
      case 1: comment = "\"a, b\r\nc\""
      case 2: comment = ""
      case 3 where seed % 2 == 0:
        // Lines that read as records, inside quotes: a cut there looks like a record start.
        comment = "\"note\n" + (0..<17).map { "p9,r\($0),2021,75056,social.beneficiaries,1,c\n" }.joined() + "\""
      default: comment = String(repeating: "c", count: (mix + seed) % 17)
      }
      let ending = mix % 5 == 0 ? "\r\n" : "\n"
      switch mix % 61 {
      case 0: text += "p\(mix % 5),r\(row),2023,75056,social.beneficiaries\(ending)"  // malformed: too few fields
      case 1: text += "\(ending)"  // blank line
      case 2: text += "p\(mix % 5),r\(row / 2),2023,75056,social.beneficiaries,n/a,\(comment)\(ending)"
      default:
        text += "p\(mix % 5),r\(row / 3),\(2021 + mix % 3),75056,social.beneficiaries,\(mix % 400),\(comment)\(ending)"
      }
    }
    return Array(text.utf8)
  }

  func reports(_ file: String, workers: Int, output: String) throws -> [String] {
    var runner = PipelineRunner(pipeline: Self.pipeline)
    runner.workers = workers
    let (result, folder) = try runner.run(inputs: try InputDiscovery(paths: [file]), outputDirectory: output)
    var texts = try ["aggregates.csv", "records.csv", "rejects.csv"].map {
      try String(contentsOfFile: folder.publishedPath + "/" + $0, encoding: .utf8)
    }
    let input = result.inputs[0]
    texts.append(
      "\(result.counts) \(input.detected.sorted { $0.key < $1.key }) \(input.warnings) \(input.problem ?? "")")
    // Each input's own counts, which the ledger keeps as records come and go.
    texts += result.inputs.map { "\($0.path) \($0.read) \($0.accepted) \($0.rejected) \($0.superseded)" }
    return texts
  }

  /// Runs `body` with every file large enough to be read in parts.
  func withSmallParts<T>(_ body: () throws -> T) rethrows -> T {
    let saved = (CSVFormat.minimumPartBytes, XMLFormat.minimumPartBytes)
    (CSVFormat.minimumPartBytes, XMLFormat.minimumPartBytes) = (1, 1)
    defer { (CSVFormat.minimumPartBytes, XMLFormat.minimumPartBytes) = saved }
    return try body()
  }

  /// Reads `file` with 1, 2, 3 and 5 workers; expects the same reports each time and
  /// returns them.
  func expectPartsMatchOneRead(_ file: String, in folder: TemporaryDirectory, seed: Int) throws -> [String] {
    let sequential = try reports(file, workers: 1, output: folder.path + "/one-\(seed)")
    for workers in [2, 3, 5] {
      let parallel = try reports(file, workers: workers, output: folder.path + "/\(workers)-\(seed)")
      #expect(parallel == sequential, "seed \(seed), \(workers) parts")
    }
    return sequential
  }

  /// Canonical XML with what a cut must not fall into: comments and CDATA holding
  /// `<submission`, attributes spread over lines, CRLF, ignored elements and attributes,
  /// a namespace prefix on every element, rejects and resubmissions.
  static func awkwardXML(seed: Int, submissions: Int) -> [UInt8] {
    var text = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- export <submission x> -->\n"
    text += "<s:submissions xmlns:s=\"urn:impact\" version=\"2\">\n"
    for index in 0..<submissions {
      let mix = (index &* 2_654_435_761 &+ seed &* 40503) & 0xFFFF
      text += "  <s:submission partner=\"p\(mix % 4)\">\(mix % 7 == 0 ? "\r\n" : "\n")"
      if mix % 11 == 0 { text += "    <!-- <s:submission partner=\"ghost\"> -->\n" }
      if mix % 13 == 0 { text += "    <s:note><![CDATA[ <s:submission partner=\"ghost\"> ]]></s:note>\n" }
      for response in 0..<(1 + mix % 3) {
        text +=
          "    <s:response id=\"r\((index + response) / 2)\"\n        period=\"\(2021 + mix % 3)\" territory=\"75056\">\n"
        let value = mix % 17 == 0 ? "n/a" : String(mix % 500)
        text +=
          "      <s:value indicator=\"social.beneficiaries\"\(mix % 19 == 0 ? " extra=\"1\"" : "")>\(value)</s:value>\n"
        text += "      <s:value indicator=\"social.volunteers\">\(mix % 40)</s:value>\n    </s:response>\n"
      }
      text += "  </s:submission>\n"
    }
    return Array((text + "</s:submissions>\n").utf8)
  }

  @Test(arguments: ["csv", "xml"])
  func partsReadWhatOneSequentialReadReads(format: String) throws {
    let folder = TemporaryDirectory()
    let statistics = { format == "csv" ? CSVFormat.partStatistics : XMLFormat.partStatistics }
    let before = statistics()
    try withSmallParts {
      for seed in 0..<(format == "csv" ? 24 : 16) {
        let bytes =
          format == "csv"
          ? Self.awkwardFile(seed: seed, rows: 150 + seed * 5) : Self.awkwardXML(seed: seed, submissions: 40 + seed * 3)
        let file = folder.write("awkward-\(seed).\(format)", bytes: bytes)
        let sequential = try expectPartsMatchOneRead(file, in: folder, seed: seed)
        if format == "xml" { #expect(sequential[3].contains("ignored")) }
      }
    }
    // Both ways were taken: cuts between records, and cuts inside a quoted line break (CSV:
    // read past from the part before), a comment or a CDATA section (XML: read again, the
    // parts before it, merged as they were parsed, forgotten).
    #expect(statistics().split > before.split)
    if format == "csv" {
      #expect(statistics().repaired > before.repaired)
    } else {
      #expect(statistics().readAgain > before.readAgain)
      #expect(statistics().discarded > before.discarded)
    }
  }

  /// libxml2 keeps an element's line in 16 bits: past line 65535, lines still point at
  /// the value, read in one piece or in parts.
  @Test func xmlLinesStayExactPastTheSixteenBitLimit() throws {
    let folder = TemporaryDirectory()
    var text = "<submissions>\n"
    for index in 0..<12_000 {
      text +=
        "<submission partner=\"p\(index % 3)\">\n<response id=\"r\(index)\" period=\"2023\" territory=\"75056\">\n"
      text += "<value indicator=\"social.beneficiaries\">\(index % 90)</value>\n"
      text +=
        "<value indicator=\"social.volunteers\">\(index % 5 == 0 ? "" : String(index % 7))</value>\n</response>\n</submission>\n"
    }
    text += "</submissions>\n"
    let file = folder.write("long.xml", text)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count > 70_000)
    let texts = try withSmallParts { try expectPartsMatchOneRead(file, in: folder, seed: 0) }
    for report in [texts[1], texts[2]] {
      for row in report.split(separator: "\n").dropFirst() {
        let cells = row.split(separator: ",", omittingEmptySubsequences: false)
        let (line, indicator) =
          report == texts[1] ? (Int(cells[12])!, String(cells[8])) : (Int(cells[1])!, String(cells[4]))
        #expect(lines[line - 1].contains(indicator), "line \(line) for \(indicator)")
      }
    }
  }

  /// A large file is read in parts while its encoding is checked: a Windows-1252 byte, a
  /// stray byte in UTF-8 or a NUL byte past the first 64 KiB still gives what one read
  /// gives (the file read again as Windows-1252, or refused).
  @Test(arguments: [[UInt8]([0xE9]), [0xC3, 0xA9, 0x20, 0x81], [0x00], [0xC3, 0xA9]])
  func aLateByteDecidesTheEncodingAsInOneRead(late: [UInt8]) throws {
    let folder = TemporaryDirectory()
    var bytes = Array("partner_id;response_id;period;territory;indicator;value;commentaire\n".utf8)
    var lateOffset = 0
    for row in 0..<4000 {
      // Row 3000's response id ends with the late bytes.
      if row == 3000 { lateOffset = bytes.count }
      bytes += Array("p\(row % 3);r\(row)".utf8) + (row == 3000 ? Array("caf".utf8) + late : [])
      bytes += Array(";2023;75056;social.beneficiaries;\(row % 90);ok\n".utf8)
    }
    #expect(lateOffset > 65536, "past the start the parts judge by")
    let file = folder.write("late.csv", bytes: bytes)
    let before = CSVFormat.partStatistics
    let sequential = try withSmallParts { try expectPartsMatchOneRead(file, in: folder, seed: 0) }
    // The parts were merged as they were read, then forgotten once the late byte was seen
    // (other tests read files in parts meanwhile: the counts only grow).
    let discarded = CSVFormat.partStatistics.discarded - before.discarded
    #expect(late == [0xC3, 0xA9] || discarded >= 3, "parts read, merged, then forgotten: \(discarded)")
    switch late {
    case [0xE9]:
      #expect(sequential[3].contains("windows-1252"))
      #expect(sequential[1].contains("café"))
    case [0xC3, 0xA9]:
      #expect(sequential[3].contains("\"encoding\", value: \"utf-8\""))
      #expect(sequential[1].contains("café"))
    default:
      #expect(sequential[1].split(separator: "\n").count == 1, "refused whole: \(sequential[3])")
    }
  }

  /// A partner export of a mapped source (a title line above the header, a row to skip
  /// below it, Windows-1252, quoted line breaks, edits that replace a whole response,
  /// malformed rows) read in parts gives what one read gives.
  @Test func mappedCSVPartsReadWhatOneSequentialReadReads() throws {
    let folder = TemporaryDirectory()
    let pipeline = folder.write(
      "pipeline.yml",
      """
      catalog: \(repositoryRoot)/pipelines/catalog.yml
      output: out
      sources:
        - name: ateliers
          files: ["exports/*.csv"]
          format: csv
          csv: {encoding: auto, delimiter: ";", decimal: ",", header_row: 2, skip_rows: 1}
          partner: {column: Structure}
          response: {column: "N° atelier"}
          replaces: {column: Remplace}
          period: {column: Date, format: dd/MM/yyyy, granularity: month}
          territory: {column: Code postal, kind: postal_code}
          indicators:
            - {column: Participants, indicator: digital_inclusion.people_trained}
            - {column: Satisfaction, indicator: social.satisfaction}

      """)
    let definition = try PipelineDefinition.load(path: pipeline).get()
    let before = CSVFormat.partStatistics
    for seed in 0..<6 {
      var bytes = Array("Export ateliers - g".utf8) + [0xE9, 0x6E, 0xE9, 0x72, 0xE9] + Array(";;;;;;;\r\n".utf8)
      bytes +=
        Array("Structure;N".utf8) + [0xB0]
        + Array(" atelier;Remplace;Date;Code postal;Ville;Participants;Satisfaction\r\n".utf8)
      bytes += Array("(exemple);X;;01/01/2024;75001;Paris;1;1\r\n".utf8)
      for row in 0..<(300 + seed * 37) {
        let mix = (row &* 2_654_435_761 &+ seed &* 40503) & 0xFFFF
        let town: [UInt8] =
          mix % 7 == 0
          ? Array("\"Saint-".utf8) + [0xC9] + Array("tienne\nCedex\"".utf8)
          // Lines that read as rows, inside quotes: a cut there looks like a record start.
          : mix % 29 == 1
            ? Array(("\"Lyon\n" + String(repeating: "x;A1;;01/01/2024;69001;Lyon;1;1\n", count: 17) + "\"").utf8)
            : Array("Lyon".utf8)
        let replaces = mix % 23 == 0 ? "A\(row / 2 - 1)" : ""
        let line: [UInt8]
        switch mix % 41 {
        case 0: line = Array("emmaus-\(mix % 3);A\(row)".utf8)  // malformed: too few fields
        default:
          line =
            Array("emmaus-\(mix % 3);A\(row / 2);\(replaces);1\(mix % 9)/0\(1 + mix % 9)/2024;\(69001 + mix % 9);".utf8)
            + town + Array(";\(mix % 30);\(mix % 5),\(mix % 10)".utf8)
        }
        bytes += line + (mix % 3 == 0 ? [0x0A] : [0x0D, 0x0A])
      }
      folder.write("exports/ateliers-\(seed).csv", bytes: bytes)
      defer { try? FileManager.default.removeItem(atPath: folder.path + "/exports/ateliers-\(seed).csv") }
      var results: [[String]] = []
      for workers in [1, 2, 3, 5] {
        var runner = PipelineRunner(pipeline: definition)
        runner.workers = workers
        let (result, published) = try withSmallParts {
          try runner.run(inputs: try runner.discover([]), outputDirectory: folder.path + "/out-\(seed)-\(workers)")
        }
        var texts = try ["aggregates.csv", "records.csv", "rejects.csv"].map {
          try String(contentsOfFile: published.publishedPath + "/" + $0, encoding: .utf8)
        }
        let input = result.inputs[0]
        texts.append(
          "\(result.counts) \(input.detected.sorted { $0.key < $1.key }) \(input.unmapped) \(input.problem ?? "")")
        results.append(texts)
      }
      #expect(results[0][2].contains("superseded") && results[0][2].contains("malformed_row"))
      #expect(results[0][3].contains("windows-1252") && results[0][3].contains("[\"Ville\"]"))
      for (index, workers) in [2, 3, 5].enumerated() {
        // Compared without printing: the reports are long.
        let same = results[index + 1].elementsEqual(results[0])
        #expect(same, "seed \(seed), \(workers) parts")
      }
    }
    #expect(CSVFormat.partStatistics.split > before.split)
    #expect(CSVFormat.partStatistics.repaired > before.repaired)
  }

  @Test func aFileEndingInsideQuotesFailsAsInOneRead() throws {
    let folder = TemporaryDirectory()
    let file = folder.write(
      "open.csv",
      bytes: Self.awkwardFile(seed: 3, rows: 300)
        + Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8))
    let sequential = try withSmallParts { try expectPartsMatchOneRead(file, in: folder, seed: 0) }
    #expect(sequential[3].contains("inside a quoted field"))
  }

  /// Two files read in parts at once, the later superseding the earlier's observations:
  /// parts merged while the rest of their file is read, then taken back when a later cut
  /// falls inside a record (or the file ends inside quotes), leave the reports of one
  /// sequential read, the earlier file's superseded records standing again.
  @Test func partsMergedEarlyAndTakenBackLeaveWhatOneReadLeaves() throws {
    let before = CSVFormat.partStatistics
    try withSmallParts {
      for seed in 0..<8 {
        let folder = TemporaryDirectory()
        let inputs = folder.path + "/inputs"
        _ = folder.write("inputs/a.csv", bytes: Self.awkwardFile(seed: seed + 40, rows: 240))
        var later = Self.awkwardFile(seed: seed, rows: 260 + seed * 11)
        if seed % 4 == 3 { later += Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8) }
        _ = folder.write("inputs/b.csv", bytes: later)
        let sequential = try reports(inputs, workers: 1, output: folder.path + "/one")
        for workers in [4, 6] {
          let parallel = try reports(inputs, workers: workers, output: folder.path + "/\(workers)")
          #expect(parallel == sequential, "seed \(seed), \(workers) workers")
        }
      }
    }
    #expect(CSVFormat.partStatistics.discarded > before.discarded)
  }

  /// Runs `body` with files handed to the merge in chunks of `size` observations.
  func withChunks<T>(of size: Int, _ body: () throws -> T) rethrows -> T {
    let saved = BatchBuilder.defaultChunkSize
    BatchBuilder.defaultChunkSize = size
    defer { BatchBuilder.defaultChunkSize = saved }
    return try body()
  }

  /// A builder with somewhere to pass batches on hands over one batch per `chunkSize`
  /// observations, and the batches hold, in order, what one batch holds.
  @Test func aBuilderHandsOverItsBatchInChunks() throws {
    let folder = TemporaryDirectory()
    let file = folder.write("chunks.csv", bytes: Self.awkwardFile(seed: 5, rows: 300))
    func lines(_ batches: [NormalizedBatch]) -> ([Int32], [Int]) {
      (batches.flatMap { $0.records.map(\.line) }, batches.flatMap { $0.rejects.map(\.line) })
    }
    let whole = BatchBuilder(catalog: Self.pipeline.catalog)
    _ = CSVFormat().read(path: file, into: whole)
    let chunked = BatchBuilder(catalog: Self.pipeline.catalog)
    chunked.chunkSize = 7
    final class Handed { var batches: [NormalizedBatch] = [] }
    let handed = Handed()
    chunked.passOn = ({ handed.batches.append($0) }, { handed.batches = [] })
    _ = CSVFormat().read(path: file, into: chunked)
    #expect(handed.batches.count == whole.batch.readCount / 7)
    #expect(handed.batches.allSatisfy { $0.readCount == 7 })
    #expect(lines(handed.batches + chunked.batches) == lines([whole.batch]))
  }

  /// The ledger's count of each partner's accepted records, by which the aggregation
  /// sizes and shares its work, stays exact through supersessions within and across files,
  /// edited Kobo submissions replacing whole responses, and chunks taken back (a file
  /// refused after some were merged, a file read again as Windows-1252).
  @Test func theLedgerCountsEachPartnersAcceptedRecords() throws {
    let folder = TemporaryDirectory()
    let files = [
      folder.write("a.csv", bytes: Self.awkwardFile(seed: 41, rows: 240)),
      folder.write("b.xml", bytes: Self.awkwardXML(seed: 7, submissions: 60)),
      folder.write(
        "c.csv",
        bytes: Self.awkwardFile(seed: 8, rows: 90)
          + Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8)),
      folder.write(
        "d.csv",
        bytes: Self.awkwardFile(seed: 9, rows: 2500) + Array("p2,r7,2023,75056,social.beneficiaries,3,caf".utf8)
          + [0xE9, 0x0A]),
      folder.write("e.csv", bytes: Self.awkwardFile(seed: 3, rows: 270)),
    ]
    let alliance = try PipelineDefinition.load(path: repositoryRoot + "/pipelines/alliance.yml").get()
    func expectExactCounts(_ ledger: Ledger, _ comment: Comment) {
      var expected = [Int](repeating: 0, count: ledger.partners.count)
      for record in ledger.records where !record.superseded { expected[Int(record.partner)] += 1 }
      #expect(ledger.acceptedPerPartner == expected, comment)
      #expect(ledger.acceptedCount == expected.reduce(0, +), comment)
      // Each record's file, from where it sits, agrees with the counts kept per file (a
      // refused file holds no record, between files that do).
      var perFile = [Int](repeating: 0, count: ledger.files.count)
      var supersededPerFile = perFile
      for index in ledger.records.indices {
        let file = Int(ledger.file(ofRecord: index))
        perFile[file] += 1
        if ledger.records[index].superseded { supersededPerFile[file] += 1 }
      }
      #expect(perFile == ledger.recordsPerFile, comment)
      #expect(supersededPerFile == ledger.supersededPerFile, comment)
      #expect(perFile.contains(0) && perFile.last != 0, comment)
    }
    // The passes over the ledger read 32 bytes a record, never across two cache lines.
    #expect(MemoryLayout<LedgerRecord>.stride == 32)
    for size in [3, 64, Int.max] {
      try withChunks(of: size) {
        let (result, events) = try ingest(files)
        #expect(events.contains { $0.reason == .superseded })
        #expect(result.inputs.contains { $0.problem != nil }, "a file refused whole")
        expectExactCounts(result.ledger, "canonical inputs, chunks of \(size)")
        let runner = PipelineRunner(pipeline: alliance)
        let (run, _) = try runner.run(
          inputs: try runner.discover([]), outputDirectory: folder.path + "/alliance-\(size)")
        #expect(run.counts.superseded > 0)
        expectExactCounts(run.ledger, "alliance pipeline, chunks of \(size)")
      }
    }
  }

  /// Files handed to the merge in chunks while they are read leave what one batch per file
  /// leaves, whatever the chunk size: canonical CSV and XML with rejects, malformed rows
  /// and supersessions within and across files, a file refused after some of its chunks
  /// were merged (it ends inside quotes), and the partner sources of the alliance pipeline
  /// (several observations a row, edited Kobo submissions replacing whole responses).
  @Test func chunksMergedWhileAFileIsReadLeaveWhatOneBatchLeaves() throws {
    let folder = TemporaryDirectory()
    let inputs = folder.path + "/inputs"
    _ = folder.write("inputs/a.csv", bytes: Self.awkwardFile(seed: 41, rows: 240))
    _ = folder.write("inputs/b.xml", bytes: Self.awkwardXML(seed: 7, submissions: 60))
    _ = folder.write("inputs/c.csv", bytes: Self.awkwardFile(seed: 3, rows: 270))
    _ = folder.write(
      "inputs/d.csv",
      bytes: Self.awkwardFile(seed: 8, rows: 90)
        + Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8))
    // Past the first 64 KiB, a Windows-1252 byte: the file, merged in chunks as UTF-8, is
    // taken back and read again as Windows-1252.
    let windows1252 =
      Self.awkwardFile(seed: 9, rows: 2500) + Array("p2,r7,2023,75056,social.beneficiaries,3,caf".utf8) + [0xE9, 0x0A]
    #expect(windows1252.count > 1 << 16)
    _ = folder.write("inputs/e.csv", bytes: windows1252)
    let alliance = try PipelineDefinition.load(path: repositoryRoot + "/pipelines/alliance.yml").get()
    func allianceReports(_ output: String) throws -> [String] {
      let runner = PipelineRunner(pipeline: alliance)
      let (result, folder) = try runner.run(inputs: try runner.discover([]), outputDirectory: output)
      return try ["aggregates.csv", "records.csv", "rejects.csv"].map {
        try String(contentsOfFile: folder.publishedPath + "/" + $0, encoding: .utf8)
      } + ["\(result.counts)"]
    }
    let whole = try withChunks(of: .max) {
      (try reports(inputs, workers: 2, output: folder.path + "/whole"), try allianceReports(folder.path + "/aw"))
    }
    // With the store, at any chunk size, a first run and a later one that reads the stored
    // batches back (a new file came) publish what runs without it publish.
    func storeReports(_ inputs: String, _ output: String) throws -> [String] {
      let runner = PipelineRunner(pipeline: Self.pipeline)
      let outcome = try runner.run(
        discovery: try InputDiscovery(paths: [inputs]), outputDirectory: output,
        store: StoreSettings(path: output + "/store.sqlite"))
      guard case .published(let result, let published) = outcome else { return ["nothing published"] }
      return try ["aggregates.csv", "records.csv", "rejects.csv"].map {
        try String(contentsOfFile: published.publishedPath + "/" + $0, encoding: .utf8)
      } + ["\(result.counts)"]
    }
    let later = Array((canonicalHeader + "p9,r1,2023,75056,social.beneficiaries,4,\n").utf8)
    for size in [2, 64] {
      let copy = folder.path + "/store-inputs-\(size)"
      try FileManager.default.copyItem(atPath: inputs, toPath: copy)
      let output = folder.path + "/store-\(size)"
      for round in 0..<2 {
        if round == 1 { _ = folder.write("store-inputs-\(size)/z.csv", bytes: later) }
        let stateless = try withChunks(of: .max) { try reports(copy, workers: 2, output: output + "-\(round)") }
        let stored = try withChunks(of: size) { try storeReports(copy, output) }
        #expect(Array(stored.prefix(3)) == Array(stateless.prefix(3)), "store run \(round), chunks of \(size)")
      }
    }
    for size in [1, 2, 5, 64] {
      let chunked = try withChunks(of: size) {
        (
          try reports(inputs, workers: 2, output: folder.path + "/\(size)"),
          try allianceReports(folder.path + "/a\(size)")
        )
      }
      #expect(chunked.0 == whole.0, "canonical inputs, chunks of \(size)")
      #expect(chunked.1 == whole.1, "alliance pipeline, chunks of \(size)")
    }
  }
}
