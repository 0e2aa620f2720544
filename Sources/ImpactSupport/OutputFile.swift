import Glibc

/// A file written through a large byte buffer, with errors (a full disk, a closed
/// descriptor) thrown as they happen instead of being lost in a buffered stream.
public final class OutputFile {
  /// An error writing or closing an output file.
  public struct WriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
  }

  public let path: String
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private let flushThreshold: Int
  /// Bytes written so far, and up to where the kernel was asked to start writing them to
  /// disk: a large file's final `fsync` then waits for the tail only.
  private var written = 0
  private var writebackStarted = 0

  /// Creates (or truncates) the file at `path`.
  public init(path: String, bufferSize: Int = 1 << 20) throws {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    flushThreshold = bufferSize
    if descriptor < 0 { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    buffer.reserveCapacity(bufferSize + 4096)
  }

  deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }

  /// Appends raw bytes.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    buffer.append(contentsOf: bytes)
    if buffer.count >= flushThreshold { try flush() }
  }

  /// Appends the UTF-8 of `string`.
  public func write(_ string: String) throws {
    var copy = string
    try copy.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Appends one byte.
  public func write(byte: UInt8) throws {
    buffer.append(byte)
    if buffer.count >= flushThreshold { try flush() }
  }

  /// Appends bytes that the caller has formatted into `scratch`.
  public func write(_ scratch: [UInt8]) throws {
    try scratch.withUnsafeBytes { try write($0) }
  }

  /// Appends a formatted buffer, bypassing the internal one when it is large.
  public func write(_ buffer: ByteBuffer) throws {
    if buffer.count >= flushThreshold {
      try flush()
      try writeFully(buffer.bytes)
    } else {
      try write(buffer.bytes)
    }
  }

  private func writeFully(_ raw: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < raw.count {
      let count = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
      if count < 0 {
        if errno == EINTR { continue }
        throw WriteError(path: path, reason: String(cString: strerror(errno)))
      }
      offset += count
    }
    written += raw.count
    if written - writebackStarted >= 8 << 20 {
      // Starts writeback of the dirty pages written since (Linux), without waiting.
      _ = posix_fadvise(descriptor, off_t(writebackStarted), off_t(written - writebackStarted), POSIX_FADV_DONTNEED)
      writebackStarted = written
    }
  }

  /// Writes the buffer out.
  public func flush() throws {
    try buffer.withUnsafeBytes { try writeFully($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, forces the content to disk and closes the file.
  public func close() throws {
    try flush()
    if fsync(descriptor) != 0 && errno != EINVAL {
      throw WriteError(path: path, reason: String(cString: strerror(errno)))
    }
    let result = Glibc.close(descriptor)
    descriptor = -1
    if result != 0 { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
  }
}
