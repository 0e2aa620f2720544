import ImpactModel
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// `rejects.csv`, written as the run goes: every observation not accepted, with its file,
/// line, field, value, reason code, a message saying what is wrong with this value, and
/// what to do about it in French and English.
public final class RejectsCSVWriter {
  public static let columns = [
    "source_file", "source_line", "partner_id", "response_id", "indicator", "field", "value", "reason", "message",
    "hint_fr", "hint_en",
  ]

  private let csv: CSVWriter
  private static let reasons = RejectReason.allCases
  /// Per reason (by its place in `RejectReason.allCases`), its code cell and its two hint
  /// cells, escaped once (the hints are most of a row's bytes), read without reference
  /// counting.
  private let codeCells = ByteChunks(reasons.map { CSVWriter.escapedText($0.code) })
  private let hintCells = ByteChunks(reasons.map { CSVWriter.escapedCells([$0.hintFrench, $0.hintEnglish]) })
  /// The file of the row before, as read, and its cell escaped: rows come file by file.
  private var lastFile: [UInt8] = []
  private var lastFileCell: [UInt8] = []

  public init(path: String) throws {
    csv = CSVWriter(file: try OutputFile(path: path))
    try csv.header(Self.columns)
  }

  /// Writes one row from its cells' bytes.
  public func write(_ cells: RejectCells) throws {
    let sameFile = lastFile.withUnsafeBytes { last in
      last.count == cells.file.count
        && (last.isEmpty || memcmp(last.baseAddress!, cells.file.baseAddress!, last.count) == 0)
    }
    if !sameFile || lastFileCell.isEmpty {
      lastFile = Array(cells.file)
      lastFileCell.removeAll(keepingCapacity: true)
      CSVWriter.appendEscaped(cells.file, to: &lastFileCell)
    }
    lastFileCell.withUnsafeBytes { csv.preformatted($0) }
    csv.integer(cells.line)
    csv.text(bytes: cells.partner)
    csv.text(bytes: cells.response)
    csv.text(bytes: cells.indicator)
    csv.text(bytes: cells.field)
    csv.text(bytes: cells.value)
    let reason = Self.reasons.firstIndex(of: cells.reason)!
    csv.preformatted(codeCells[reason])
    csv.text(bytes: cells.message)
    csv.preformatted(hintCells[reason])
    try csv.endRow()
  }

  public func close() throws { try csv.file.close() }
}

/// The cells of one `rejects.csv` row, as UTF-8 bytes read in place: the rows travel to the
/// thread that writes them as bytes, so that no string is shared between threads (each
/// shared string's reference count went back and forth between the cores).
public struct RejectCells {
  public var file: UnsafeRawBufferPointer
  public var line: Int
  public var partner: UnsafeRawBufferPointer
  public var response: UnsafeRawBufferPointer
  public var indicator: UnsafeRawBufferPointer
  public var field: UnsafeRawBufferPointer
  public var value: UnsafeRawBufferPointer
  public var reason: RejectReason
  public var message: UnsafeRawBufferPointer

  public init(
    file: UnsafeRawBufferPointer, line: Int, partner: UnsafeRawBufferPointer, response: UnsafeRawBufferPointer,
    indicator: UnsafeRawBufferPointer, field: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
    reason: RejectReason, message: UnsafeRawBufferPointer
  ) {
    self.file = file
    self.line = line
    self.partner = partner
    self.response = response
    self.indicator = indicator
    self.field = field
    self.value = value
    self.reason = reason
    self.message = message
  }
}
