/// Re-writes a CSV stream row by row: keeps only the rows a filter accepts and, for the
/// French Excel dialect, writes `;` between cells, decimal commas in numbers, and CRLF.
///
/// The input is what `impact` writes (RFC 4180, `,`, LF); rows are split as they arrive,
/// quoted line breaks included, so a download of any size needs little memory.
struct CSVRowStream {
  struct Options {
    var excelFrench = false
    /// Keep a data row only when this column equals this value, or is empty with
    /// `orEmpty` (the header is kept).
    var keepColumn: (index: Int, value: [UInt8], orEmpty: Bool)?
  }

  let options: Options
  private var fields: [[UInt8]] = []
  private var field: [UInt8] = []
  private var quoted = false
  private var fieldWasQuoted = false
  private var afterQuote = false
  private var isHeader = true

  init(options: Options) { self.options = options }

  /// Feeds a chunk; complete rows are appended to `output`.
  mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
    for byte in bytes {
      if quoted {
        if byte == UInt8(ascii: "\"") {
          quoted = false
          afterQuote = true
        } else {
          field.append(byte)
        }
        continue
      }
      if afterQuote && byte == UInt8(ascii: "\"") {
        // A doubled quote inside a quoted field.
        field.append(byte)
        quoted = true
        afterQuote = false
        continue
      }
      afterQuote = false
      switch byte {
      case UInt8(ascii: "\""):
        quoted = true
        fieldWasQuoted = true
      case UInt8(ascii: ","):
        endField()
      case 0x0A:
        endField()
        endRow(into: &output)
      case 0x0D:
        continue
      default:
        field.append(byte)
      }
    }
  }

  /// Flushes a last row without a line end.
  mutating func finish(into output: inout [UInt8]) {
    if !field.isEmpty || !fields.isEmpty {
      endField()
      endRow(into: &output)
    }
  }

  private mutating func endField() {
    fields.append(field)
    field.removeAll(keepingCapacity: true)
    if fieldWasQuoted { quotedFields.insert(fields.count - 1) }
    fieldWasQuoted = false
  }

  private var quotedFields: Set<Int> = []

  private mutating func endRow(into output: inout [UInt8]) {
    defer {
      fields.removeAll(keepingCapacity: true)
      quotedFields.removeAll(keepingCapacity: true)
      isHeader = false
    }
    if !isHeader, let keep = options.keepColumn {
      guard keep.index < fields.count, fields[keep.index] == keep.value || (keep.orEmpty && fields[keep.index].isEmpty)
      else { return }
    }
    let delimiter = options.excelFrench ? UInt8(ascii: ";") : UInt8(ascii: ",")
    for (index, value) in fields.enumerated() {
      if index > 0 { output.append(delimiter) }
      var cell = value
      if options.excelFrench && !quotedFields.contains(index) && Self.isDecimal(cell) {
        cell = cell.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: ",") : $0 }
      }
      let needsQuotes = cell.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
      if needsQuotes {
        output.append(UInt8(ascii: "\""))
        for byte in cell {
          output.append(byte)
          if byte == UInt8(ascii: "\"") { output.append(byte) }
        }
        output.append(UInt8(ascii: "\""))
      } else {
        output.append(contentsOf: cell)
      }
    }
    if options.excelFrench { output.append(0x0D) }
    output.append(0x0A)
  }

  /// A plain decimal number as `impact` writes them: `-12`, `1234.5`.
  static func isDecimal(_ cell: [UInt8]) -> Bool {
    var digits = 0
    var points = 0
    for (index, byte) in cell.enumerated() {
      if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
        digits += 1
      } else if byte == UInt8(ascii: ".") {
        points += 1
      } else if !(byte == UInt8(ascii: "-") && index == 0) {
        return false
      }
    }
    return digits > 0 && points <= 1
  }
}
