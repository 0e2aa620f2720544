import Foundation
import ImpactModel
import ImpactNormalization
import ImpactPipeline
import ImpactReaders
import Testing

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

/// The shared reference data beside the checkout, when present.
let sharedReference = (repositoryRoot as NSString).deletingLastPathComponent + "/shared/reference"

/// The catalog shipped in `pipelines/`.
let shippedCatalog: Catalog = {
  switch CatalogLoader.load(path: repositoryRoot + "/pipelines/catalog.yml") {
  case .success(let catalog): return catalog
  case .failure(let error): fatalError("the shipped catalog does not load: \(error)")
  }
}()

/// A fresh temporary folder, removed when the value is released.
final class TemporaryDirectory {
  let path: String

  init() {
    path = NSTemporaryDirectory() + "impact-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Writes `bytes` to `name` and returns the full path.
  @discardableResult
  func write(_ name: String, bytes: [UInt8]) -> String {
    let full = path + "/" + name
    try! FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: full, contents: Data(bytes))
    return full
  }

  /// Writes UTF-8 `text` to `name` and returns the full path.
  @discardableResult
  func write(_ name: String, _ text: String) -> String { write(name, bytes: Array(text.utf8)) }
}

/// What reading one file produced, for assertions.
struct ReadResult {
  let batch: NormalizedBatch
  let outcome: ReadOutcome
  let labels: [RawField: String]

  var reasons: [RejectReason] { batch.rejects.map(\.reason) }
}

/// Reads one file with the format its name selects and the shipped catalog.
func readFile(_ path: String, catalog: Catalog = shippedCatalog) -> ReadResult {
  let builder = LabelRecordingBuilder(catalog: catalog)
  let prefix = Array((FileManager.default.contents(atPath: path) ?? Data()).prefix(512))
  let format = prefix.withUnsafeBytes { InputFormats.format(forPath: path, prefix: $0) }!
  let outcome = format.read(path: path, into: builder)
  if let problem = outcome.problem { builder.rejectWholeFile(because: problem.description) }
  return ReadResult(batch: builder.batch, outcome: outcome, labels: builder.labels)
}

/// A batch builder that also remembers the field labels it was given.
final class LabelRecordingBuilder: ObservationSink {
  let inner: BatchBuilder
  var labels: [RawField: String] = [:]
  var batch: NormalizedBatch { inner.batch }

  init(catalog: Catalog) { inner = BatchBuilder(catalog: catalog) }

  func setFieldLabels(_ labels: [RawField: String]) {
    self.labels = labels
    inner.setFieldLabels(labels)
  }

  func observation(_ raw: RawObservation) { inner.observation(raw) }

  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {
    inner.rejectRecord(line: line, reason: reason, field: field, raw: raw, message: message)
  }

  func rejectWholeFile(because problem: String) { inner.rejectWholeFile(because: problem) }
}

/// Ingests files with the shipped catalog and collects the reject events.
func ingest(_ files: [String], workers: Int = 2) throws -> (IngestionResult, [RejectEvent]) {
  var events: [RejectEvent] = []
  let result = try Ingestion(catalog: shippedCatalog, workers: workers).run(files: files) { events.append($0) }
  return (result, events)
}

/// The canonical CSV header.
let canonicalHeader = "partner_id,response_id,period,territory,indicator,value,unit\n"

/// Reads a CSV file into rows of fields (a small RFC 4180 reader for checking outputs).
func parseCSV(_ text: String) -> [[String]] {
  var rows: [[String]] = []
  var row: [String] = []
  var field = ""
  var quoted = false
  var index = text.unicodeScalars.startIndex
  let scalars = text.unicodeScalars
  while index < scalars.endIndex {
    let scalar = scalars[index]
    if quoted {
      if scalar == "\"" {
        let next = scalars.index(after: index)
        if next < scalars.endIndex && scalars[next] == "\"" {
          field.unicodeScalars.append("\"")
          index = next
        } else {
          quoted = false
        }
      } else {
        field.unicodeScalars.append(scalar)
      }
    } else if scalar == "\"" {
      quoted = true
    } else if scalar == "," {
      row.append(field)
      field = ""
    } else if scalar == "\n" {
      row.append(field)
      rows.append(row)
      row = []
      field = ""
    } else {
      field.unicodeScalars.append(scalar)
    }
    index = scalars.index(after: index)
  }
  if !field.isEmpty || !row.isEmpty {
    row.append(field)
    rows.append(row)
  }
  return rows
}

/// Compares a run's CSV reports with the golden files `Golden/<prefix><name>`, paths made
/// relative to the repository; `IMPACT_UPDATE_GOLDEN=1` rewrites the golden files first.
func expectGoldenReports(in runFolder: String, prefix: String) throws {
  let golden = repositoryRoot + "/Tests/ImpactTests/Golden/"
  for name in ["aggregates.csv", "records.csv", "rejects.csv", "trends.csv"] {
    let produced = try String(contentsOfFile: runFolder + "/" + name, encoding: .utf8)
      .replacingOccurrences(of: repositoryRoot + "/", with: "")
    let goldenPath = golden + prefix + name
    if ProcessInfo.processInfo.environment["IMPACT_UPDATE_GOLDEN"] == "1" {
      try produced.write(toFile: goldenPath, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOfFile: goldenPath, encoding: .utf8)
    #expect(produced == expected, "\(name) differs from \(goldenPath)")
  }
}
