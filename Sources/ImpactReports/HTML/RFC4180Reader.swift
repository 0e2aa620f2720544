import Foundation

/// Reads a CSV file row by row, as RFC 4180 writes it: `,` between fields, fields in
/// double quotes when they hold a comma, a quote or a line break, quotes doubled inside.
///
/// The file is read in 64 KiB blocks and only the current row is held, so memory does
/// not grow with the file. A quote inside an unquoted field is kept as a character; a
/// carriage return outside quotes is dropped, so CRLF files read like LF ones. A field
/// longer than `maximumFieldBytes` keeps its first bytes only.
struct RFC4180Reader {
  static let maximumFieldBytes = 4096
  let path: String

  /// Calls `body` with the fields of each row, decoded as UTF-8, in file order. Throws
  /// when the file cannot be opened or read.
  func forEachRow(_ body: ([String]) -> Void) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
    }
    defer { try? handle.close() }
    var fields: [String] = []
    var field: [UInt8] = []
    var quoted = false
    var afterClosingQuote = false
    var rowStarted = false
    func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
    }
    func append(_ byte: UInt8) {
      if field.count < Self.maximumFieldBytes { field.append(byte) }
    }
    while let block = try handle.read(upToCount: 1 << 16), !block.isEmpty {
      // Bytes through a raw buffer: iterating `Data` itself costs a call per byte.
      block.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        for byte in raw {
          rowStarted = true
          if quoted {
            if byte == UInt8(ascii: "\"") {
              quoted = false
              afterClosingQuote = true
            } else {
              append(byte)
            }
            continue
          }
          if afterClosingQuote {
            afterClosingQuote = false
            if byte == UInt8(ascii: "\"") {
              append(byte)
              quoted = true
              continue
            }
          }
          switch byte {
          case UInt8(ascii: "\"") where field.isEmpty: quoted = true
          case UInt8(ascii: ","): endField()
          case 0x0A:
            endField()
            body(fields)
            fields.removeAll(keepingCapacity: true)
            rowStarted = false
          case 0x0D: break
          default: append(byte)
          }
        }
      }
    }
    if rowStarted {
      endField()
      body(fields)
    }
  }
}
