import ImpactModel
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Writes CSV rows into an `OutputFile`: `,` delimiter, LF line ends, UTF-8, RFC 4180
/// quoting where needed.
///
/// Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, TAB or CR, and not a plain number) are prefixed with `'`; numbers are written as
/// plain numbers, never quoted or neutralised.
public final class CSVWriter {
  public let file: OutputFile
  /// The row being formatted: a buffer without reference counting or uniqueness checks
  /// per append (`rejects.csv` writes a row per reject).
  private var row = ByteBuffer(capacity: 1024)
  private var firstCell = true

  public init(file: OutputFile) {
    self.file = file
  }

  deinit { row.deallocate() }

  /// Appends a text cell.
  public func text(_ value: String) {
    var copy = value
    copy.withUTF8 { text(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// Appends a text cell from UTF-8 bytes.
  public func text(bytes: UnsafeRawBufferPointer) {
    separate()
    if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil || needsEscaping(bytes) {
      var escaped: [UInt8] = []
      CSVWriter.appendText(bytes, to: &escaped)
      escaped.withUnsafeBytes { row.append($0) }
    } else {
      row.append(bytes)
    }
  }

  /// Appends cells already escaped with `escapedText` (several, joined by commas).
  public func preformatted(_ cells: UnsafeRawBufferPointer) {
    separate()
    row.append(cells)
  }

  /// A text cell escaped once, to be written many times with `preformatted`.
  public static func escapedText(_ value: String) -> [UInt8] {
    var output: [UInt8] = []
    var copy = value
    copy.withUTF8 { appendText(UnsafeRawBufferPointer($0), to: &output) }
    return output
  }

  /// Appends a text cell's bytes, escaped, to `output`.
  public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
    appendText(bytes, to: &output)
  }

  /// Text cells escaped once and joined with commas.
  public static func escapedCells(_ values: [String]) -> [UInt8] {
    var output: [UInt8] = []
    for (index, value) in values.enumerated() {
      if index > 0 { output.append(UInt8(ascii: ",")) }
      output += escapedText(value)
    }
    return output
  }

  /// Whether a text cell must be quoted or neutralised (see `appendText`).
  @inline(__always)
  private func needsEscaping(_ bytes: UnsafeRawBufferPointer) -> Bool {
    CSVWriter.needsNeutralising(bytes) || CSVWriter.needsQuotes(bytes)
  }

  /// Appends one text cell, escaped, to a row being formatted in `buffer`.
  public static func appendText(_ bytes: UnsafeRawBufferPointer, to buffer: inout ByteBuffer) {
    if !needsNeutralising(bytes) && !needsQuotes(bytes) {
      buffer.append(bytes)
      return
    }
    var escaped: [UInt8] = []
    appendText(bytes, to: &escaped)
    escaped.withUnsafeBytes { buffer.append($0) }
  }

  /// Whether the text holds a comma, a double quote or a line break, and must be quoted.
  @inline(__always)
  static func needsQuotes(_ bytes: UnsafeRawBufferPointer) -> Bool {
    containsAny(bytes, UInt8(ascii: ","), UInt8(ascii: "\""), 0x0A, 0x0D)
  }

  /// Whether a spreadsheet could run the text as a formula: it starts with `=`, `+`, `-`,
  /// `@`, TAB or CR and is not a plain number (`-3`, `+33612345678`, `-1,5`), which no
  /// spreadsheet runs and which stays joinable as written.
  @inline(__always)
  static func needsNeutralising(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let first = bytes.first, isFormulaStart(first) else { return false }
    guard first == UInt8(ascii: "-") || first == UInt8(ascii: "+"), bytes.count > 1 else { return true }
    var separators = 0
    for byte in bytes.dropFirst() {
      if byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",") {
        separators += 1
      } else if byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") {
        return true
      }
    }
    return separators > 1
  }

  @inline(__always)
  private static func isFormulaStart(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
      || byte == 0x09 || byte == 0x0D
  }

  private static func appendText(_ bytes: UnsafeRawBufferPointer, to row: inout [UInt8]) {
    if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil {
      // A NUL byte (from a damaged file, in a reject) cuts the text short in many tools:
      // written as U+FFFD.
      var clean: [UInt8] = []
      for byte in bytes { if byte == 0 { clean += [0xEF, 0xBF, 0xBD] } else { clean.append(byte) } }
      clean.withUnsafeBytes { appendText($0, to: &row) }
      return
    }
    let needsQuotes = needsQuotes(bytes)
    let neutralise = needsNeutralising(bytes)
    if needsQuotes { row.append(UInt8(ascii: "\"")) }
    if neutralise { row.append(UInt8(ascii: "'")) }
    if needsQuotes {
      // Runs up to each quote copied whole, the quote doubled.
      var start = 0
      for index in bytes.indices where bytes[index] == UInt8(ascii: "\"") {
        row.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...index]))
        row.append(UInt8(ascii: "\""))
        start = index + 1
      }
      row.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
      row.append(UInt8(ascii: "\""))
    } else {
      row.append(contentsOf: bytes)
    }
  }

  /// Appends a decimal amount held in micro-units.
  public func number(micros: Int128) {
    separate()
    var text: [UInt8] = []
    Quantity.append(micros: micros, to: &text)
    text.withUnsafeBytes { row.append($0) }
  }

  /// Appends a whole number.
  public func integer(_ value: Int) {
    separate()
    if value < 0 { row.append(UInt8(ascii: "-")) }
    row.appendDecimal(UInt64(value.magnitude))
  }

  /// Appends an empty cell.
  public func empty() { separate() }

  /// Ends the row and hands it to the file.
  public func endRow() throws {
    row.append(0x0A)
    try file.write(row)
    row.removeAll()
    firstCell = true
  }

  /// Writes a header row.
  public func header(_ names: [String]) throws {
    for name in names { text(name) }
    try endRow()
  }

  @inline(__always)
  private func separate() {
    if firstCell { firstCell = false } else { row.append(UInt8(ascii: ",")) }
  }
}
