import Glibc
import Synchronization

/// A file whose content is formatted in numbered chunks by any number of threads and
/// written in chunk order.
///
/// Each thread that calls `work()` takes the next chunk, formats it into a buffer of its
/// own, waits for its turn and writes it: the bytes are those of one thread formatting
/// every chunk in order, and memory holds at most one chunk per working thread. A thread
/// that is busy elsewhere joins later, so the runner starts one thread on the file and
/// adds its own once the aggregation is done.
public final class OrderedChunkWriter: @unchecked Sendable {
  /// Formats chunk `index` by appending its bytes to the buffer.
  public typealias Format = (_ index: Int, _ buffer: inout ByteBuffer) -> Void

  private struct State {
    var nextToFormat = 0
    var nextToWrite = 0
    var failure: (any Error)?
  }

  private let file: OutputFile
  private let chunkCount: Int
  private let format: Format
  private let state = Mutex(State())

  /// Writes `prefix`, then `chunkCount` chunks as `format` makes them, into `file`.
  public init(file: OutputFile, prefix: [UInt8] = [], chunkCount: Int, format: @escaping Format) throws {
    self.file = file
    self.chunkCount = chunkCount
    self.format = format
    try file.write(prefix)
  }

  /// Formats and writes chunks until none is left. Returns early, without throwing, when
  /// another thread failed: `finish()` reports that failure.
  public func work() {
    var buffer = ByteBuffer(capacity: 1 << 20)
    defer { buffer.deallocate() }
    while true {
      let index: Int? = state.withLock {
        guard $0.failure == nil, $0.nextToFormat < chunkCount else { return nil }
        $0.nextToFormat += 1
        return $0.nextToFormat - 1
      }
      guard let index else { return }
      buffer.removeAll()
      format(index, &buffer)
      // The writer of chunk i - 1 is formatting no longer: the wait is for one write.
      while true {
        let turn = state.withLock { $0.failure != nil ? nil : $0.nextToWrite == index }
        guard let turn else { return }
        if turn { break }
        usleep(50)
      }
      do {
        try RunCancellation.check()
        try file.write(buffer)
        state.withLock { $0.nextToWrite += 1 }
      } catch {
        state.withLock { if $0.failure == nil { $0.failure = error } }
        return
      }
    }
  }

  /// Once every thread's `work()` has returned: throws the first failure, else closes the
  /// file (flushed and forced to disk).
  public func finish() throws {
    if let failure = state.withLock({ $0.failure }) { throw failure }
    try file.close()
  }
}
