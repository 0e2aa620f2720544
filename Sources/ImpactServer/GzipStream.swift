import CZlib

/// Gzip compression of a stream, chunk by chunk, with zlib.
final class GzipStream {
  private var stream = z_stream()
  private var finished = false

  init() throws {
    // windowBits 15 + 16: a gzip header and trailer rather than a zlib one.
    let status = deflateInit2_(
      &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
      Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw ServerError(message: "zlib cannot start a gzip stream (\(status))") }
  }

  deinit { deflateEnd(&stream) }

  /// Compresses `input`; with `last`, ends the stream. Returns the bytes produced.
  func compress(_ input: UnsafeRawBufferPointer, last: Bool) -> [UInt8] {
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    let flush = last ? Z_FINISH : Z_NO_FLUSH
    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.avail_in = UInt32(input.count)
    repeat {
      let produced: Int = chunk.withUnsafeMutableBytes { buffer in
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(buffer.count)
        deflate(&stream, flush)
        return buffer.count - Int(stream.avail_out)
      }
      output.append(contentsOf: chunk[0..<produced])
    } while stream.avail_out == 0
    return output
  }
}
