/// Turns the bytes of tokenized fields into UTF-8 text: doubled quotes undone,
/// Windows-1252 transcoded. Shared by the canonical and the mapped row readers.
struct CSVFieldDecoder {
  let windows1252: Bool
  let delimiter: UInt8

  func isBlank(_ record: CSVRecord) -> Bool {
    for index in 0..<record.fields.count {
      let field = record.fields[index]
      if field.end > field.start { return false }
    }
    return true
  }

  /// The right number of fields, or more with only empty ones past the header's width
  /// (spreadsheets pad rows with delimiters).
  func fitsHeader(_ record: CSVRecord, columnCount: Int) -> Bool {
    if record.fields.count == columnCount { return true }
    if record.fields.count < columnCount { return false }
    for index in columnCount..<record.fields.count {
      let field = record.fields[index]
      if field.end > field.start { return false }
    }
    return true
  }

  /// Every field of a record as text (a header's names).
  func texts(of record: CSVRecord) -> [String] {
    (0..<record.fields.count).map { index in
      var bytes: [UInt8] = []
      appendDecoded(record, index, to: &bytes)
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  /// Why a row cannot be read against a header of `columnCount` columns, or nil.
  func malformation(of record: CSVRecord, columnCount: Int) -> String? {
    if record.strayQuote {
      return "text follows a closing quote; quote the whole value and double any quote inside it"
    }
    guard fitsHeader(record, columnCount: columnCount) else {
      return
        "expected \(columnCount) fields as in the header, found \(record.fields.count): quote values that contain the delimiter"
    }
    return nil
  }

  func hasHighBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
    for byte in bytes where byte >= 0x80 { return true }
    return false
  }

  /// Appends field `index` as UTF-8, with doubled quotes undone.
  func appendDecoded(_ record: CSVRecord, _ index: Int, to output: inout [UInt8]) {
    let bytes = record.bytes(index)
    let escaped = record.fields[index].hasEscapedQuotes
    var i = 0
    while i < bytes.count {
      let byte = bytes[i]
      if windows1252 { Windows1252.appendUTF8(of: byte, to: &output) } else { output.append(byte) }
      if escaped && byte == UInt8(ascii: "\"") && i + 1 < bytes.count && bytes[i + 1] == byte { i += 1 }
      i += 1
    }
  }

  /// The row as text, for a reject: fields joined by the delimiter, at most 300 bytes; a
  /// record with text after a closing quote as written, quotes included (its fields lost
  /// that text).
  func rowText(_ record: CSVRecord) -> String {
    var output: [UInt8] = []
    if record.strayQuote {
      for byte in record.raw.prefix(400) {
        if windows1252 { Windows1252.appendUTF8(of: byte, to: &output) } else { output.append(byte) }
      }
    } else {
      for index in 0..<record.fields.count {
        if index > 0 { output.append(delimiter) }
        appendDecoded(record, index, to: &output)
        if output.count > 300 { break }
      }
    }
    if output.count > 300 {
      output.removeLast(output.count - 300)
      while let last = output.last, last & 0xC0 == 0x80 { output.removeLast() }
      if let last = output.last, last >= 0xC0 { output.removeLast() }
      output += Array("…".utf8)
    }
    return String(decoding: output, as: UTF8.self)
  }
}
