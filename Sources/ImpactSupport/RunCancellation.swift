import Synchronization

/// A request to stop the run in progress, set from a signal handler (SIGINT, SIGTERM) and
/// checked by the runner between batches and phases, and by the readers every block.
public enum RunCancellation {
  private static let requested = Atomic<Int32>(0)

  /// Asks the run to stop; `signal` is the number of the signal that asked.
  public static func request(signal: Int32) {
    requested.store(signal, ordering: .relaxed)
  }

  /// The signal that asked the run to stop, or nil.
  public static var signal: Int32? {
    let value = requested.load(ordering: .relaxed)
    return value == 0 ? nil : value
  }

  /// Throws `RunInterrupted` once a stop was asked for.
  public static func check() throws(RunInterrupted) {
    if let signal { throw RunInterrupted(signal: signal) }
  }

  /// For tests: forgets a request.
  public static func reset() { requested.store(0, ordering: .relaxed) }
}

/// Bytes the readers have parsed so far in this process, for a progress bar that moves
/// within a large file.
public enum ReadMeter {
  private static let counter = Atomic<Int>(0)

  public static func add(_ bytes: Int) { counter.add(bytes, ordering: .relaxed) }

  public static var total: Int { counter.load(ordering: .relaxed) }
}

/// A run stopped by a signal: nothing was published and the store was left as before.
public struct RunInterrupted: Error, CustomStringConvertible {
  public let signal: Int32
  public var description: String {
    "interrupted by signal \(signal): nothing was published and the store is as it was before the run"
  }
}
