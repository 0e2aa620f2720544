import ImpactSupport
import Testing

/// The byte comparisons, searches and hashes the id tables and writers rest on, at every
/// length a word-wise loop and its overlapping last loads must get right.
@Suite struct ByteStringTableTests {
  /// Strings of 0 to 40 bytes, and each of them with one byte changed, at every position.
  static let lengths = 0...40

  static func text(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: 97 + $0 * 7 % 26) } }

  @Test func memoryEqualsTellsEveryDifferingByte() {
    for count in Self.lengths {
      let a = Self.text(count)
      let same = a
      a.withUnsafeBytes { x in
        same.withUnsafeBytes { y in
          #expect(count == 0 || memoryEquals(x.baseAddress!, y.baseAddress!, count), "\(count) bytes")
        }
      }
      for position in 0..<count {
        var b = a
        b[position] ^= 0x20
        a.withUnsafeBytes { x in
          b.withUnsafeBytes { y in
            #expect(!memoryEquals(x.baseAddress!, y.baseAddress!, count), "\(count) bytes, byte \(position)")
          }
        }
      }
    }
  }

  @Test func stringsDifferingByOneByteHashApart() {
    var seen: [UInt64: [UInt8]] = [:]
    for count in Self.lengths {
      let a = Self.text(count)
      var variants = [a]
      for position in 0..<count {
        var b = a
        b[position] ^= 0x20
        variants.append(b)
      }
      for variant in variants {
        let hash = variant.withUnsafeBytes { byteHash($0) }
        #expect(seen[hash] == nil || seen[hash] == variant, "\(variant) and \(seen[hash] ?? []) hash alike")
        seen[hash] = variant
      }
    }
  }

  @Test func internGivesEachStringUnderEachTagOneID() {
    var table = ByteStringTable()
    var ids: [[UInt8]: Int32] = [:]
    for count in Self.lengths {
      let a = Self.text(count)
      for tag in [UInt32(0), 1] {
        let id = a.withUnsafeBytes { table.intern($0, tag: tag) }
        #expect(ids[a + [UInt8(tag)]] == nil)
        ids[a + [UInt8(tag)]] = id
      }
    }
    #expect(table.count == Self.lengths.count * 2)
    for (key, id) in ids {
      let bytes = Array(key.dropLast())
      let tag = UInt32(key.last!)
      #expect(bytes.withUnsafeBytes { table.find($0, tag: tag) } == id)
      #expect(bytes.withUnsafeBytes { table.intern($0, tag: tag) } == id)
      #expect(table.withBytes(of: id) { Array($0) } == bytes)
      #expect(table.tag(of: id) == tag)
    }
  }

  @Test func containsAnyFindsEachByteAtEveryPosition() {
    for count in Self.lengths {
      let a = Self.text(count)
      #expect(!a.withUnsafeBytes { containsAny($0, 0x2C, 0x22, 0x0A, 0x0D) }, "\(count) bytes")
      for position in 0..<count {
        for byte: UInt8 in [0x2C, 0x22, 0x0A, 0x0D] {
          var b = a
          b[position] = byte
          #expect(b.withUnsafeBytes { containsAny($0, 0x2C, 0x22, 0x0A, 0x0D) }, "\(count) bytes, byte \(position)")
        }
      }
    }
  }
}
