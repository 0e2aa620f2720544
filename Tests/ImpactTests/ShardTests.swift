import Foundation
import ImpactModel
import ImpactPipeline
import Testing

/// `impact run --shard K/N` and `impact merge`: the merged reports are those of one
/// unsharded run, counts included, in whatever order the shards come.
@Suite struct ShardTests {
  static func pipeline(_ name: String) -> PipelineDefinition {
    switch PipelineDefinition.load(path: repositoryRoot + "/pipelines/" + name) {
    case .success(let pipeline): return pipeline
    case .failure(let error): fatalError("\(error)")
    }
  }

  /// The figures of a published run: the CSV reports and the summary's counts, by reason
  /// and per input.
  func figures(_ folder: String) throws -> [String] {
    var result = try ["aggregates.csv", "records.csv", "rejects.csv", "trends.csv"].map {
      try String(contentsOfFile: folder + "/" + $0, encoding: .utf8)
    }
    let summary =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
      as! [String: Any]
    func sorted(_ value: Any?) -> String {
      ((value as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        .joined(separator: " ")
    }
    result.append(sorted(summary["counts"]) + " | " + sorted(summary["rejections"]))
    for input in summary["inputs"] as! [[String: Any]] {
      result.append(
        ["path", "sha256", "read", "accepted", "rejected", "superseded", "warnings", "unmapped"]
          .map { "\(input[$0] ?? "-")" }.joined(separator: " "))
    }
    return result
  }

  func expectMergedEqualsUnsharded(
    pipeline: PipelineDefinition, inputs: [String], shards: Int, seed: UInt64
  ) throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: pipeline)
    let discovery = try InputDiscovery(
      paths: inputs, sources: pipeline.sources, includeSourceFiles: inputs == pipeline.inputs)
    let (_, whole) = try runner.run(inputs: discovery, outputDirectory: output.path + "/whole")
    var folders: [String] = []
    for index in 1...shards {
      let (_, folder) = try runner.run(
        inputs: discovery, outputDirectory: output.path + "/shard-\(index)", shard: Shard(index: index, count: shards)!)
      folders.append(folder.publishedPath)
    }
    var random = AccountingTests.Generator(state: seed)
    folders.shuffle(using: &random)
    let (merged, folder) = try runner.merge(runFolders: folders, outputDirectory: output.path + "/merged")
    #expect(merged.counts.balances)
    #expect(try figures(folder.publishedPath) == figures(whole.publishedPath), "\(shards) shards, seed \(seed)")
  }

  @Test(arguments: [(21, 2), (22, 3), (23, 5), (24, 4)] as [(UInt64, Int)])
  func mergedShardsEqualOneRunOnRandomInputs(seed: UInt64, shards: Int) throws {
    let scratch = TemporaryDirectory()
    // Random partners p0..p5, resubmissions, broken values, several files.
    let files =
      AccountingTests().makeFiles(seed: seed, in: scratch) + AccountingTests().makeFiles(seed: seed + 50, in: scratch)
    try expectMergedEqualsUnsharded(
      pipeline: Self.pipeline("canonical.yml"), inputs: files, shards: shards, seed: seed)
  }

  @Test func mergedShardsEqualOneRunOfThePartnerPipeline() throws {
    // Mapped sources, an ODK edit replacing a whole response, a duplicate, malformed files.
    let pipeline = Self.pipeline("alliance.yml")
    try expectMergedEqualsUnsharded(pipeline: pipeline, inputs: pipeline.inputs, shards: 3, seed: 1)
  }

  @Test func mergeListsEveryProblem() throws {
    let output = TemporaryDirectory()
    let runner = PipelineRunner(pipeline: Self.pipeline("canonical.yml"))
    let samples = try InputDiscovery(paths: [repositoryRoot + "/samples/canonical"])
    let fewer = try InputDiscovery(paths: [repositoryRoot + "/samples/canonical/crea-sol-2023.csv"])
    let (_, first) = try runner.run(
      inputs: samples, outputDirectory: output.path + "/a", shard: Shard(index: 1, count: 3)!)
    let (_, other) = try runner.run(
      inputs: fewer, outputDirectory: output.path + "/b", shard: Shard(index: 2, count: 3)!)
    do {
      _ = try runner.merge(runFolders: [first.publishedPath, first.publishedPath, other.publishedPath, output.path])
      Issue.record("merged folders that do not fit together")
    } catch let error as MergeError {
      let text = error.description
      #expect(text.contains("not a shard run's folder"))
      #expect(text.contains("read other inputs"))
      #expect(text.contains("shard 3/3 is missing"))
      #expect(text.contains("shard 1/3 is given more than once"))
    }
    // Merged with another pipeline than the shards ran with: refused, not mislabelled.
    let otherRunner = PipelineRunner(pipeline: Self.pipeline("alliance.yml"))
    do {
      _ = try otherRunner.merge(runFolders: [first.publishedPath], outputDirectory: output.path + "/m")
      Issue.record("merged shards of another pipeline")
    } catch let error as MergeError {
      #expect(error.description.contains("another pipeline definition than"))
    }
  }

  @Test func partnersHashToTheSameShardOnEveryMachine() {
    // Pinned: a change of hash would split existing deployments differently.
    #expect(Shard.shard(of: "emmaus-connect", count: 4) == Shard.shard(of: " Emmaus-Connect ", count: 4))
    // FNV-1a of the UTF-8 bytes, modulo N, plus one (checked against an independent script).
    #expect(Shard.shard(of: "crea-sol", count: 7) == 5)
    #expect(Shard.shard(of: "p1", count: 7) == 6)
    #expect(Shard.shard(of: "emmaus-connect", count: 4) == 3)
    #expect(Shard.shard(of: "", count: 5) == 1)
    #expect(Shard.shard(of: "Crédit Solidaire", count: 5) == 1)
    #expect(Shard(parsing: "2/4") == Shard(index: 2, count: 4))
    #expect(Shard(parsing: "0/4") == nil && Shard(parsing: "5/4") == nil && Shard(parsing: "x") == nil)
  }
}
