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
  /// Writes the strings and tags, in id order; `init(from:)` interns them back with the
  /// same ids.
  public func encode(into writer: inout BinaryWriter) {
    writer.write(Int64(count))
    for id in 0..<Int32(count) {
      writer.write(tag(of: id))
      withBytes(of: id) { writer.write(raw: $0) }
    }
  }

  public init(from reader: inout BinaryReader) throws(BinaryReader.DecodeError) {
    let count = try reader.readCount(minimumSize: 12)
    self.init(capacity: count)
    for expected in 0..<Int32(count) {
      let tag: UInt32 = try reader.read()
      let bytes = try reader.readRaw()
      guard intern(bytes, tag: tag) == expected else {
        throw BinaryReader.DecodeError(message: "a string table holds the same string twice")
      }
    }
  }
}
