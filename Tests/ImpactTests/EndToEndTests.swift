import Foundation
import ImpactModel
import ImpactPipeline
import ImpactReports
import Testing

/// The whole pipeline on the bundled samples, checked against golden outputs.
///
/// After an intended change, regenerate the golden files with
/// `IMPACT_UPDATE_GOLDEN=1 swift test --filter EndToEndTests` and review the diff.
@Suite struct EndToEndTests {

  func loadPipeline() throws -> PipelineDefinition {
    try PipelineDefinition.load(path: repositoryRoot + "/pipelines/canonical.yml").get()
  }

  @Test func samplesMatchTheGoldenReports() throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let (result, folder) = try runner.run(
      inputs: try InputDiscovery(paths: [repositoryRoot + "/samples/canonical"]), outputDirectory: output.path)
    #expect(result.counts.read == 160)
    #expect(result.counts.accepted == 140)
    #expect(result.counts.rejected == 14)
    #expect(result.counts.superseded == 6)
    // The folder's README is a note, passed over without a word.
    #expect(result.skipped.isEmpty)
    try expectGoldenReports(in: folder.latestPath, prefix: "samples-")
  }

  @Test func filesNoFormatClaimsAreListedAsSkipped() throws {
    let inbox = TemporaryDirectory()
    inbox.write("a.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,1,\n")
    let sheet = inbox.write("b.xlsx", "PK")
    inbox.write("NOTES.md", "# notes")
    let discovery = try InputDiscovery(paths: [inbox.path])
    #expect(discovery.skipped == [sheet])
    #expect(discovery.files == [inbox.path + "/a.csv"])
  }

  /// A symbolic link beside the file it names is an input of its own (the digest then
  /// names it a copy): the file is never dropped for its link, whatever order the folder
  /// lists them in.
  @Test func aLinkDoesNotHideTheFileItNames() throws {
    let inbox = TemporaryDirectory()
    let real = inbox.write("a.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,1,\n")
    inbox.write("b.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,2,\n")
    try FileManager.default.createSymbolicLink(atPath: inbox.path + "/c_link.csv", withDestinationPath: real)
    let discovery = try InputDiscovery(paths: [inbox.path])
    #expect(discovery.files == ["a.csv", "b.csv", "c_link.csv"].map { inbox.path + "/" + $0 })
  }

  /// A subfolder that cannot be listed is skipped and named with the reason, instead of
  /// its files being left out without a word. Root lists every folder: the test needs
  /// another user.
  @Test func anUnreadableFolderIsNamedNotPassedOver() throws {
    guard getuid() != 0 else {
      print("skipped: anUnreadableFolderIsNamedNotPassedOver: root reads every folder (run the tests as another user)")
      return
    }
    let inbox = TemporaryDirectory()
    inbox.write("locked/a.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,1,\n")
    chmod(inbox.path + "/locked", 0)
    defer { chmod(inbox.path + "/locked", 0o755) }
    let discovery = try InputDiscovery(paths: [inbox.path])
    #expect(discovery.skipped == [inbox.path + "/locked"])
    #expect(discovery.unreadableFolders.first?.reason.isEmpty == false)
    #expect(throws: UsageError.self) { _ = try InputDiscovery(paths: [inbox.path + "/locked"]) }
  }

  @Test func summaryAccountsForEveryInput() throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let (result, folder) = try runner.run(
      inputs: try InputDiscovery(paths: [repositoryRoot + "/samples/canonical"]), outputDirectory: output.path)
    let data = try Data(contentsOf: URL(fileURLWithPath: folder.latestPath + "/summary.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let counts = try #require(json["counts"] as? [String: Int])
    #expect(counts == ["read": 160, "accepted": 140, "rejected": 14, "superseded": 6])
    let inputs = try #require(json["inputs"] as? [[String: Any]])
    #expect(inputs.count == 5)
    for input in inputs {
      let read = input["read"] as? Int ?? -1
      let parts = ["accepted", "rejected", "superseded"].map { input[$0] as? Int ?? -1 }.reduce(0, +)
      #expect(read == parts)
      #expect((input["sha256"] as? String)?.count == 64)
    }
    let rejections = try #require(json["rejections"] as? [String: Int])
    #expect(rejections.values.reduce(0, +) == 14)
    let transitions = try #require(json["transitions"] as? [[String: Any]])
    #expect(transitions.map { $0["id"] as? String } == Transition.allCases.map(\.id))
    let social = try #require(transitions.first?["indicators"] as? [[String: Any]])
    #expect(social.first?["id"] as? String == "social.beneficiaries")
    // Exact decimals in JSON: the microcredit amounts keep their cents.
    let text = String(decoding: data, as: UTF8.self)
    #expect(!text.contains("00000000001"))
    #expect(result.rows.contains { $0.grouping == .indicatorYearRegion })
  }

  /// Each row of `records.csv` names the file and line it came from, which the ledger
  /// keeps as where the row sits among the files (not per row): across files with no
  /// accepted row between others (all rejected, refused whole, empty, one left with only
  /// superseded rows) and across the 32,768-row chunks `records.csv` is formatted in.
  @Test func recordsNameTheFileAndLineTheyCameFrom() throws {
    let inbox = TemporaryDirectory()
    func rows(_ partner: String, _ count: Int, value: Int = 1) -> String {
      canonicalHeader
        + (0..<count).map { "\(partner),r\($0),2023,75056,social.beneficiaries,\(value),\n" }.joined()
    }
    inbox.write("a.csv", rows("pa", 40_000))
    inbox.write("b.csv", canonicalHeader + "pb,r1,2023,75056,social.beneficiaries,-4,\n")
    inbox.write("c.csv", "partner_id,value\npc,1\n")
    inbox.write("d.csv", canonicalHeader)
    inbox.write("e.csv", rows("pe", 3))
    inbox.write("f.csv", rows("pe", 3, value: 2))
    inbox.write("g.csv", rows("pg", 30_000))
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let (result, folder) = try runner.run(inputs: try InputDiscovery(paths: [inbox.path]), outputDirectory: output.path)
    #expect(result.counts.accepted == 70_003 && result.counts.superseded == 3)
    let text = try String(contentsOfFile: folder.latestPath + "/records.csv", encoding: .utf8)
    var seen = 0
    for line in text.split(separator: "\n").dropFirst() {
      let cells = line.split(separator: ",", omittingEmptySubsequences: false)
      let file = String(cells[11].split(separator: "/").last ?? "")
      let partner = String(cells[0])
      // Each file holds one partner (e and f: pe, f superseding e), and row rN sits on
      // line N + 2.
      let expected = ["pa": "a.csv", "pe": "f.csv", "pg": "g.csv"][partner]
      #expect(file == expected, "\(line)")
      #expect(Int(cells[12]) == Int(cells[1].dropFirst())! + 2, "\(line)")
      seen += 1
    }
    #expect(seen == 70_003)
  }

  @Test func aFailedRunPublishesNothing() throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let inputs = try InputDiscovery(paths: [repositoryRoot + "/samples/canonical"])
    let (_, first) = try runner.run(inputs: inputs, outputDirectory: output.path)
    let before = try FileManager.default.destinationOfSymbolicLink(atPath: first.latestPath)
    // An output folder whose `latest` is a real folder, which rename cannot replace: the
    // run must fail and leave neither a partial nor an unreachable run folder behind.
    let blocked = TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: blocked.path + "/latest/keep", withIntermediateDirectories: true)
    #expect(throws: RunError.self) { try runner.run(inputs: inputs, outputDirectory: blocked.path) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: blocked.path) == ["latest"])
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: first.latestPath) == before)
  }

  @Test func neutralisesFormulasInCSVCells() throws {
    let folder = TemporaryDirectory()
    let path = folder.write(
      "evil.csv",
      canonicalHeader
        + "a,=HYPERLINK(\"http://x\"),2023,33,social.volunteers,@SUM(1),\na,+r2,2023,33,social.volunteers,-3,\n")
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let (_, run) = try runner.run(inputs: try InputDiscovery(paths: [path]), outputDirectory: folder.path + "/out")
    let rejects = parseCSV(try String(contentsOfFile: run.latestPath + "/rejects.csv", encoding: .utf8))
    #expect(rejects.count == 3)
    for row in rejects.dropFirst() {
      for cell in row where ["=", "+", "-", "@"].contains(cell.first.map(String.init) ?? "") {
        // Only plain numbers may start so: no spreadsheet runs them.
        #expect(Double(cell.replacingOccurrences(of: ",", with: ".")) != nil, "\(cell)")
      }
    }
    #expect(rejects[2][3] == "'+r2")
    #expect(rejects[2][6] == "-3")
    #expect(rejects[1][3] == "'=HYPERLINK(\"http://x\")")
    #expect(rejects[1][1] == "2")
  }

  /// A NUL byte past the start of a CSV file is a damaged text file, not a binary one: its
  /// rows are counted and refused with the file, and rejects.csv shows the byte as U+FFFD
  /// (a NUL cuts text short in many tools). One near the start refuses a binary file.
  @Test func countsTheRowsOfATextFileWithALateNULByte() throws {
    let folder = TemporaryDirectory()
    var bytes = Array(canonicalHeader.utf8)
    for row in 0..<40 {
      bytes += Array("p1,r\(row)".utf8) + (row == 30 ? [0] : []) + Array(",2023,75056,social.volunteers,\(row),\n".utf8)
    }
    let damaged = folder.write("damaged.csv", bytes: bytes)
    let binary = folder.write("binary.csv", bytes: Array(canonicalHeader.utf8) + [0, 1, 2] + bytes)
    let runner = PipelineRunner(pipeline: try loadPipeline())
    let (result, run) = try runner.run(
      inputs: try InputDiscovery(paths: [damaged, binary]), outputDirectory: folder.path + "/out")
    #expect(result.counts.read == 40 && result.counts.rejected == 40 && result.counts.accepted == 0)
    let damagedReport = try #require(result.inputs.first { $0.path == damaged })
    #expect(damagedReport.problem?.contains("NUL byte") == true)
    #expect(damagedReport.problemLine == 32)
    #expect(damagedReport.sha256.count == 64)
    #expect(result.inputs.first { $0.path == binary }?.problem?.contains("not a text file") == true)
    let text = try String(contentsOfFile: run.latestPath + "/rejects.csv", encoding: .utf8)
    #expect(!text.unicodeScalars.contains("\u{0}"))
    let rejects = parseCSV(text)
    #expect(rejects.count == 41)
    #expect(rejects.dropFirst().allSatisfy { $0[7] == "malformed_file" })
    #expect(rejects[31][3] == "r30\u{FFFD}")
    // The same bytes through a source that says Windows-1252 (the file is ASCII): still damaged.
    let pipeline = folder.write(
      "pipeline.yml",
      """
      catalog: \(repositoryRoot)/pipelines/catalog.yml
      output: out
      sources:
        - name: ascii
          files: ["exports/*.csv"]
          format: csv
          csv: {encoding: windows-1252}
          partner: {column: partner_id}
          response: {column: response_id}
          period: {column: period}
          territory: {column: territory}
          indicators:
            - {column: value, indicator: social.volunteers}

      """)
    let export = folder.write("exports/damaged.csv", bytes: bytes)
    let mapped = PipelineRunner(pipeline: try PipelineDefinition.load(path: pipeline).get())
    let (viaSource, _) = try mapped.run(
      inputs: try InputDiscovery(paths: [export], sources: mapped.pipeline.sources),
      outputDirectory: folder.path + "/o2")
    #expect(viaSource.counts.read == 40 && viaSource.counts.rejected == 40 && viaSource.counts.accepted == 0)
    #expect(viaSource.inputs.first?.problem?.contains("NUL byte") == true)
  }
}
