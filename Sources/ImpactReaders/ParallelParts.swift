import Foundation
import Synchronization

/// How many parts a file of `size` bytes is cut into for `threads` threads: parts of about
/// half `minimumPartBytes` (the size below which a file is read in one piece), at least one
/// per thread and at most four, so that the first parts can be merged while the others are
/// read.
func partCount(size: Int, threads: Int, minimumPartBytes: Int) -> Int {
  min(max(size / max(1, minimumPartBytes / 2), threads), threads * 4)
}

/// Runs `body` for parts 0..<`count` on `threads` threads of their own, which claim the
/// parts in order, and hands each result to `deliver` on the calling thread in part order,
/// as soon as it and every part before it are done: the caller can pass on the first parts
/// while the later ones are read. Once `deliver` returns false, no part is started and
/// none delivered any more. Returns when every thread is done.
func runPartsInOrder<Value>(
  count: Int, threads: Int, _ body: @escaping (Int) -> Value, deliver: (Int, Value) -> Bool
) {
  let parts = InOrderParts<Value>(count: count)
  let shared = UncheckedPartWork { _ in
    while let index = parts.claim() { parts.store(index, body(index)) }
  }
  let group = DispatchGroup()
  for _ in 0..<max(1, min(threads, count)) {
    group.enter()
    Thread.detachNewThread {
      shared.run(0)
      group.leave()
    }
  }
  for index in 0..<count where !deliver(index, parts.take(index)) {
    parts.stop()
    break
  }
  group.wait()
}

/// The parts of `runPartsInOrder`: claimed in order, taken in order.
private final class InOrderParts<Value>: @unchecked Sendable {
  private let condition = NSCondition()
  private var results: [Value?]
  private var next = 0
  private var stopped = false

  init(count: Int) { results = Array(repeating: nil, count: count) }

  /// The next part to read, or nil when all are claimed or the caller stopped.
  func claim() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    guard !stopped, next < results.count else { return nil }
    next += 1
    return next - 1
  }

  func store(_ index: Int, _ value: Value) {
    condition.lock()
    results[index] = value
    condition.broadcast()
    condition.unlock()
  }

  /// Waits for part `index` and lets go of it.
  func take(_ index: Int) -> Value {
    condition.lock()
    defer { condition.unlock() }
    while results[index] == nil { condition.wait() }
    defer { results[index] = nil }
    return results[index]!
  }

  func stop() {
    condition.lock()
    stopped = true
    condition.unlock()
  }
}

/// The part work, handed to the parts' threads (see `runPartsInOrder`).
private struct UncheckedPartWork: @unchecked Sendable {
  let run: (Int) -> Void
  init(_ run: @escaping (Int) -> Void) { self.run = run }
}

/// How many files a format read in parts, how many it read again in one piece, how many
/// of those it had passed parts of on before (which the sink was told to forget), and how
/// many cuts that fell inside a record it read past from the part before (CSV): for tests
/// and benchmarks.
final class PartCounts: Sendable {
  private let split = Atomic<Int>(0)
  private let readAgain = Atomic<Int>(0)
  private let discarded = Atomic<Int>(0)
  private let repaired = Atomic<Int>(0)

  func noteSplit() { split.add(1, ordering: .relaxed) }
  func noteRepaired() { repaired.add(1, ordering: .relaxed) }
  func noteReadAgain() { readAgain.add(1, ordering: .relaxed) }
  func noteDiscarded() { discarded.add(1, ordering: .relaxed) }

  var snapshot: (split: Int, readAgain: Int, discarded: Int, repaired: Int) {
    (
      split.load(ordering: .relaxed), readAgain.load(ordering: .relaxed), discarded.load(ordering: .relaxed),
      repaired.load(ordering: .relaxed)
    )
  }
}

/// A value computed on a thread of its own while the caller goes on; `value` waits for it.
/// `body` is handed a check it may call between steps to learn that the caller no longer
/// wants the value (see `cancel()`).
final class BackgroundValue<Value>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let cancelled = Atomic<Bool>(false)
  private var result: Value?

  init(_ body: @escaping (_ isCancelled: () -> Bool) -> Value) {
    let work = UncheckedPartWork { _ in self.result = body { self.cancelled.load(ordering: .relaxed) } }
    Thread.detachNewThread {
      work.run(0)
      self.done.signal()
    }
  }

  /// The value, once computed.
  var value: Value {
    done.wait()
    defer { done.signal() }
    return result!
  }

  /// Tells `body` that the value is no longer wanted, without waiting for it to stop.
  func cancel() { cancelled.store(true, ordering: .relaxed) }
}
