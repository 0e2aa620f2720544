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

  /// Interning a whole table at once (strings read ahead) gives the ids one by one gives:
  /// strings already there, strings repeated in the other table (unindexed, so under two
  /// ids there), tags mapped, the table growing as it goes.
  @Test func internAllGivesWhatInterningOneByOneGives() {
    var other = ByteStringTable(indexed: false)
    for index in 0..<5000 {
      let key = index % 1300
      let string = Array("r\(key)-\(String(repeating: "x", count: key % 19))".utf8)
      _ = string.withUnsafeBytes { other.intern($0, tag: UInt32(key % 3)) }
    }
    #expect(other.count == 5000)
    let retag: [UInt32] = [7, 8, 7]
    var seeded = ByteStringTable(capacity: 4)
    for index in stride(from: 0, to: 5000, by: 37) {
      _ = other.withBytes(of: Int32(index)) { seeded.intern($0, tag: retag[Int(other.tag(of: Int32(index)))]) }
    }
    var oneByOne = seeded
    let expected = (0..<Int32(other.count)).map { id in
      other.withBytes(of: id) { oneByOne.intern($0, tag: retag[Int(other.tag(of: id))]) }
    }
    var atOnce = seeded
    #expect(atOnce.internAll(of: other, retag: retag) == expected)
    #expect(atOnce.count == oneByOne.count)
    #expect(Set(expected).count < other.count, "some strings repeat")
  }

  /// Truncating forgets exactly the strings from an id on, whether they are taken out of
  /// their slots one by one (few of them) or the index is rebuilt (most of them).
  @Test(arguments: [0, 1, 150, 299, 310, 399])
  func truncateForgetsTheLaterStringsOnly(keep: Int) {
    var table = ByteStringTable(capacity: 4)
    let strings = (0..<400).map { Array("s\($0 % 97)-\($0)".utf8) }
    for (index, string) in strings.enumerated() {
      #expect(string.withUnsafeBytes { table.intern($0, tag: UInt32(index % 2)) } == Int32(index))
    }
    table.truncate(to: keep)
    #expect(table.count == keep)
    for (index, string) in strings.enumerated() {
      let found = string.withUnsafeBytes { table.find($0, tag: UInt32(index % 2)) }
      #expect(found == (index < keep ? Int32(index) : nil), "string \(index)")
    }
    // Strings interned again after the cut take the next ids.
    for (index, string) in strings.enumerated().dropFirst(keep).prefix(20) {
      #expect(string.withUnsafeBytes { table.intern($0, tag: UInt32(index % 2)) } == Int32(index))
    }
  }
}
