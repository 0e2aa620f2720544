import Foundation
import ImpactReports

/// Writes `rejects.csv` and tallies its rows on a thread of its own, in the order the
/// rows come, so that the merge, which finds the superseded observations, does not wait
/// for their formatting.
///
/// Rows travel in chunks; at most `maximumChunks` wait, which bounds memory. A write
/// that fails stops the rows: the next `add` or `finish` throws its error.
final class RejectsPipe: @unchecked Sendable {
  static let chunkSize = 4096
  static let maximumChunks = 8

  private let writer: RejectsCSVWriter
  private var tally = RejectsTally()
  private let condition = NSCondition()
  /// Chunks waiting for the writing thread.
  private var waiting: [[RejectEvent]] = []
  /// The chunk being filled, by the thread that adds.
  private var filling: [RejectEvent] = []
  private var closed = false
  private var running = true
  private var failure: Error?

  init(writer: RejectsCSVWriter) {
    self.writer = writer
    filling.reserveCapacity(Self.chunkSize)
    Thread.detachNewThread { [self] in drain() }
  }

  /// Queues one row.
  func add(_ event: RejectEvent) throws {
    filling.append(event)
    if filling.count == Self.chunkSize { try send() }
  }

  /// Hands the rows queued so far to the writing thread, without waiting for it.
  func flush() throws { try send() }

  /// Writes what is queued, closes the file and returns the tally of every row.
  func finish() throws -> RejectsTally {
    try send()
    stop()
    if let failure { throw failure }
    try writer.close()
    return tally
  }

  /// Stops the writing thread once it has written what is queued; `finish` does, and a
  /// run that fails before must.
  func stop() {
    condition.lock()
    closed = true
    condition.broadcast()
    while running { condition.wait() }
    condition.unlock()
  }

  private func send() throws {
    guard !filling.isEmpty else { return }
    condition.lock()
    defer { condition.unlock() }
    while failure == nil && waiting.count >= Self.maximumChunks { condition.wait() }
    if let failure { throw failure }
    waiting.append(filling)
    filling = []
    filling.reserveCapacity(Self.chunkSize)
    condition.broadcast()
  }

  private func drain() {
    while true {
      condition.lock()
      while waiting.isEmpty && !closed { condition.wait() }
      guard !waiting.isEmpty, failure == nil else {
        running = false
        condition.broadcast()
        condition.unlock()
        return
      }
      let chunk = waiting.removeFirst()
      condition.broadcast()
      condition.unlock()
      do {
        for event in chunk { try write(event) }
      } catch {
        condition.lock()
        failure = error
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
      }
    }
  }

  private func write(_ event: RejectEvent) throws {
    tally.add(
      file: event.file, line: event.line, partner: event.partner, response: event.response,
      indicator: event.indicator, field: event.field, value: event.value, reason: event.reason.code,
      message: event.message, hintFrench: event.reason.hintFrench, hintEnglish: event.reason.hintEnglish)
    try writer.write(
      file: event.file, line: event.line, partner: event.partner, response: event.response,
      indicator: event.indicator, field: event.field, value: event.value, reason: event.reason,
      message: event.message)
  }
}
