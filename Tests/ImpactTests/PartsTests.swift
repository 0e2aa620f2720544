import Foundation
import ImpactPipeline
import ImpactReaders
import Testing

/// One large CSV file read in parts on several cores gives exactly what one sequential
/// read gives, wherever the cuts fall: inside quoted line breaks, on CRLF, after blank
/// lines, around malformed rows.
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
    return texts
  }

  @Test func partsReadWhatOneSequentialReadReads() throws {
    let saved = CSVFormat.minimumPartBytes
    CSVFormat.minimumPartBytes = 1
    defer { CSVFormat.minimumPartBytes = saved }
    let folder = TemporaryDirectory()
    let before = CSVFormat.partStatistics
    for seed in 0..<24 {
      let file = folder.write("awkward-\(seed).csv", bytes: Self.awkwardFile(seed: seed, rows: 150 + seed * 5))
      let sequential = try reports(file, workers: 1, output: folder.path + "/one-\(seed)")
      for workers in [2, 3, 5] {
        let parallel = try reports(file, workers: workers, output: folder.path + "/\(workers)-\(seed)")
        #expect(parallel == sequential, "seed \(seed), \(workers) parts")
      }
    }
    // Both ways were taken: cuts between records, and cuts inside a quoted line break.
    #expect(CSVFormat.partStatistics.split > before.split)
    #expect(CSVFormat.partStatistics.readAgain > before.readAgain)
  }

  @Test func aFileEndingInsideQuotesFailsAsInOneRead() throws {
    let saved = CSVFormat.minimumPartBytes
    CSVFormat.minimumPartBytes = 1
    defer { CSVFormat.minimumPartBytes = saved }
    let folder = TemporaryDirectory()
    let file = folder.write(
      "open.csv",
      bytes: Self.awkwardFile(seed: 3, rows: 300)
        + Array("p1,r9,2023,75056,social.beneficiaries,1,\"never closed\n".utf8))
    let sequential = try reports(file, workers: 1, output: folder.path + "/one")
    #expect(sequential[3].contains("inside a quoted field"))
    #expect(try reports(file, workers: 2, output: folder.path + "/two") == sequential)
  }
}
