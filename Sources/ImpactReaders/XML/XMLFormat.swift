import CLibXML2
import Foundation
import ImpactModel
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Canonical XML submissions, read with libxml2's streaming `xmlTextReader`.
///
/// ```xml
/// <submissions>
///   <submission partner="emmaus-connect">
///     <response id="bc-0001" period="2022-Q3" territory="75056">
///       <value indicator="digital_inclusion.people_trained" unit="person">12</value>
/// ```
/// or a single `<submission>` as the root. Files are untrusted: no network, no DTD, no
/// entity substitution, no XInclude, libxml2's default size limits, a bounded depth; a
/// DOCTYPE or an entity reference makes the file malformed before anything is expanded.
public struct XMLFormat: InputFormat {
  /// Deeper nesting than this is refused (the canonical format needs four levels).
  public static let maxDepth = 32

  /// A `<value>` holding more text than this makes the file malformed (a number needs a
  /// few bytes; libxml2's own limit, 10 MB, would let one value take that much memory).
  public static let maxValueBytes = 64 << 10

  public init() {}

  public var id: String { "xml" }
  public var fileExtensions: [String] { ["xml"] }

  public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
    var bytes = prefix[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    return bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "<")
  }

  public func read(path: String, into sink: ObservationSink) -> ReadOutcome {
    if sink.parallelParts > 1, let outcome = readInParts(path: path, threads: sink.parallelParts, sink: sink) {
      return outcome
    }
    return parseSubmissions(path: path, part: nil, sink: sink).outcome
  }

  /// Reads canonical submissions from the file, or from `part` of it (whose outcome has
  /// no digest), with the parser and the input that fed it.
  func parseSubmissions(path: String, part: XMLInput.Part?, sink: ObservationSink) -> (
    outcome: ReadOutcome, parser: XMLSubmissionParser, input: XMLInput?
  ) {
    var outcome = ReadOutcome()
    let parser = XMLSubmissionParser(sink: sink)
    let input: XMLInput
    do {
      input = try XMLInput(file: FileBlocks(path: path), part: part)
    } catch {
      outcome.problem = error
      return (outcome, parser, nil)
    }
    outcome.problem = parser.parse(input, path: path)
    outcome.warnings = parser.warnings
    outcome.detected["records"] = String(parser.valueCount)
    if part == nil {
      outcome.sha256 = input.finishDigest()
      outcome.byteCount = input.byteCount
    }
    return (outcome, parser, input)
  }

  public func read(path: String, options: SourceOptions, fields: [RequestedField], into sink: RecordSink)
    -> ReadOutcome
  {
    read(path: path) { reader, outcome in
      var walker = XMLRecordWalker(
        stream: XMLNodeStream(reader: reader), recordPath: options.recordPath, fields: fields, sink: sink)
      let problem = walker.run()
      outcome.unmapped = walker.unmappedPaths
      outcome.missingFields = walker.missingFields
      outcome.detected["records"] = String(walker.recordCount)
      return problem ?? walker.driftProblem
    }
  }

  /// Opens a libxml2 reader over the file with the safe options, runs `walk`, and folds
  /// libxml2's own error messages into the outcome.
  func read(path: String, walk: (xmlTextReaderPtr, inout ReadOutcome) -> FileProblem?) -> ReadOutcome {
    LibXML.prepare()
    var outcome = ReadOutcome()
    let input: XMLInput
    do {
      input = try XMLInput(file: FileBlocks(path: path))
    } catch {
      outcome.problem = error
      return outcome
    }
    let inputPointer = Unmanaged.passRetained(input).toOpaque()
    let options = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
        | XML_PARSE_COMPACT.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue)
    guard
      let reader = xmlReaderForIO(
        { context, buffer, length in
          Unmanaged<XMLInput>.fromOpaque(context!).takeUnretainedValue().read(into: buffer, count: length)
        },
        { context in
          Unmanaged<XMLInput>.fromOpaque(context!).release()
          return 0
        }, inputPointer, path, nil, options)
    else {
      Unmanaged<XMLInput>.fromOpaque(inputPointer).release()
      outcome.problem = FileProblem(message: "libxml2 could not start reading the file")
      return outcome
    }
    defer { xmlFreeTextReader(reader) }
    let errors = XMLErrors()
    xmlTextReaderSetStructuredErrorHandler(
      reader,
      { context, error in
        guard let context, let error else { return }
        Unmanaged<XMLErrors>.fromOpaque(context).takeUnretainedValue().record(error)
      }, Unmanaged.passUnretained(errors).toOpaque())
    let problem = withExtendedLifetime(errors) { walk(reader, &outcome) }
    if let problem {
      // libxml2's own message, where it has one, says more than the reader's -1; a refusal
      // of ours (a DOCTYPE, an entity) says what matters, at its own line.
      if problem.message == XMLNodeStream.malformed, let first = errors.first {
        outcome.problem = FileProblem(message: first.message, line: first.line, path: problem.path)
      } else if problem.message == XMLNodeStream.doctype, let line = input.line(of: Array("<!DOCTYPE".utf8)) {
        outcome.problem = FileProblem(message: problem.message, line: line, path: problem.path)
      } else {
        outcome.problem = problem
      }
    } else if let first = errors.first, first.fatal {
      outcome.problem = FileProblem(message: first.message, line: first.line)
    }
    outcome.sha256 = input.finishDigest()
    outcome.byteCount = input.byteCount
    return outcome
  }
}

/// One-time libxml2 set-up: initialisation and an external entity loader that loads
/// nothing, a second lock behind the parser options.
enum LibXML {
  private static let once: Void = {
    xmlInitParser()
    xmlSetExternalEntityLoader { _, _, _ in nil }
  }()

  static func prepare() { _ = once }
}

/// The file behind libxml2's read callback; hashes what it hands over.
///
/// For a part of a file, it hands over a head (the document's start, up to its root
/// element's start tag), the part's bytes and a tail (the root's end tag), and counts
/// the line feeds of the part's bytes instead of hashing.
final class XMLInput {
  struct Part {
    var head: [UInt8]
    var range: Range<Int>
    var tail: [UInt8]
  }

  let file: FileBlocks
  private let part: Part?
  private let hash = SHA256()
  private(set) var byteCount = 0
  private var digest: String?
  /// For a part: how far into head, range and tail the parser has read.
  private var served = 0
  private(set) var lineFeeds = 0

  init(file: FileBlocks, part: Part? = nil) {
    self.file = file
    self.part = part
    if let part { file.seek(to: part.range.lowerBound) }
  }

  /// Whether a part's bytes were all handed over.
  var finishedPart: Bool {
    guard let part else { return true }
    return served == part.head.count + part.range.count + part.tail.count
  }

  func read(into buffer: UnsafeMutablePointer<CChar>?, count: Int32) -> Int32 {
    guard let buffer, count > 0 else { return 0 }
    // A stop asked for ends the read as an error; the run then stops before merging.
    if RunCancellation.signal != nil { return -1 }
    if let part { return readPart(part, into: buffer, count: Int(count)) }
    do {
      let got = try file.read(into: buffer, count: Int(count))
      hash.update(UnsafeRawBufferPointer(start: buffer, count: got))
      ReadMeter.add(got)
      byteCount += got
      return Int32(got)
    } catch {
      return -1
    }
  }

  private func readPart(_ part: Part, into buffer: UnsafeMutablePointer<CChar>, count: Int) -> Int32 {
    func copy(_ bytes: [UInt8], from offset: Int) -> Int32 {
      let length = min(count, bytes.count - offset)
      bytes.withUnsafeBytes {
        UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress! + offset, byteCount: length)
      }
      served += length
      return Int32(length)
    }
    if served < part.head.count { return copy(part.head, from: served) }
    let inRange = served - part.head.count
    if inRange < part.range.count {
      do {
        let got = try file.read(into: buffer, count: min(count, part.range.count - inRange))
        if got == 0 { return -1 }  // the file shrank under us
        var cursor = UnsafeMutableRawPointer(buffer)
        let end = cursor + got
        while let found = memchr(cursor, 0x0A, end - cursor) {
          lineFeeds += 1
          cursor = found + 1
        }
        ReadMeter.add(got)
        served += got
        return Int32(got)
      } catch {
        return -1
      }
    }
    let inTail = inRange - part.range.count
    return inTail < part.tail.count ? copy(part.tail, from: inTail) : 0
  }

  /// The line of the first `marker` in the file's first megabyte, from a read of its own:
  /// asked only of a file found malformed.
  func line(of marker: [UInt8]) -> Int? {
    let size = 1 << 20
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    guard let got = try? file.read(into: block, count: size, at: 0) else { return nil }
    let bytes = UnsafeRawBufferPointer(start: block, count: got)
    guard let found = bytes.firstRange(of: marker) else { return nil }
    return 1 + bytes[..<found.lowerBound].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
  }

  /// The number of the file's last line (one more than its line feeds), from a pass of
  /// its own: asked only of a file found malformed.
  func lastLine() -> Int {
    let size = 1 << 20
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    var line = 1
    var offset = 0
    while let got = try? file.read(into: block, count: size, at: offset), got > 0 {
      var cursor = block
      let end = block + got
      while let found = memchr(cursor, 0x0A, end - cursor) {
        line += 1
        cursor = found + 1
      }
      offset += got
    }
    return line
  }

  /// The digest of the whole file, reading what libxml2 left unread (after an error).
  func finishDigest() -> String {
    if let digest { return digest }
    let size = 1 << 20
    let block = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { block.deallocate() }
    while read(into: block, count: Int32(size)) > 0 {}
    digest = hash.hexDigest()
    return digest!
  }
}

/// The errors libxml2 reported while reading, first one first.
final class XMLErrors {
  struct Entry {
    let message: String
    let line: Int
    let fatal: Bool
    /// libxml2's error code (`xmlParserErrors`).
    let code: Int32
  }

  private(set) var entries: [Entry] = []
  var first: Entry? { entries.first }

  func record(_ error: UnsafePointer<xmlError>) {
    guard entries.count < 20 else { return }
    let raw = error.pointee.message.map { String(cString: $0) } ?? "XML error"
    let message = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    let fatal = error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
    entries.append(
      Entry(message: "malformed XML: \(message)", line: Int(error.pointee.line), fatal: fatal, code: error.pointee.code)
    )
  }
}
