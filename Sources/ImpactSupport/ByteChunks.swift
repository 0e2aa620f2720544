/// A fixed list of byte strings in one allocation, read without reference counting.
///
/// Report writers escape each repeated cell (a partner id, a period, a file name) once
/// and copy the bytes per row; an array of arrays would retain and release per access.
/// The storage runs 32 bytes past the last string, so that `append(_:to:)` can copy a
/// short one as 32 bytes at once.
public final class ByteChunks: @unchecked Sendable {
  @usableFromInline let storage: UnsafeMutableRawPointer
  @usableFromInline let offsets: UnsafeMutablePointer<Int>
  public let count: Int

  public init(_ chunks: [[UInt8]]) {
    count = chunks.count
    let total = chunks.reduce(0) { $0 + $1.count }
    storage = UnsafeMutableRawPointer.allocate(byteCount: total + 32, alignment: 8)
    storage.initializeMemory(as: UInt8.self, repeating: 0, count: total + 32)
    offsets = UnsafeMutablePointer<Int>.allocate(capacity: chunks.count + 1)
    var position = 0
    for (index, chunk) in chunks.enumerated() {
      offsets[index] = position
      chunk.withUnsafeBytes {
        if let base = $0.baseAddress { (storage + position).copyMemory(from: base, byteCount: $0.count) }
      }
      position += chunk.count
    }
    offsets[chunks.count] = position
  }

  deinit {
    storage.deallocate()
    offsets.deallocate()
  }

  /// Appends string `index` to `buffer`.
  @inlinable @inline(__always)
  public func append(_ index: Int, to buffer: inout ByteBuffer) {
    buffer.append(paddedBytes: storage + offsets[index], count: offsets[index + 1] - offsets[index])
  }

  @inlinable @inline(__always)
  public subscript(index: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: storage + offsets[index], count: offsets[index + 1] - offsets[index])
  }
}
