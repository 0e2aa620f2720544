import Foundation
import ImpactModel

/// Reads the rows of a mapped CSV source: the header is on `headerRow`, and each row
/// delivers the requested columns, matched by name trimmed and case-insensitively.
struct CSVRecordMapper: CSVPartMapper {
  private(set) var sink: RecordSink
  let fields: [RequestedField]
  let decoder: CSVFieldDecoder
  let headerRow: Int
  private var rowsToSkip: Int

  private(set) var warnings: [String] = []
  private(set) var unmappedColumns: [String] = []
  private(set) var columnNames: [String] = []
  private(set) var driftProblem: FileProblem?
  private(set) var missingFields: [FieldReference] = []
  private(set) var dataRows = 0
  private var recordsSeen = 0
  private var columnCount: Int?
  /// Per requested field, its column, or -1.
  private var columns: [Int] = []
  private var scratch: [UInt8] = []
  private var slots: [UnsafeRawBufferPointer?]

  init(
    sink: RecordSink, fields: [RequestedField], windows1252: Bool, delimiter: UInt8, headerRow: Int, skipRows: Int = 0
  ) {
    rowsToSkip = skipRows
    self.sink = sink
    self.fields = fields
    decoder = CSVFieldDecoder(windows1252: windows1252, delimiter: delimiter)
    self.headerRow = max(1, headerRow)
    slots = Array(repeating: nil, count: fields.count)
  }

  var isPastHeader: Bool { columnCount != nil && rowsToSkip == 0 }

  var headerProblem: FileProblem? { driftProblem }

  var partSink: any PartSink { sink }

  func continuing(into sink: RecordSink) -> CSVRecordMapper {
    var copy = self
    copy.sink = sink
    copy.dataRows = 0
    copy.driftProblem = nil
    return copy
  }

  mutating func handle(_ record: CSVRecord) {
    recordsSeen += 1
    guard let columnCount else {
      // Lines above the header (a title, an export date) are skipped.
      if recordsSeen >= headerRow && !decoder.isBlank(record) { readHeader(record) }
      return
    }
    if decoder.isBlank(record) { return }
    if rowsToSkip > 0 {
      rowsToSkip -= 1
      return
    }
    dataRows += 1
    if let why = decoder.malformation(of: record, columnCount: columnCount) {
      sink.rejectRecord(line: record.line, reason: .malformedRow, field: "", raw: decoder.rowText(record), message: why)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    var ranges = [Range<Int>?](repeating: nil, count: fields.count)
    for (slot, column) in columns.enumerated() where column >= 0 {
      let start = scratch.count
      decoder.appendDecoded(record, column, to: &scratch)
      ranges[slot] = start..<scratch.count
    }
    scratch.withUnsafeBytes { buffer in
      for slot in 0..<fields.count {
        slots[slot] = ranges[slot].map { UnsafeRawBufferPointer(rebasing: buffer[$0]) }
      }
      slots.withUnsafeBufferPointer { sink.record(RecordValues(values: $0, line: record.line)) }
    }
  }

  private mutating func readHeader(_ record: CSVRecord) {
    let names = decoder.texts(of: record)
    columnCount = names.count
    columnNames = names
    let keys = names.map(Self.key)
    var used = Set<Int>()
    var missing: [String] = []
    columns = fields.map { field in
      guard case .column(let name) = field.reference else { return -1 }
      guard let index = keys.firstIndex(of: Self.key(name)) else {
        if field.required {
          missing.append(name)
          missingFields.append(field.reference)
        }
        return -1
      }
      used.insert(index)
      return index
    }
    unmappedColumns = names.enumerated().filter { !used.contains($0.offset) && !Self.key($0.element).isEmpty }
      .map(\.element)
    if !missing.isEmpty {
      driftProblem = FileProblem(
        message:
          "the header lacks the mapped column(s) \(missing.map { "'\($0)'" }.joined(separator: ", ")): the export changed? (header: \(names.joined(separator: " | ").shortened(to: 300)))",
        line: record.line)
    }
  }

  /// A column name folded for matching: trimmed, lower case, inner blanks collapsed.
  static func key(_ name: String) -> String {
    name.lowercased().split(whereSeparator: { $0 == " " || $0 == "\u{00A0}" || $0 == "\t" }).joined(separator: " ")
  }
}
