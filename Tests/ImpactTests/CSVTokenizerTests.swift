import Foundation
import Testing

@testable import ImpactReaders

/// The tokenizer against a plain byte-by-byte reading of the same text, on random records
/// whose fields of every length put delimiters, line ends (LF, CRLF, lone CR) and quotes
/// at every offset of its 64-byte stop masks and across its 1 MiB blocks.
@Suite struct CSVTokenizerTests {
  let folder = TemporaryDirectory()

  /// A record as the reference reads it: each field's bytes (quotes undone), and the
  /// line it starts on.
  struct Record: Equatable {
    var fields: [[UInt8]]
    var line: Int
  }

  /// RFC 4180 read one byte at a time: a field is quoted when it starts with a quote; LF,
  /// CRLF and a lone CR end a record and count one line.
  static func reference(_ text: [UInt8], delimiter: UInt8) -> [Record] {
    var records: [Record] = []
    var index = 0
    var line = 1
    let quote = UInt8(ascii: "\"")
    while index < text.count {
      var record = Record(fields: [], line: line)
      var lines = 0
      fields: while true {
        var field: [UInt8] = []
        if index < text.count && text[index] == quote {
          index += 1
          while true {
            let byte = text[index]
            if byte == quote {
              if index + 1 < text.count && text[index + 1] == quote {
                field.append(quote)
                index += 2
                continue
              }
              index += 1
              break
            }
            if byte == 0x0A || (byte == 0x0D && (index + 1 >= text.count || text[index + 1] != 0x0A)) { lines += 1 }
            field.append(byte)
            index += 1
          }
        } else {
          while index < text.count && text[index] != delimiter && text[index] != 0x0A && text[index] != 0x0D {
            field.append(text[index])
            index += 1
          }
        }
        record.fields.append(field)
        if index >= text.count { break fields }
        let byte = text[index]
        index += 1
        if byte == delimiter { continue }
        if byte == 0x0D && index < text.count && text[index] == 0x0A { index += 1 }
        lines += 1
        break fields
      }
      records.append(record)
      line += lines
    }
    return records
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func readsWhatAByteByByteReadingReads(seed: UInt64) throws {
    let delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")][Int(seed % 3)]
    var random = AccountingTests.Generator(state: seed)
    let plain = Array("abcdefghij0123456789 .-_é".utf8)
    var text: [UInt8] = []
    while text.count < 3 << 20 {
      let fieldCount = Int.random(in: 1...12, using: &random)
      for field in 0..<fieldCount {
        if field > 0 { text.append(delimiter) }
        // Lengths up to 140: fields shorter and longer than a mask, ending anywhere in one.
        let length = Int.random(in: 0...140, using: &random) >> Int.random(in: 0...3, using: &random)
        if Int.random(in: 0..<8, using: &random) == 0 {
          text.append(UInt8(ascii: "\""))
          for _ in 0..<length {
            switch Int.random(in: 0..<20, using: &random) {
            case 0: text += [UInt8(ascii: "\""), UInt8(ascii: "\"")]
            case 1: text.append(0x0A)
            case 2: text.append(0x0D)
            case 3: text.append(delimiter)
            default: text.append(plain.randomElement(using: &random)!)
            }
          }
          text.append(UInt8(ascii: "\""))
        } else {
          for _ in 0..<length { text.append(plain.randomElement(using: &random)!) }
        }
      }
      text += [[0x0A], [0x0D, 0x0A], [0x0D]][Int.random(in: 0..<3, using: &random)]
    }
    let path = folder.path + "/random-\(seed).csv"
    FileManager.default.createFile(atPath: path, contents: Data(text))
    var read: [Record] = []
    let tokenizer = CSVTokenizer(delimiter: delimiter, skipPrefix: 0)
    try tokenizer.tokenize(try FileBlocks(path: path)) { record in
      #expect(!record.strayQuote)
      let fields = (0..<record.fields.count).map { index in
        let field = record.fields[index]
        let bytes = Array(record.bytes(index))
        return field.hasEscapedQuotes ? Self.undoubled(bytes) : bytes
      }
      read.append(Record(fields: fields, line: record.line))
    }
    let expected = Self.reference(text, delimiter: delimiter)
    #expect(read.count == expected.count)
    if let first = zip(read, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
      Issue.record("record \(first): read \(read[first]), expected \(expected[first])")
    }
  }

  static func undoubled(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
      out.append(bytes[index])
      if bytes[index] == UInt8(ascii: "\"") && index + 1 < bytes.count && bytes[index + 1] == bytes[index] {
        index += 1
      }
      index += 1
    }
    return out
  }
}
