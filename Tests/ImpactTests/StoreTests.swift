import Foundation
import ImpactModel
import ImpactNormalization
import ImpactPipeline
import ImpactReports
import ImpactStore
import Testing

/// The embedded store: incremental runs publish what one run over every input would,
/// a second run over the same inbox changes nothing, and the history follows.
@Suite struct StoreTests {
  static let canonical: PipelineDefinition = {
    switch PipelineDefinition.load(path: repositoryRoot + "/pipelines/canonical.yml") {
    case .success(let pipeline): return pipeline
    case .failure(let error): fatalError("\(error)")
    }
  }()

  static let reports = ["aggregates.csv", "records.csv", "rejects.csv", "trends.csv"]

  /// A run with the store over `paths`, into `output`.
  @discardableResult
  func storeRun(_ paths: [String], output: String, workers: Int = 2) throws -> StoreRunOutcome {
    var runner = PipelineRunner(pipeline: Self.canonical)
    runner.workers = workers
    let discovery = try InputDiscovery(paths: paths)
    return try runner.run(
      discovery: discovery, outputDirectory: output,
      store: StoreSettings(path: StoreSettings.defaultPath(outputDirectory: output)))
  }

  /// A run without the store over exactly `paths`.
  func statelessRun(_ paths: [String], output: String) throws -> String {
    let runner = PipelineRunner(pipeline: Self.canonical)
    let (_, folder) = try runner.run(inputs: try InputDiscovery(paths: paths), outputDirectory: output)
    return folder.publishedPath
  }

  func expectSameReports(_ left: String, _ right: String, _ comment: Comment? = nil) throws {
    for name in Self.reports {
      let a = try String(contentsOfFile: left + "/" + name, encoding: .utf8)
      let b = try String(contentsOfFile: right + "/" + name, encoding: .utf8)
      #expect(a == b, "\(name) differs \(comment?.description ?? "")")
    }
  }

  func summary(_ folder: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  func counts(_ folder: String) throws -> [String: Int] {
    try summary(folder)["counts"] as! [String: Int]
  }

  /// A file with the content of another of the same run is read once, and the summary
  /// names it with the file it copies.
  @Test func identicalCopiesAreNamed() throws {
    let work = TemporaryDirectory()
    let text = canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,1,\n"
    let first = work.write("inbox/a.csv", text)
    let copy = work.write("inbox/a_copie.csv", text)
    guard case .published(let result, _) = try storeRun([work.path + "/inbox"], output: work.path + "/out") else {
      Issue.record("nothing published")
      return
    }
    #expect(result.delta?.copies == ["\(copy) (same content as \(first))"])
    #expect(result.counts.read == 1)
  }

  @Test func aFirstRunWithTheStoreEqualsAStatelessRun() throws {
    let output = TemporaryDirectory()
    let samples = repositoryRoot + "/samples/canonical"
    guard case .published(_, let folder) = try storeRun([samples], output: output.path + "/store") else {
      Issue.record("the first run published nothing")
      return
    }
    let reference = try statelessRun([samples], output: output.path + "/stateless")
    try expectSameReports(folder.publishedPath, reference)
    #expect(try counts(folder.publishedPath) == counts(reference))
  }

  @Test func aSecondRunOverTheSameInboxIngestsNothingAndKeepsLatest() throws {
    let output = TemporaryDirectory()
    let samples = repositoryRoot + "/samples/canonical"
    guard case .published(_, let first) = try storeRun([samples], output: output.path) else {
      Issue.record("the first run published nothing")
      return
    }
    guard case .unchanged(_, let current, _, let inputs) = try storeRun([samples], output: output.path) else {
      Issue.record("the second run published again")
      return
    }
    #expect(current == first.runID)
    #expect(inputs == 5)
    #expect(RunFolder.current(in: output.path) == first.runID)
    let store = try Store(path: StoreSettings.defaultPath(outputDirectory: output.path))
    #expect(try store.runs().map(\.status) == ["unchanged", "published"])
    #expect(try store.activeInputs().count == 5)
  }

  @Test func aRenamedIdenticalFileIsRecognised() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    let original = try String(
      contentsOfFile: repositoryRoot + "/samples/canonical/emmaus-connect-2022.csv", encoding: .utf8)
    inbox.write("a/emmaus.csv", original)
    try storeRun([inbox.path], output: output.path)
    try FileManager.default.moveItem(atPath: inbox.path + "/a/emmaus.csv", toPath: inbox.path + "/a/renamed.csv")
    guard case .unchanged = try storeRun([inbox.path], output: output.path) else {
      Issue.record("a renamed file was ingested again")
      return
    }
    // The same content at two paths at once counts once.
    inbox.write("b/copy.csv", original)
    guard case .unchanged = try storeRun([inbox.path], output: output.path) else {
      Issue.record("a copy was ingested again")
      return
    }
  }

  /// Random canonical files fed run by run, some changed or resubmitted on the way: the
  /// last run publishes what one stateless run over the same contents, in the same order,
  /// publishes.
  @Test(arguments: [11, 12, 13, 14] as [UInt64])
  func incrementalRunsPublishWhatOneRunWould(seed: UInt64) throws {
    var random = AccountingTests.Generator(state: seed)
    let scratch = TemporaryDirectory()
    let files =
      AccountingTests().makeFiles(seed: seed, in: scratch) + AccountingTests().makeFiles(seed: seed + 100, in: scratch)
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    var order: [String] = []  // the stateless run's inputs: each content in arrival order
    for (index, file) in files.enumerated() {
      let name = String(format: "%03d-", index) + (file as NSString).lastPathComponent
      let target = inbox.path + "/" + name
      try FileManager.default.copyItem(atPath: file, toPath: target)
      order.append(target)
      if Bool.random(using: &random) || index == files.count - 1 {
        try storeRun([inbox.path], output: output.path, workers: Int.random(in: 1...2, using: &random))
      }
    }
    // A changed file: its new content replaces its earlier observations, read last.
    let changed = order[0]
    let text = try String(contentsOfFile: changed, encoding: .utf8)
    let edited = text.replacingOccurrences(of: ",\"1", with: ",\"2")
    try edited.write(toFile: changed, atomically: true, encoding: .utf8)
    if edited != text {
      try storeRun([inbox.path], output: output.path)
      // In the stateless run, the changed file comes after every other one.
      let reference = TemporaryDirectory()
      for (index, path) in (order.dropFirst() + [changed]).enumerated() {
        try FileManager.default.copyItem(atPath: path, toPath: reference.path + String(format: "/%03d.csv", index))
      }
      let stateless = try statelessRun([reference.path], output: output.path + "-reference")
      try compareIgnoringSourceFiles(output.path + "/latest", stateless)
      try? FileManager.default.removeItem(atPath: output.path + "-reference")
    } else {
      let stateless = try statelessRun(order, output: output.path + "-reference")
      try expectSameReports(output.path + "/latest", stateless)
      try? FileManager.default.removeItem(atPath: output.path + "-reference")
    }
  }

  /// Aggregates and trends equal; records and rejects equal once the source file column,
  /// which names different copies, is set aside.
  func compareIgnoringSourceFiles(_ left: String, _ right: String) throws {
    for name in ["aggregates.csv", "trends.csv"] {
      #expect(
        try String(contentsOfFile: left + "/" + name, encoding: .utf8)
          == String(contentsOfFile: right + "/" + name, encoding: .utf8), "\(name)")
    }
    for name in ["records.csv", "rejects.csv"] {
      let column = name == "records.csv" ? 11 : 0
      func rows(_ folder: String) throws -> [[String]] {
        parseCSV(try String(contentsOfFile: folder + "/" + name, encoding: .utf8)).map { row in
          var row = row
          if row.count > column { row[column] = "" }
          // Messages name the file of the replacing submission.
          if name == "rejects.csv", row.count > 8 { row[8] = "" }
          return row
        }
      }
      #expect(try rows(left) == rows(right), "\(name)")
    }
    #expect(try counts(left) == counts(right))
  }

  @Test func aResubmissionInALaterRunSupersedesTheStoredObservation() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    inbox.write(
      "1.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,10,\np1,r2,2023,75056,social.beneficiaries,5,\n"
    )
    try storeRun([inbox.path], output: output.path)
    inbox.write("2.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,12,\n")
    guard case .published(let result, _) = try storeRun([inbox.path], output: output.path) else {
      Issue.record("nothing published")
      return
    }
    #expect(result.counts == Counts(read: 3, accepted: 2, rejected: 0, superseded: 1))
    #expect(result.delta?.new.count == 1)
    #expect(result.delta?.newCounts == Counts(read: 1, accepted: 1, rejected: 0, superseded: 0))
    let rejects = parseCSV(try String(contentsOfFile: output.path + "/latest/rejects.csv", encoding: .utf8))
    #expect(rejects.count == 2)
    #expect(rejects[1][0].hasSuffix("1.csv") && rejects[1][7] == "superseded" && rejects[1][6] == "10")
  }

  @Test func forgetRetractsAnInputOrAPartnerAndRebuildPublishesWithoutIt() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    let first = inbox.write("1.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,10,\n")
    inbox.write("2.csv", canonicalHeader + "p2,r1,2023,75056,social.beneficiaries,7,\n")
    inbox.write("3.csv", canonicalHeader + "p3,r1,2023,75056,social.beneficiaries,1,\n")
    try storeRun([inbox.path], output: output.path)
    let runner = PipelineRunner(pipeline: Self.canonical)
    let settings = StoreSettings(path: StoreSettings.defaultPath(outputDirectory: output.path))
    #expect(try runner.forget(paths: [first], partner: nil, store: settings).map(\.path) == [first])
    #expect(try runner.forget(paths: [], partner: "p2", store: settings).count == 1)
    #expect(throws: UsageError.self) { try runner.forget(paths: ["nowhere.csv"], partner: nil, store: settings) }
    // The files stay in the inbox: a forgotten content is passed over.
    guard case .published(let result, _) = try storeRun([inbox.path], output: output.path) else {
      Issue.record("nothing published after forget")
      return
    }
    #expect(result.counts.read == 1)
    #expect(result.delta?.forgotten.count == 2)
    // The forgotten files still in the inbox do not make later runs publish again.
    guard case .unchanged = try storeRun([inbox.path], output: output.path) else {
      Issue.record("a forgotten file in the inbox made the run publish again")
      return
    }
    // Rebuild reads no file: the same figures with the inbox gone.
    try FileManager.default.removeItem(atPath: inbox.path + "/3.csv")
    guard
      case .published(let rebuilt, let folder) = try runner.run(
        discovery: nil, outputDirectory: output.path, store: settings)
    else {
      Issue.record("rebuild published nothing")
      return
    }
    #expect(rebuilt.counts.read == 1)
    #expect(try String(contentsOfFile: folder.publishedPath + "/aggregates.csv", encoding: .utf8).contains("p3"))
  }

  @Test func aChangedCatalogReadsThePresentInputsAgain() throws {
    let work = TemporaryDirectory()
    let catalog = try String(contentsOfFile: repositoryRoot + "/pipelines/catalog.yml", encoding: .utf8)
    work.write("p/catalog.yml", catalog)
    let pipelinePath = work.write("p/pipeline.yml", "catalog: catalog.yml\noutput: ../out\n")
    let kept = work.write("inbox/a.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,10,\n")
    let gone = work.write("inbox/b.csv", canonicalHeader + "p2,r1,2023,75056,social.beneficiaries,4,\n")
    func run() throws -> StoreRunOutcome {
      guard case .success(let pipeline) = PipelineDefinition.load(path: pipelinePath) else {
        fatalError("the test pipeline does not load")
      }
      return try PipelineRunner(pipeline: pipeline).run(
        discovery: try InputDiscovery(paths: [work.path + "/inbox"]), outputDirectory: work.path + "/out",
        store: StoreSettings(path: work.path + "/out/store.sqlite"))
    }
    guard case .published(let first, _) = try run() else {
      Issue.record("nothing published")
      return
    }
    try FileManager.default.removeItem(atPath: gone)
    work.write("p/catalog.yml", catalog + "\n# edited\n")
    guard case .published(let second, _) = try run() else {
      Issue.record("a changed catalog published nothing")
      return
    }
    #expect(second.delta?.renormalized == [kept])
    #expect(second.counts == first.counts)
    let stale = second.inputs.first { $0.path == gone }
    #expect(stale?.warnings.contains { $0.contains("normalized by an earlier pipeline") } == true)
    // Read again under the new catalog, the present input is current: nothing new next time.
    guard case .unchanged = try run() else {
      Issue.record("the run after the re-read published again")
      return
    }
  }

  @Test func aChangedFileIsRecognisedWhateverTheSpellingOfItsPath() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    inbox.write("sub/keep.txt", "")
    inbox.write("a.csv", canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,10,\n")
    // First given through a detour, as a run started from another folder would name it.
    try storeRun([inbox.path + "/sub/.."], output: output.path)
    inbox.write("a.csv", canonicalHeader + "p1,r2,2023,75056,social.beneficiaries,3,\n")
    guard case .published(let result, _) = try storeRun([inbox.path], output: output.path) else {
      Issue.record("nothing published")
      return
    }
    #expect(result.delta?.replaced == [inbox.path + "/a.csv"])
    #expect(result.counts.read == 1)
  }

  /// Two files whose names differ only in their Unicode normalization are two inputs to
  /// the store too: when one changes, its old content is replaced, not the other's, and
  /// neither is counted twice.
  @Test func filesWhoseNamesDifferOnlyInNormalizationAreReplacedApart() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    let composed = "caf\u{E9}.csv"
    let decomposed = "cafe\u{301}.csv"
    inbox.write(composed, canonicalHeader + "p1,r1,2023,75056,social.beneficiaries,10,\n")
    inbox.write(decomposed, canonicalHeader + "p2,r2,2023,75056,social.beneficiaries,3,\n")
    try storeRun([inbox.path], output: output.path)
    let changed = inbox.write(decomposed, canonicalHeader + "p2,r3,2023,75056,social.beneficiaries,4,\n")
    guard case .published(let result, _) = try storeRun([inbox.path], output: output.path) else {
      Issue.record("nothing published")
      return
    }
    #expect(result.delta?.replaced == [changed])
    #expect(result.inputs.count == 2)
    #expect(result.counts.read == 2 && result.counts.accepted == 2 && result.counts.superseded == 0)
  }

  @Test func keepPrunesOldRunFolders() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    var runner = PipelineRunner(pipeline: Self.canonical)
    runner.workers = 1
    let settings = StoreSettings(path: StoreSettings.defaultPath(outputDirectory: output.path))
    for index in 0..<4 {
      inbox.write("\(index).csv", canonicalHeader + "p\(index),r1,2023,75056,social.beneficiaries,\(index),\n")
      _ = try runner.run(
        discovery: try InputDiscovery(paths: [inbox.path]), outputDirectory: output.path, store: settings, keep: 2)
    }
    let folders = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix("20") }
    #expect(folders.count == 2)
    #expect(folders.contains(RunFolder.current(in: output.path) ?? "?"))
  }

  /// `batch` as the store writes it, and read back, which must write the same bytes.
  func storedAndRead(_ batch: NormalizedBatch) throws -> (encoded: [UInt8], decoded: NormalizedBatch) {
    let encoded = batch.encoded(catalog: shippedCatalog)
    let decoded = try encoded.withUnsafeBytes { try NormalizedBatch.decode($0, catalog: shippedCatalog) }
    #expect(decoded.encoded(catalog: shippedCatalog) == encoded)
    return (encoded, decoded)
  }

  @Test func aResponseReadAgainFurtherOnHasTwoBatchIDsAndOneInTheLedger() throws {
    let folder = TemporaryDirectory()
    let path = folder.write(
      "again.csv",
      canonicalHeader + """
        p,r1,2023,75056,social.beneficiaries,1,
        p,r1,2023,75056,social.volunteers,4,
        p,r2,2023,75056,social.beneficiaries,2,
        p,r1,2023,75056,social.beneficiaries,3,

        """)
    let result = readFile(path)
    // A batch spares the hash of a response that repeats the row before, nothing more.
    #expect(result.batch.records.map(\.response) == [0, 0, 1, 2])
    #expect(try storedAndRead(result.batch).decoded.records.map(\.response) == [0, 0, 1, 2])
    let (ingested, events) = try ingest([path])
    #expect(ingested.counts.accepted == 3 && ingested.counts.superseded == 1)
    #expect(events.map(\.line) == [2])
    #expect(ingested.ledger.responses.count == 2)
  }

  @Test func aBatchSurvivesTheStoreUnchanged() throws {
    let result = readFile(repositoryRoot + "/samples/canonical/crea-sol-2023.csv")
    let (encoded, decoded) = try storedAndRead(result.batch)
    #expect(decoded.records.count == result.batch.records.count)
    #expect(decoded.rejects.map(\.message) == result.batch.rejects.map(\.message))
    // The format after the magic (little-endian): format 3, written before a response could
    // repeat, still reads; a format this impact does not know is said so.
    #expect(encoded[4] == 4)
    var older = encoded
    older[4] = 3
    #expect(
      try older.withUnsafeBytes { try NormalizedBatch.decode($0, catalog: shippedCatalog) }.records.count
        == decoded.records.count)
    var newer = encoded
    newer[4] = 5
    #expect {
      try newer.withUnsafeBytes { _ = try NormalizedBatch.decode($0, catalog: shippedCatalog) }
    } throws: { "\($0)".contains("batch format 5 is not known") }
    // Truncated or altered blobs are refused, never misread.
    for cut in [0, 7, encoded.count / 2, encoded.count - 1] {
      #expect(throws: NormalizedBatch.DecodeError.self) {
        try Array(encoded.prefix(cut)).withUnsafeBytes { try NormalizedBatch.decode($0, catalog: shippedCatalog) }
      }
    }
  }

  @Test func trendsCompareEachYearWithThePreviousAndTwoYearsBefore() throws {
    let inbox = TemporaryDirectory()
    let output = TemporaryDirectory()
    inbox.write(
      "t.csv",
      canonicalHeader + """
        p1,r1,2021,75056,territorial.partnerships,100,
        p1,r2,2022,75056,territorial.partnerships,150,
        p1,r3,2023,75056,territorial.partnerships,200,
        p2,r1,2023,75056,territorial.partnerships,100,

        """)
    try storeRun([inbox.path], output: output.path)
    let rows = parseCSV(try String(contentsOfFile: output.path + "/latest/trends.csv", encoding: .utf8))
    let header = rows[0]
    let partnerships = rows.filter { $0[1] == "territorial.partnerships" }
    #expect(partnerships.map { $0[5] } == ["2021", "2022", "2023"])
    let last = Dictionary(uniqueKeysWithValues: zip(header, partnerships[2]))
    #expect(last["value"] == "300")
    #expect(last["previous_year"] == "150")
    #expect(last["change_from_previous_year"] == "150")
    #expect(last["ratio_to_previous_year"] == "2")
    #expect(last["two_years_before"] == "100")
    #expect(last["ratio_to_two_years_before"] == "3")
    #expect(Dictionary(uniqueKeysWithValues: zip(header, partnerships[0]))["previous_year"] == "")
    let partners = rows.filter { $0[0] == "transition" && $0[1] == "territorial" && $0[3] == "partners" }
    #expect(partners.map { $0[6] } == ["1", "1", "2"])
    let summary = try summary(output.path + "/latest")
    #expect((summary["trends"] as? [Any])?.isEmpty == false)
  }
}
