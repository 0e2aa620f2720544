/// Appends fixed-width integers, arrays of them and strings to a byte array, for the
/// store's batch blobs.
///
/// Integers are written in the host's byte order (little-endian on every platform Swift
/// runs on here); each blob starts with a magic and version, so a reader refuses
/// anything else instead of misreading it.
public struct BinaryWriter {
  public private(set) var bytes: [UInt8] = []

  public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

  public mutating func write<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// An element count, then the elements' bytes in one copy.
  public mutating func write<T: FixedWidthInteger>(array: some Collection<T>) {
    write(Int64(array.count))
    for value in array { write(value) }
  }

  /// The same as `write(array:)` for a contiguous array: one copy.
  public mutating func write<T: FixedWidthInteger>(contiguous array: [T]) {
    write(Int64(array.count))
    array.withUnsafeBytes { bytes.append(contentsOf: $0) }
  }

  public mutating func write(_ string: String) {
    var copy = string
    copy.withUTF8 { utf8 in
      write(Int64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  public mutating func write(raw: UnsafeRawBufferPointer) {
    write(Int64(raw.count))
    bytes.append(contentsOf: raw)
  }

  /// Integers in the fewest bytes that hold them all (1, 2, 4 or 8, signed): a width
  /// byte, the count, then the values. Ids and line steps mostly take one or two bytes.
  public mutating func write(narrow values: [Int64]) {
    var low: Int64 = 0
    var high: Int64 = 0
    for value in values {
      if value < low { low = value }
      if value > high { high = value }
    }
    let width =
      low >= Int64(Int8.min) && high <= Int64(Int8.max)
      ? 1
      : low >= Int64(Int16.min) && high <= Int64(Int16.max)
        ? 2 : low >= Int64(Int32.min) && high <= Int64(Int32.max) ? 4 : 8
    write(UInt8(width))
    write(Int64(values.count))
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: values.count * width))
    bytes.withUnsafeMutableBytes { buffer in
      let base = buffer.baseAddress! + start
      for (index, value) in values.enumerated() {
        switch width {
        case 1: base.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: index, as: Int8.self)
        case 2:
          base.storeBytes(of: Int16(truncatingIfNeeded: value).littleEndian, toByteOffset: index * 2, as: Int16.self)
        case 4:
          base.storeBytes(of: Int32(truncatingIfNeeded: value).littleEndian, toByteOffset: index * 4, as: Int32.self)
        default: base.storeBytes(of: value.littleEndian, toByteOffset: index * 8, as: Int64.self)
        }
      }
    }
  }
}

/// Reads what `BinaryWriter` wrote, checking every length against the bytes left.
public struct BinaryReader {
  /// A blob that ends early or holds an impossible length.
  public struct DecodeError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
  }

  private let bytes: UnsafeRawBufferPointer
  public private(set) var offset = 0

  /// Reads from `bytes`, which must outlive the reader.
  public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  public var isAtEnd: Bool { offset == bytes.count }

  public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodeError) -> T {
    let size = MemoryLayout<T>.size
    guard offset + size <= bytes.count else { throw DecodeError(message: "truncated blob at byte \(offset)") }
    let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    offset += size
    return T(littleEndian: value)
  }

  /// A count written before a sequence, checked against the bytes left for elements of
  /// at least `minimumSize` bytes.
  public mutating func readCount(minimumSize: Int = 1) throws(DecodeError) -> Int {
    let count: Int64 = try read()
    guard count >= 0, count <= Int64((bytes.count - offset) / max(1, minimumSize)) else {
      throw DecodeError(message: "impossible length \(count) at byte \(offset - 8)")
    }
    return Int(count)
  }

  public mutating func readArray<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodeError) -> [T] {
    let count = try readCount(minimumSize: MemoryLayout<T>.size)
    let start = offset
    offset += count * MemoryLayout<T>.size
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      UnsafeMutableRawBufferPointer(buffer).copyMemory(
        from: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count * MemoryLayout<T>.size]))
      initialized = count
    }
  }

  /// Reads what `write(narrow:)` wrote.
  public mutating func readNarrow() throws(DecodeError) -> [Int64] {
    let width = Int(try read(UInt8.self))
    guard [1, 2, 4, 8].contains(width) else {
      throw DecodeError(message: "a column of width \(width) at byte \(offset)")
    }
    let count = try readCount(minimumSize: width)
    let start = offset
    offset += count * width
    let base = bytes.baseAddress! + start
    return [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
      for index in 0..<count {
        switch width {
        case 1: buffer[index] = Int64(base.load(fromByteOffset: index, as: Int8.self))
        case 2:
          buffer[index] = Int64(Int16(littleEndian: base.loadUnaligned(fromByteOffset: index * 2, as: Int16.self)))
        case 4:
          buffer[index] = Int64(Int32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
        default: buffer[index] = Int64(littleEndian: base.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
        }
      }
      initialized = count
    }
  }

  /// A narrow column whose values must all fit 32 bits.
  public mutating func readNarrow32() throws(DecodeError) -> [Int32] {
    var result: [Int32] = []
    for value in try readNarrow() {
      guard let exact = Int32(exactly: value) else { throw DecodeError(message: "a value too large at byte \(offset)") }
      result.append(exact)
    }
    return result
  }

  public mutating func readString() throws(DecodeError) -> String {
    let raw = try readRaw()
    return String(decoding: raw, as: UTF8.self)
  }

  /// Bytes written by `write(raw:)`, borrowed from the blob.
  public mutating func readRaw() throws(DecodeError) -> UnsafeRawBufferPointer {
    let count = try readCount()
    let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    offset += count
    return slice
  }
}

extension ByteStringTable {
  /// Writes the tags and the lengths as narrow columns, then every string's bytes in id
  /// order; `init(from:)` interns them back with the same ids.
  public func encode(into writer: inout BinaryWriter) {
    var tags: [Int64] = []
    var lengths: [Int64] = []
    var bytes: [UInt8] = []
    tags.reserveCapacity(count)
    lengths.reserveCapacity(count)
    for id in 0..<Int32(count) {
      tags.append(Int64(tag(of: id)))
      withBytes(of: id) { string in
        lengths.append(Int64(string.count))
        bytes.append(contentsOf: string)
      }
    }
    writer.write(narrow: tags)
    writer.write(narrow: lengths)
    bytes.withUnsafeBytes { writer.write(raw: $0) }
  }

  /// An indexed table holds no string twice; an unindexed one may.
  public init(from reader: inout BinaryReader, indexed: Bool = true) throws(BinaryReader.DecodeError) {
    let tags = try reader.readNarrow()
    let lengths = try reader.readNarrow()
    let bytes = try reader.readRaw()
    guard tags.count == lengths.count, lengths.allSatisfy({ $0 >= 0 }), lengths.reduce(0, +) == bytes.count,
      tags.allSatisfy({ (0...Int64(UInt32.max)).contains($0) })
    else { throw BinaryReader.DecodeError(message: "a damaged string table") }
    self.init(capacity: tags.count, indexed: indexed)
    var start = 0
    for (expected, (tag, length)) in zip(tags, lengths).enumerated() {
      let string = UnsafeRawBufferPointer(rebasing: bytes[start..<start + Int(length)])
      start += Int(length)
      guard indexed else {
        _ = appendUnindexed(string, tag: UInt32(tag))
        continue
      }
      guard intern(string, tag: UInt32(tag)) == Int32(expected) else {
        throw BinaryReader.DecodeError(message: "a string table holds the same string twice")
      }
    }
  }
}
