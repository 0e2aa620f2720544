import Glibc

/// A file written through a large byte buffer, with errors (a full disk, a closed
/// descriptor) thrown as they happen instead of being lost in a buffered stream.
///
/// Whole blocks go straight to the disk (`O_DIRECT`) where the file system allows it: a
/// run's reports are forced to disk at the end anyway, and copying them into the page
/// cache first cost about a second of kernel time per gigabyte (records.csv is 1 GB at
/// 8M rows), against a tenth when the disk reads them from the buffer. The tail, less
/// than a block, is written through the cache at `close()`. Where direct writes are
/// refused (tmpfs, some network file systems), the file is written through the cache.
/// Direct writes run in the background (POSIX AIO) while the next buffer fills, and one
/// waits queued behind the one the disk is reading: the disk reads a buffer about as fast
/// as a thread formats it, and with one write at a time it stood idle between a write's
/// end and the next one's start (records.csv came out at 0.86 GB/s on a disk that takes
/// 1.15).
public final class OutputFile {
  /// An error writing or closing an output file.
  public struct WriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
  }

  public let path: String
  private var descriptor: Int32
  /// Whether writes bypass the page cache: then only whole blocks, from an aligned buffer.
  private var direct: Bool
  /// The buffer being filled, and buffers free for the next (their write, if any, ended).
  private var buffer: UnsafeMutableRawPointer
  private var spares: [UnsafeMutableRawPointer] = []
  private let capacity: Int
  private var buffered = 0
  /// The background writes not yet known to have ended, oldest first.
  private var inFlight: [BackgroundWrite] = []
  /// Background writes at most in flight: one the disk reads, one queued behind it.
  static let writesInFlight = 2

  /// A buffer handed to a background write, with its request.
  private struct BackgroundWrite {
    let request: UnsafeMutablePointer<aiocb>
    let buffer: UnsafeMutableRawPointer
    let count: Int
    let offset: Int
  }
  /// The first error: every later write or close throws it again, so that a caller that
  /// goes on cannot leave a hole in the file or write past the buffer.
  private var failure: (any Error)?
  /// Bytes handed to the file so far (every write names its offset), and up to where the
  /// kernel was asked to start writing them to disk (when written through the cache): a
  /// large file's final `fsync` then waits for the tail only.
  private var written = 0
  private var writebackStarted = 0

  /// The unit of a direct write: its size, its file offset and its buffer's address.
  static let blockSize = 4096

  /// `O_DIRECT`, which Glibc's Swift module leaves out (it needs `_GNU_SOURCE`); 0 where
  /// its value is not known here, and the file is written through the cache.
  static let directFlag: Int32 = {
    #if arch(x86_64) || arch(i386)
      return 0o40000
    #elseif arch(arm64) || arch(arm)
      return 0o200000
    #else
      return 0
    #endif
  }()

  /// Creates (or truncates) the file at `path`; `direct: false` writes it through the
  /// page cache.
  public init(path: String, bufferSize: Int = 4 << 20, direct: Bool = true) throws {
    self.path = path
    let flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
    var descriptor: Int32 = -1
    self.direct = false
    if direct && Self.directFlag != 0 {
      descriptor = open(path, flags | Self.directFlag, 0o644)
      self.direct = descriptor >= 0
    }
    if descriptor < 0 { descriptor = open(path, flags, 0o644) }
    self.descriptor = descriptor
    if descriptor < 0 { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    capacity = max(Self.blockSize, bufferSize / Self.blockSize * Self.blockSize)
    buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.blockSize)
  }

  deinit {
    // A write still running reads its buffer: it ends before the memory goes.
    for write in inFlight {
      Self.wait(for: write.request)
      write.request.deallocate()
      write.buffer.deallocate()
    }
    if descriptor >= 0 { _ = Glibc.close(descriptor) }
    buffer.deallocate()
    for spare in spares { spare.deallocate() }
  }

  /// Appends raw bytes.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    if let failure { throw failure }
    guard var source = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
      let count = min(left, capacity - buffered)
      (buffer + buffered).copyMemory(from: source, byteCount: count)
      buffered += count
      source += count
      left -= count
      if buffered == capacity { try writeBuffer() }
    }
  }

  /// Appends the UTF-8 of `string`.
  public func write(_ string: String) throws {
    var copy = string
    try copy.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Appends one byte.
  public func write(byte: UInt8) throws {
    if let failure { throw failure }
    buffer.storeBytes(of: byte, toByteOffset: buffered, as: UInt8.self)
    buffered += 1
    if buffered == capacity { try writeBuffer() }
  }

  /// Appends bytes that the caller has formatted into `scratch`.
  public func write(_ scratch: [UInt8]) throws {
    try scratch.withUnsafeBytes { try write($0) }
  }

  /// Appends a formatted buffer.
  public func write(_ bytes: ByteBuffer) throws {
    try write(bytes.bytes)
  }

  /// Writes out what the buffer holds: in direct mode its whole blocks, in the
  /// background, the rest moved to the start of the next buffer for the next write (or
  /// `close()`); through the cache, all of it, at once.
  private func writeBuffer() throws {
    try keepingFailure { try writeBufferOnce() }
  }

  /// Runs `body`, keeping its error as the file's failure (see `failure`).
  private func keepingFailure(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch {
      failure = failure ?? error
      throw error
    }
  }

  /// `writeBuffer()`, the failure not kept.
  private func writeBufferOnce() throws {
    guard direct else {
      try write(buffer, count: buffered, at: written)
      written += buffered
      buffered = 0
      return
    }
    let count = buffered / Self.blockSize * Self.blockSize
    guard count > 0 else { return }
    if inFlight.count >= Self.writesInFlight { try finishOldestWrite() }
    let full = buffer
    buffer = spares.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: Self.blockSize)
    buffered -= count
    if buffered > 0 { buffer.copyMemory(from: full + count, byteCount: buffered) }
    let offset = written
    written += count
    let request = UnsafeMutablePointer<aiocb>.allocate(capacity: 1)
    request.initialize(to: aiocb())
    request.pointee.aio_fildes = descriptor
    request.pointee.aio_buf = full
    request.pointee.aio_nbytes = count
    request.pointee.aio_offset = off_t(offset)
    request.pointee.aio_sigevent.sigev_notify = Int32(SIGEV_NONE)
    if aio_write(request) == 0 {
      inFlight.append(BackgroundWrite(request: request, buffer: full, count: count, offset: offset))
    } else {
      request.deallocate()
      spares.append(full)
      try write(full, count: count, at: offset)
    }
  }

  /// Waits for the oldest background write and makes sure all of it was written.
  private func finishOldestWrite() throws {
    let write = inFlight.removeFirst()
    defer {
      write.request.deallocate()
      spares.append(write.buffer)
    }
    let error = Self.wait(for: write.request)
    let done = aio_return(write.request)
    if error == 0 && done == write.count { return }
    if error != 0 && error != EINVAL { throw WriteError(path: path, reason: String(cString: strerror(error))) }
    // Refused as a direct write, or cut short: the rest through the cache.
    let from = error == 0 ? max(0, done) : 0
    try stopWritingDirect()
    try self.write(write.buffer + from, count: write.count - from, at: write.offset + from)
  }

  /// Waits for every background write, oldest first.
  private func finishWrites() throws {
    while !inFlight.isEmpty { try finishOldestWrite() }
  }

  /// Waits for a background write to end; returns its error (0 when it succeeded).
  @discardableResult
  private static func wait(for request: UnsafeMutablePointer<aiocb>) -> Int32 {
    var list: UnsafePointer<aiocb>? = UnsafePointer(request)
    while aio_error(request) == EINPROGRESS { _ = aio_suspend(&list, 1, nil) }
    return aio_error(request)
  }

  /// Writes `total` bytes from `start` at file offset `position`, whatever the mode.
  private func write(_ start: UnsafeRawPointer, count total: Int, at position: Int) throws {
    var offset = 0
    while offset < total {
      let count = pwrite(descriptor, start + offset, total - offset, off_t(position + offset))
      if count < 0 {
        if errno == EINTR { continue }
        // A file system that opens with O_DIRECT but refuses such a write: through the cache.
        if errno == EINVAL && direct {
          try stopWritingDirect()
          continue
        }
        throw WriteError(path: path, reason: String(cString: strerror(errno)))
      }
      offset += count
      // A short direct write leaves the next offset off a block: the rest through the cache.
      if direct && count % Self.blockSize != 0 { try stopWritingDirect() }
    }
    let end = position + total
    if !direct && end - writebackStarted >= 8 << 20 {
      // Starts writeback of the dirty pages written since (Linux), without waiting.
      _ = posix_fadvise(descriptor, off_t(writebackStarted), off_t(end - writebackStarted), POSIX_FADV_DONTNEED)
      writebackStarted = end
    }
  }

  private func stopWritingDirect() throws {
    direct = false
    let flags = fcntl(descriptor, F_GETFL)
    guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~Self.directFlag) == 0 else {
      throw WriteError(path: path, reason: String(cString: strerror(errno)))
    }
  }

  /// Flushes, forces the content to disk and closes the file.
  public func close() throws {
    if let failure { throw failure }
    try writeBuffer()
    try keepingFailure {
      try finishWrites()
      // The tail, less than a block: through the cache.
      if buffered > 0 && direct { try stopWritingDirect() }
    }
    try writeBuffer()
    // The spare buffers go now (8 MiB for a large file); the one being filled stays, for a
    // write after the close to fail rather than crash.
    for spare in spares { spare.deallocate() }
    spares.removeAll()
    try keepingFailure {
      if fsync(descriptor) != 0 && errno != EINVAL {
        throw WriteError(path: path, reason: String(cString: strerror(errno)))
      }
      let result = Glibc.close(descriptor)
      descriptor = -1
      if result != 0 { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    }
    // A second close, or a write after this one, fails instead of reaching another file
    // that took the descriptor's number.
    failure = failure ?? WriteError(path: path, reason: "the file is closed")
  }
}
