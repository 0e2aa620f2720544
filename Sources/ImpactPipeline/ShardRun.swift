import Foundation
import ImpactModel
import ImpactNormalization
import ImpactReports
import ImpactSupport

/// What a shard run leaves in `RUN/partial/` for `impact merge`: which shard of how many,
/// what normalized the inputs, and per input its report and the file of its slice.
struct ShardManifest: Codable {
  struct Entry: Codable {
    var path: String
    var sha256: String
    /// The slice's file in `partial/`.
    var file: String
    /// The input's report as read (counts are recomputed when merged).
    var report: InputReport
  }

  var format = ShardManifest.currentFormat
  var shard: Int
  var count: Int
  var toolVersion: String
  /// Of the tool version and catalog, and of those and the pipeline file.
  var catalogFingerprint: String
  var pipelineFingerprint: String
  var inputs: [Entry]
  var skipped: [String]

  static let currentFormat = "impact-shard-1"
  static let folder = "partial"
  static let fileName = "manifest.json"
}

/// Shard folders that cannot be merged: every problem found, one per line.
public struct MergeError: Error, CustomStringConvertible {
  public let problems: [String]
  public var description: String { problems.map { "  " + $0 }.joined(separator: "\n") }
}

extension PipelineRunner {
  /// Ingests `inputs` keeping only `shard`'s partners, publishes that shard's reports and,
  /// beside them in `partial/`, the state `merge` combines. Remembers nothing (no store).
  public func run(inputs: InputDiscovery, outputDirectory: String? = nil, shard: Shard) throws -> (
    RunResult, RunFolder
  ) {
    try publishing(into: outputDirectory) { folder, started in
      let partial = folder.path(of: ShardManifest.folder)
      try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: false)
      let fingerprints = InputFingerprints(pipeline: pipeline)
      var entries: [ShardManifest.Entry] = []
      let items = inputs.inputs.map { input in
        var item = IngestionItem(input: input)
        item.shard = shard
        return item
      }
      let result = try compute(
        items: items, skipped: inputs.skipped, into: folder, started: started,
        onBatch: { index, _, report, encoded in
          let name = String(format: "%06d.slice", index)
          let file = try OutputFile(path: partial + "/" + name)
          try file.write(encoded ?? [])
          try file.close()
          entries.append(
            ShardManifest.Entry(
              path: items[index].path, sha256: report.sha256, file: name, report: report.clearedCounts))
        })
      let manifest = ShardManifest(
        shard: shard.index, count: shard.count, toolVersion: ImpactVersion.current,
        catalogFingerprint: fingerprints.canonical, pipelineFingerprint: fingerprints.mapped, inputs: entries,
        skipped: inputs.skipped)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let file = try OutputFile(path: partial + "/" + ShardManifest.fileName)
      try file.write(Array(try encoder.encode(manifest)))
      try file.close()
      return result
    }
  }

  /// Combines the run folders of every shard of a sharded run into the reports one
  /// unsharded run over the same inputs publishes, in any order of `runFolders`. Every
  /// problem (a shard missing or twice, different inputs, another catalog or tool version)
  /// is collected before stopping.
  public func merge(runFolders: [String], outputDirectory: String? = nil) throws -> (RunResult, RunFolder) {
    var problems: [String] = []
    var manifests: [(folder: String, manifest: ShardManifest)] = []
    for folder in runFolders {
      let path = folder + "/" + ShardManifest.folder + "/" + ShardManifest.fileName
      guard let data = FileManager.default.contents(atPath: path) else {
        problems.append("\(folder): not a shard run's folder (no \(ShardManifest.folder)/\(ShardManifest.fileName))")
        continue
      }
      guard let manifest = try? JSONDecoder().decode(ShardManifest.self, from: data),
        manifest.format == ShardManifest.currentFormat
      else {
        problems.append("\(path): not a shard manifest this version of impact reads")
        continue
      }
      manifests.append((folder, manifest))
    }
    let fingerprints = InputFingerprints(pipeline: pipeline)
    if let first = manifests.first?.manifest {
      for (folder, manifest) in manifests {
        if manifest.count != first.count {
          problems.append("\(folder): shard \(manifest.shard)/\(manifest.count), not of \(first.count) shards")
        }
        if manifest.toolVersion != ImpactVersion.current {
          problems.append("\(folder): written by impact \(manifest.toolVersion), not \(ImpactVersion.current)")
        }
        if manifest.catalogFingerprint != fingerprints.canonical {
          problems.append("\(folder): normalized with another catalog than \(pipeline.catalogPath)")
        }
        if manifest.pipelineFingerprint != fingerprints.mapped {
          problems.append(
            "\(folder): run with another pipeline definition than \(pipeline.path) (pass the shards' pipeline with --pipeline)"
          )
        }
        if manifest.inputs.map({ [$0.path, $0.sha256] }) != first.inputs.map({ [$0.path, $0.sha256] })
          || manifest.skipped != first.skipped
        {
          problems.append(
            "\(folder): read other inputs than \(manifests[0].folder) (each shard must read the same files)")
        }
      }
      let shards = manifests.map(\.manifest.shard)
      for index in 1...max(1, first.count) where !shards.contains(index) {
        problems.append("shard \(index)/\(first.count) is missing")
      }
      for index in Set(shards) where shards.filter({ $0 == index }).count > 1 {
        problems.append("shard \(index)/\(first.count) is given more than once")
      }
    } else if problems.isEmpty {
      problems.append("no shard run folder given")
    }
    guard problems.isEmpty else { throw MergeError(problems: problems) }
    let ordered = manifests.sorted { $0.manifest.shard < $1.manifest.shard }
    let catalog = pipeline.catalog
    let items = ordered[0].manifest.inputs.indices.map { index in
      let entry = ordered[0].manifest.inputs[index]
      let files = ordered.map { $0.folder + "/" + ShardManifest.folder + "/" + $0.manifest.inputs[index].file }
      return IngestionItem(path: entry.path, bytes: entry.report.bytes) {
        do {
          let slices = try files.map { file in
            guard let data = FileManager.default.contents(atPath: file) else {
              throw RunError(message: "cannot read \(file)")
            }
            return try data.withUnsafeBytes { try ShardSlice.decode($0, catalog: catalog) }
          }
          return (try NormalizedBatch.merge(slices), entry.report)
        } catch let error as RunError {
          throw error
        } catch {
          throw RunError(message: "cannot merge the shards of \(entry.path): \(error)")
        }
      }
    }
    return try publishing(into: outputDirectory) { folder, started in
      try compute(items: items, skipped: ordered[0].manifest.skipped, into: folder, started: started)
    }
  }
}

extension InputReport {
  /// The report as read, before a run counts its observations.
  var clearedCounts: InputReport {
    var report = self
    report.read = 0
    report.rejected = 0
    report.accepted = 0
    report.superseded = 0
    report.rejections = [:]
    return report
  }
}
