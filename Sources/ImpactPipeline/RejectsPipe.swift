import Foundation
import ImpactModel
import ImpactReports

/// Writes `rejects.csv` and tallies its rows on a thread of its own, in the order the
/// rows come, so that the merge, which finds the superseded observations, does not wait
/// for their formatting.
///
/// Rows travel in chunks of bytes (each row's cells as UTF-8, length first): strings
/// handed from one thread to the other had their reference counts, shared by every row of a
/// file or an indicator, go back and forth between the cores. At most `maximumChunks` wait,
/// which bounds memory. A write that fails stops the rows: the next `add` or `finish`
/// throws its error.
final class RejectsPipe: @unchecked Sendable {
  static let chunkSize = 4096
  static let maximumChunks = 8
  /// The reasons by index, as rows carry them.
  private static let reasons = RejectReason.allCases

  private let writer: RejectsCSVWriter
  private var tally = RejectsTally()
  private let condition = NSCondition()
  /// Chunks waiting for the writing thread.
  private var waiting: [[UInt8]] = []
  /// The chunk being filled, by the thread that adds, and its rows.
  private var filling: [UInt8] = []
  private var fillingRows = 0
  private var closed = false
  private var running = true
  private var failure: Error?

  init(writer: RejectsCSVWriter) {
    self.writer = writer
    filling.reserveCapacity(Self.chunkSize * 256)
    Thread.detachNewThread { [self] in drain() }
  }

  /// Queues one row.
  func add(_ event: RejectEvent) throws {
    Self.encode(event, into: &filling)
    fillingRows += 1
    if fillingRows == Self.chunkSize { try send() }
  }

  /// Queues the row of a superseded record, its value and message written as bytes (no
  /// string made for them). `indicatorIDs` are the catalog's, read once.
  func add(_ superseded: SupersededRecord, indicatorIDs: [String]) throws {
    let record = superseded.record
    Self.putHead(line: Int(record.line), reason: .superseded, into: &filling)
    Self.put(superseded.file, into: &filling)
    Self.put(superseded.partner, into: &filling)
    Self.put(superseded.response, into: &filling)
    Self.put(indicatorIDs[Int(record.indicator)], into: &filling)
    Self.put("", into: &filling)
    Self.putCell(into: &filling) { record.value.appendText(to: &$0) }
    Self.putCell(into: &filling) { superseded.appendMessage(to: &$0) }
    fillingRows += 1
    if fillingRows == Self.chunkSize { try send() }
  }

  /// Hands the rows queued so far to the writing thread, without waiting for it.
  func flush() throws { try send() }

  /// Writes what is queued and returns the tally of every row; the file stays open for
  /// `close()`, which waits for the disk (behind `records.csv`'s writes at the end of a
  /// run), so that the reports that need the tally need not.
  func finish() throws -> RejectsTally {
    try send()
    stop()
    if let failure { throw failure }
    return tally
  }

  /// Closes the file, flushed and forced to disk, once `finish()` has returned.
  func close() throws {
    try writer.close()
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
    guard fillingRows > 0 else { return }
    condition.lock()
    defer { condition.unlock() }
    while failure == nil && waiting.count >= Self.maximumChunks { condition.wait() }
    if let failure { throw failure }
    waiting.append(filling)
    filling = []
    filling.reserveCapacity(Self.chunkSize * 256)
    fillingRows = 0
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
        try chunk.withUnsafeBytes { bytes in
          var offset = 0
          while offset < bytes.count {
            let cells = Self.decode(bytes, at: &offset)
            tally.add(cells)
            try writer.write(cells)
          }
        }
      } catch {
        condition.lock()
        failure = error
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
      }
    }
  }

  /// Appends a row: its line (8 bytes), its reason's index (1 byte), then each text cell
  /// as a 4-byte length and its UTF-8 bytes.
  static func encode(_ event: RejectEvent, into chunk: inout [UInt8]) {
    putHead(line: event.line, reason: event.reason, into: &chunk)
    put(event.file, into: &chunk)
    put(event.partner, into: &chunk)
    put(event.response, into: &chunk)
    put(event.indicator, into: &chunk)
    put(event.field, into: &chunk)
    put(event.value, into: &chunk)
    put(event.message, into: &chunk)
  }

  /// Appends a row's line and reason.
  private static func putHead(line: Int, reason: RejectReason, into chunk: inout [UInt8]) {
    withUnsafeBytes(of: Int64(line).littleEndian) { chunk.append(contentsOf: $0) }
    chunk.append(UInt8(reasons.firstIndex(of: reason)!))
  }

  /// Appends a text cell.
  private static func put(_ text: String, into chunk: inout [UInt8]) {
    var text = text
    text.withUTF8 { utf8 in
      withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { chunk.append(contentsOf: $0) }
      chunk.append(contentsOf: utf8)
    }
  }

  /// Appends a text cell whose bytes `write` appends, its length put before them after.
  private static func putCell(into chunk: inout [UInt8], _ write: (inout [UInt8]) -> Void) {
    let start = chunk.count
    chunk.append(contentsOf: [0, 0, 0, 0])
    write(&chunk)
    withUnsafeBytes(of: UInt32(chunk.count - start - 4).littleEndian) { length in
      for offset in 0..<4 { chunk[start + offset] = length[offset] }
    }
  }

  /// The row at `offset` in a chunk made by `encode`, read in place; `offset` moves past it.
  static func decode(_ chunk: UnsafeRawBufferPointer, at offset: inout Int) -> RejectCells {
    let line = Int(Int64(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
    let reason = reasons[Int(chunk[offset + 8])]
    offset += 9
    func text() -> UnsafeRawBufferPointer {
      let count = Int(UInt32(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
      let bytes = UnsafeRawBufferPointer(rebasing: chunk[(offset + 4)..<(offset + 4 + count)])
      offset += 4 + count
      return bytes
    }
    let file = text()
    let partner = text()
    let response = text()
    let indicator = text()
    let field = text()
    let value = text()
    let message = text()
    return RejectCells(
      file: file, line: line, partner: partner, response: response, indicator: indicator, field: field,
      value: value, reason: reason, message: message)
  }
}
