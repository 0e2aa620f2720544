/// A growable byte buffer for formatting rows, with no reference counting or
/// exclusivity checks per append. The owner frees it with `deallocate()`.
public struct ByteBuffer {
  // Stored as `@usableFromInline` so that the appends below inline into report writers in
  // other modules (a call per cell cost about a sixth of records.csv's formatting).
  @usableFromInline var storage: UnsafeMutableRawPointer
  @usableFromInline var length = 0
  @usableFromInline var capacity: Int

  /// The start of the bytes (moves when the buffer grows).
  @inlinable public var base: UnsafeMutableRawPointer { storage }
  /// The number of bytes written so far.
  @inlinable public var count: Int { length }

  public init(capacity: Int) {
    self.capacity = max(capacity, 64)
    storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
  }

  public func deallocate() { base.deallocate() }

  /// The bytes written so far.
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// Forgets the content, keeping the memory.
  public mutating func removeAll() { length = 0 }

  @inlinable @inline(__always)
  mutating func reserve(_ extra: Int) {
    if length + extra > capacity { grow(length + extra) }
  }

  @usableFromInline
  mutating func grow(_ needed: Int) {
    var size = capacity * 2
    while size < needed { size *= 2 }
    let bigger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    bigger.copyMemory(from: base, byteCount: count)
    storage.deallocate()
    storage = bigger
    capacity = size
  }

  @inlinable @inline(__always)
  public mutating func append(_ byte: UInt8) {
    reserve(1)
    base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
    length += 1
  }

  @inlinable @inline(__always)
  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
    reserve(bytes.count)
    (base + count).copyMemory(from: source, byteCount: bytes.count)
    length += bytes.count
  }

  /// Appends `count` bytes from `source`, from which 32 bytes can be read whatever
  /// `count` (see `ByteChunks`): a short string is copied as 32 bytes at once, the ones past
  /// it overwritten by what is appended next, instead of through a call to `memmove`.
  @inlinable @inline(__always)
  public mutating func append(paddedBytes source: UnsafeRawPointer, count: Int) {
    reserve(max(count, 32))
    if count <= 32 {
      (base + self.count).storeBytes(of: source.loadUnaligned(as: SIMD32<UInt8>.self), as: SIMD32<UInt8>.self)
    } else {
      (base + self.count).copyMemory(from: source, byteCount: count)
    }
    length += count
  }

  /// Appends a copy of bytes the buffer holds already (which `append(_:)` must not be
  /// given: growing frees them before they are copied).
  @inlinable @inline(__always)
  public mutating func appendCopy(of range: Range<Int>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "a range of the buffer's bytes")
    reserve(range.count)
    (base + count).copyMemory(from: base + range.lowerBound, byteCount: range.count)
    length += range.count
  }

  /// Appends a non-negative integer in decimal.
  @inlinable @inline(__always)
  public mutating func appendDecimal(_ value: UInt64) {
    reserve(20)
    var width = 1
    var bound: UInt64 = 10
    while width < 20 && value >= bound {
      width += 1
      bound = bound &* 10
    }
    var rest = value
    var position = count + width
    repeat {
      position -= 1
      base.storeBytes(of: UInt8(truncatingIfNeeded: rest % 10) &+ 48, toByteOffset: position, as: UInt8.self)
      rest /= 10
    } while rest > 0
    length += width
  }

  /// Appends an amount in micro-units as plain decimal text (no exponent, no trailing
  /// zeros), as `Quantity` prints it.
  @inlinable
  public mutating func appendMicros(_ micros: Int64) {
    if micros < 0 { append(UInt8(ascii: "-")) }
    let magnitude = micros.magnitude
    appendDecimal(magnitude / 1_000_000)
    var fraction = magnitude % 1_000_000
    guard fraction != 0 else { return }
    var digits = 6
    while fraction % 10 == 0 {
      fraction /= 10
      digits -= 1
    }
    reserve(digits + 1)
    base.storeBytes(of: UInt8(ascii: "."), toByteOffset: count, as: UInt8.self)
    for position in stride(from: digits, to: 0, by: -1) {
      base.storeBytes(
        of: UInt8(truncatingIfNeeded: fraction % 10) &+ 48, toByteOffset: count + position, as: UInt8.self)
      fraction /= 10
    }
    length += digits + 1
  }
}
