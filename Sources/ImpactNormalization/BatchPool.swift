import Synchronization

/// Emptied batches kept for the next chunks a builder hands over (see
/// `BatchBuilder.chunkSize`): a chunk's buffers are reused once it is merged, rather than
/// allocated, faulted in and given back for every chunk.
///
/// Shared by the threads that read and the one that merges. Only batches of about a chunk
/// are kept (a file's parts, read at once on several cores, are larger), at most `limit`.
public final class BatchPool: Sendable {
  private let spares = Mutex([NormalizedBatch]())
  private let limit: Int
  private let largestRecords: Int

  /// Keeps up to `limit` batches of at most `chunkSize` records.
  public init(chunkSize: Int, limit: Int = 8) {
    self.limit = limit
    largestRecords = chunkSize
  }

  /// An empty batch: one given back, or a new one.
  public func take() -> NormalizedBatch {
    spares.withLock { $0.popLast() } ?? NormalizedBatch()
  }

  /// Takes back a batch merged and no longer read, emptied, unless it has room for more
  /// than twice a chunk or the pool is full.
  public func give(_ batch: NormalizedBatch) {
    guard batch.records.capacity <= 2 * largestRecords + 64 else { return }
    batch.empty()
    spares.withLock { spares in
      if spares.count < limit { spares.append(batch) }
    }
  }
}
