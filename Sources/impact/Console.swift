import ArgumentParser
import Foundation
import ImpactPipeline
import ImpactReports
import ImpactStore
import ImpactSupport
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// How log lines look on standard error.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
  case human, json
}

/// swift-log's handler for `impact`: `LEVEL message key=value` lines for people, or one
/// JSON object per line (`time`, `level`, `label`, `message`, then the metadata) for a log
/// collector. Lines go to standard error, whole, under a lock.
struct ImpactLogHandler: LogHandler {
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level
  let format: LogFormat
  let label: String

  private static let lock = NSLock()
  /// The format the process logs in, once set up; fatal messages follow it.
  nonisolated(unsafe) static var format: LogFormat = .human

  /// Makes every logger of the process use this handler.
  static func bootstrap(format: LogFormat, level: Logger.Level) {
    self.format = format
    LoggingSystem.bootstrap { label in ImpactLogHandler(logLevel: level, format: format, label: label) }
  }

  /// One JSON log line, written whole: counts as numbers, the rest as strings, the
  /// message without the `impact: ` its label already says.
  static func writeJSON(level: String, label: String = "impact", message: String, fields: [(String, JSONValue)]) {
    let text = message.hasPrefix("impact: ") ? String(message.dropFirst("impact: ".count)) : message
    let members: [(String, JSONValue)] =
      [
        ("time", .string(Store.timestamp(Date()))), ("level", .string(level)), ("label", .string(label)),
        ("message", .string(text)),
      ] + fields
    emit(
      "{"
        + members.map { name, value in
          let literal: String
          if case .number(let number) = value {
            literal = number
          } else if case .string(let string) = value {
            literal = JSONValue.quoted(string)
          } else {
            literal = JSONValue.quoted(value.serialized())
          }
          return JSONValue.quoted(name) + ":" + literal
        }.joined(separator: ",") + "}\n")
  }

  /// Writes a whole line to standard error, erasing the progress bar first.
  private static func emit(_ line: String) {
    lock.lock()
    ProgressBar.current?.clear()
    FileHandle.standardError.write(Data(line.utf8))
    lock.unlock()
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var merged = self.metadata
    if let extra = event.metadata { merged.merge(extra) { $1 } }
    let fields = merged.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
    if format == .json {
      // A value given as an integer (`.stringConvertible(count)`) is written as a number.
      let values = merged.sorted { $0.key < $1.key }.map { key, value -> (String, JSONValue) in
        if case .stringConvertible(let convertible) = value, let number = convertible as? any BinaryInteger {
          return (key, .number("\(number)"))
        }
        return (key, .string("\(value)"))
      }
      Self.writeJSON(level: event.level.rawValue, label: label, message: event.message.description, fields: values)
      return
    }
    Self.emit(
      "impact: \(event.level == .info ? "" : "\(event.level): ")\(event.message)"
        + fields.map { " \($0.0)=\($0.1)" }.joined() + "\n")
  }
}

/// A one-line progress bar on standard error while a run reads and merges its inputs:
/// files, observations, throughput and the time left, redrawn five times a second from
/// the bytes the readers parsed (so it moves within a large file). Only used when
/// standard error is a terminal.
final class ProgressBar: @unchecked Sendable {
  static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
  /// The bar on screen, which log lines clear before they print.
  nonisolated(unsafe) static var current: ProgressBar?

  private let lock = NSLock()
  private let started = Date()
  private var lastDraw = Date.distantPast
  private var progress: IngestionProgress?
  private var phaseName = "reading"
  private var shown = false
  private let meterStart = ReadMeter.total
  private var timer: DispatchSourceTimer?

  init() {
    Self.current = self
    let timer = DispatchSource.makeTimerSource(queue: .global())
    timer.schedule(deadline: .now() + 0.2, repeating: 0.2)
    timer.setEventHandler { [weak self] in self?.tick() }
    timer.resume()
    self.timer = timer
  }

  /// Stops redrawing and erases the bar.
  func stop() {
    timer?.cancel()
    timer = nil
    clear()
  }

  private func tick() {
    lock.lock()
    defer { lock.unlock() }
    draw(force: false)
  }

  func update(_ progress: IngestionProgress) {
    lock.lock()
    defer { lock.unlock() }
    self.progress = progress
    draw(force: progress.files == progress.filesTotal)
  }

  func phase(_ name: String) {
    lock.lock()
    defer { lock.unlock() }
    phaseName = name.hasPrefix("read") ? "aggregating" : "writing reports"
    draw(force: true)
  }

  /// Erases the bar (before other output, and at the end).
  func clear() {
    lock.lock()
    defer { lock.unlock() }
    if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    shown = false
  }

  private func draw(force: Bool) {
    let now = Date()
    guard force || now.timeIntervalSince(lastDraw) >= 0.1, let progress else { return }
    lastDraw = now
    let elapsed = max(0.001, now.timeIntervalSince(started))
    // Bytes parsed so far, or merged (stored batches are merged without being read).
    let bytes = min(progress.bytesTotal, max(progress.bytes, ReadMeter.total - meterStart))
    let fraction = progress.bytesTotal > 0 ? Double(bytes) / Double(progress.bytesTotal) : 1
    let width = 24
    let filled = Int((fraction * Double(width)).rounded(.down))
    let bar = String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled)
    let rate = Double(bytes) / 1_048_576 / elapsed
    var line =
      "[\(bar)] \(progress.files)/\(progress.filesTotal) files · \(Self.count(progress.observations)) obs · "
      + String(format: "%.0f MB/s", rate)
    if progress.files < progress.filesTotal, fraction > 0, fraction < 1 {
      line += String(format: " · ETA %.0fs", elapsed * (1 - fraction) / fraction)
    } else {
      line += " · \(phaseName)"
    }
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    shown = true
  }

  static func count(_ value: Int) -> String {
    value >= 1_000_000
      ? String(format: "%.1fM", Double(value) / 1e6) : value >= 10_000 ? "\(value / 1000)k" : "\(value)"
  }
}

/// SIGINT and SIGTERM ask the run to stop at its next check: it rolls the store back,
/// removes its unfinished folder and exits with 128 + the signal. A second signal ends
/// the process at once (still safe: the store and the published runs survive a kill).
enum SignalHandling {
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

  static func install(logger: Logger) {
    guard sources.isEmpty else { return }
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if RunCancellation.signal != nil { _exit(128 + number) }
        RunCancellation.request(signal: number)
        logger.warning("stopping: \(number == SIGINT ? "SIGINT" : "SIGTERM") received; nothing will be published")
      }
      source.resume()
      sources.append(source)
    }
  }
}
