import Foundation
import ImpactModel

/// Turns tokenized records into observations: the first non-blank record is the header,
/// each later one a row.
struct CSVRowMapper {
  let path: String
  private(set) var sink: ObservationSink
  let decoder: CSVFieldDecoder

  private(set) var warnings: [String] = []
  private(set) var blankRows = 0
  private(set) var dataRows = 0
  /// The header lacks a column of the schema: the file is not a canonical survey file.
  private(set) var headerProblem: FileProblem?
  private var header: [String]?
  /// Column index of each schema field, -1 when the header lacks it.
  private var columns = [Int](repeating: -1, count: RawField.allCases.count)
  /// The schema fields the header has, with their columns: what each row reads (taken
  /// once; `RawField.allCases` makes a new array at each call).
  private var present: [(field: RawField, column: Int)] = []
  private var missingRequired: [RawField] = []
  private var labels: [RawField: String] = [:]
  private var scratch: [UInt8] = []

  /// Whether the header was read.
  var hasHeader: Bool { header != nil }

  func continuing(into sink: ObservationSink) -> CSVRowMapper {
    var copy = self
    copy.sink = sink
    copy.warnings = []
    copy.blankRows = 0
    copy.dataRows = 0
    copy.headerProblem = nil
    sink.setFieldLabels(labels)
    return copy
  }

  init(path: String, sink: ObservationSink, windows1252: Bool, delimiter: UInt8) {
    self.path = path
    self.sink = sink
    decoder = CSVFieldDecoder(windows1252: windows1252, delimiter: delimiter)
    scratch.reserveCapacity(4096)
  }

  mutating func handle(_ record: CSVRecord) {
    if decoder.isBlank(record) {
      if header != nil { blankRows += 1 }
      return
    }
    guard let header else {
      readHeader(record)
      return
    }
    dataRows += 1
    if let why = decoder.malformation(of: record, columnCount: header.count) {
      sink.rejectRecord(line: record.line, reason: .malformedRow, field: "", raw: decoder.rowText(record), message: why)
      return
    }
    if let missing = missingRequired.first {
      sink.rejectRecord(
        line: record.line, reason: .missingField, field: missing.name, raw: decoder.rowText(record),
        message: "the header has no '\(missing.name)' column; expected \(Self.expectedColumns)")
      return
    }
    // Fast path: no field needs unescaping or transcoding.
    var needsCopy = record.hasEscapedQuotes
    if decoder.windows1252 && !needsCopy {
      needsCopy = present.contains { decoder.hasHighBytes(record.bytes($0.column)) }
    }
    var raw = RawObservation(line: record.line)
    if !needsCopy {
      for (field, column) in present { raw[field] = record.bytes(column) }
      sink.observation(raw)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    var ranges: [(field: RawField, range: Range<Int>)] = []
    for (field, column) in present {
      let start = scratch.count
      decoder.appendDecoded(record, column, to: &scratch)
      ranges.append((field, start..<scratch.count))
    }
    scratch.withUnsafeBytes { buffer in
      for (field, range) in ranges { raw[field] = UnsafeRawBufferPointer(rebasing: buffer[range]) }
      sink.observation(raw)
    }
  }

  static let expectedColumns = RawField.allCases.map(\.name).joined(separator: ", ")

  private mutating func readHeader(_ record: CSVRecord) {
    let names = decoder.texts(of: record)
    header = names
    var ignored: [String] = []
    var labels: [RawField: String] = [:]
    for (index, name) in names.enumerated() {
      let key = Self.normalizedName(name)
      if let field = RawField.allCases.first(where: { $0.name == key }) {
        if columns[field.rawValue] >= 0 {
          warnings.append("column '\(name)' appears twice; the first one is read")
          continue
        }
        columns[field.rawValue] = index
        labels[field] = name.trimmingCharacters(in: .whitespaces)
      } else if !key.isEmpty {
        ignored.append(name)
      }
    }
    missingRequired = RawField.allCases.filter { $0 != .unit && columns[$0.rawValue] < 0 }
    present = RawField.allCases.filter { columns[$0.rawValue] >= 0 }.map { ($0, columns[$0.rawValue]) }
    if !ignored.isEmpty { warnings.append(("ignored columns: " + ignored.joined(separator: ", ")).shortened(to: 500)) }
    if !missingRequired.isEmpty {
      let missing = missingRequired.map { "'\($0.name)'" }.joined(separator: ", ")
      headerProblem = FileProblem(
        message:
          "the header lacks \(missing): a canonical file names \(Self.expectedColumns) (found: \(names.joined(separator: ", ").shortened(to: 300))); a partner export needs a source in the pipeline",
        line: record.line)
    }
    self.labels = labels
    sink.setFieldLabels(labels)
  }

  /// A header name folded for matching: trimmed, lower case, spaces and hyphens as `_`.
  static func normalizedName(_ name: String) -> String {
    String(
      name.trimmingCharacters(in: .whitespaces).lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
  }
}
