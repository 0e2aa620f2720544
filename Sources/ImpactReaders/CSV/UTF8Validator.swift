/// Checks a byte stream for UTF-8, block by block, counting well-formed multi-byte
/// sequences of Latin text and stray bytes, so that the encoding is decided over the whole file.
///
/// No stray byte: UTF-8. Stray bytes and a well-formed sequence of a Latin letter or of
/// punctuation (`é`, `’`, `€`, a no-break space): a UTF-8 file with stray bytes, which no
/// encoding reads right (decoding it as Windows-1252 would garble every accented
/// character). Otherwise a single-byte encoding (Windows-1252), in which an accented letter
/// followed by symbols can make a well-formed sequence by chance, of a character no French
/// text holds (`é` + no-break space + `»` is E9 A0 BB, U+983B). Sequences may straddle
/// blocks.
struct UTF8Validator {
  private(set) var strayBytes = 0
  /// The offset of the first stray byte, from the start of the stream.
  private(set) var firstStray: Int?
  private(set) var firstStrayByte: UInt8 = 0
  private var offset = 0
  /// Continuation bytes still expected.
  private var pending = 0
  /// The allowed range of the next continuation byte (narrowed after E0, ED, F0, F4).
  private var low: UInt8 = 0x80
  private var high: UInt8 = 0xBF

  var isValid: Bool { strayBytes == 0 }

  /// Well-formed sequences of a Latin letter, a combining accent or punctuation: U+00A0 to
  /// U+024F, U+0300 to U+036F, U+2000 to U+20CF.
  private(set) var latinSequences = 0
  /// The code point of the sequence being read, so far.
  private var scalar: UInt32 = 0

  /// Whether the stream reads as UTF-8, with stray bytes or not (see above).
  var looksLikeUTF8: Bool { strayBytes == 0 || latinSequences > 0 }

  /// Where the sequence being read started, and its first byte: a broken sequence is
  /// reported at its start.
  private var sequenceStart = 0
  private var sequenceByte: UInt8 = 0

  mutating func feed(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress else { return }
    let count = bytes.count
    var i = 0
    while i < count {
      if pending == 0 {
        // Skip ASCII eight bytes at a time.
        while i + 8 <= count && base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
          i += 8
        }
        if i >= count { break }
      }
      let byte = base.load(fromByteOffset: i, as: UInt8.self)
      if pending > 0 {
        if byte >= low && byte <= high {
          pending -= 1
          low = 0x80
          high = 0xBF
          scalar = scalar << 6 | UInt32(byte & 0x3F)
          if pending == 0 {
            if (0xA0...0x24F).contains(scalar) || (0x300...0x36F).contains(scalar) || (0x2000...0x20CF).contains(scalar)
            {
              latinSequences += 1
            }
          }
          i += 1
          continue
        }
        // A broken sequence: count it and read this byte afresh.
        strayAt(absolute: sequenceStart, byte: sequenceByte)
        pending = 0
        low = 0x80
        high = 0xBF
        continue
      }
      i += 1
      sequenceStart = offset + i - 1
      sequenceByte = byte
      scalar = UInt32(byte & (byte >= 0xF0 ? 0x07 : byte >= 0xE0 ? 0x0F : 0x1F))
      switch byte {
      case 0x00...0x7F: continue
      case 0xC2...0xDF: pending = 1
      case 0xE0:
        pending = 2
        low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: pending = 2
      case 0xED:
        pending = 2
        high = 0x9F
      case 0xF0:
        pending = 3
        low = 0x90
      case 0xF1...0xF3: pending = 3
      case 0xF4:
        pending = 3
        high = 0x8F
      default:
        stray(at: i - 1, byte: byte)
      }
    }
    offset += count
  }

  private mutating func stray(at index: Int, byte: UInt8) { strayAt(absolute: offset + index, byte: byte) }

  private mutating func strayAt(absolute position: Int, byte: UInt8) {
    if firstStray == nil {
      firstStray = position
      firstStrayByte = byte
    }
    strayBytes += 1
  }

  /// Ends the stream; an unfinished sequence counts as a stray byte.
  mutating func finish() {
    if pending > 0 {
      strayAt(absolute: sequenceStart, byte: sequenceByte)
      pending = 0
    }
  }
}

/// Windows-1252, the encoding of French Excel's "CSV (séparateur : point-virgule)".
enum Windows1252 {
  /// The Unicode scalar for each byte 0x80...0x9F; 0 where the code page defines none.
  static let high: [UInt32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
    0x0178,
  ]

  /// Whether the byte has a character in Windows-1252.
  static func isDefined(_ byte: UInt8) -> Bool {
    byte < 0x80 || byte >= 0xA0 || high[Int(byte - 0x80)] != 0
  }

  /// Appends the UTF-8 encoding of a Windows-1252 byte to `output`.
  static func appendUTF8(of byte: UInt8, to output: inout [UInt8]) {
    if byte < 0x80 {
      output.append(byte)
      return
    }
    var scalar = byte >= 0xA0 ? UInt32(byte) : high[Int(byte - 0x80)]
    if scalar == 0 { scalar = 0xFFFD }  // undefined: the file is refused anyway
    if scalar < 0x800 {
      output.append(UInt8(0xC0 | (scalar >> 6)))
      output.append(UInt8(0x80 | (scalar & 0x3F)))
    } else {
      output.append(UInt8(0xE0 | (scalar >> 12)))
      output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
      output.append(UInt8(0x80 | (scalar & 0x3F)))
    }
  }
}
