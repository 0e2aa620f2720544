import Foundation
import ImpactModel

/// Reading one large CSV file on several cores.
///
/// The file is cut after a line end at even intervals, into a few more parts than there
/// are threads; the threads read the parts in order, each into its own sink, and every
/// part but the last stops at the first record that starts at or after the next cut. A
/// cut is right when the part before it stopped exactly there; a cut inside a quoted
/// field with a line break is not, and the file is then read on from where the part
/// before stopped, in one piece, up to the next cut found at a record's start. The
/// parts are absorbed in file order, their lines renumbered, as soon as each and those
/// before it are read and checked, so that the sink can pass the first ones on while the
/// rest are read. A part that does not read cleanly (the file ends inside quotes) makes
/// the file be read again in one piece, for the problem's place; a sink that passed parts
/// on is told to forget them first (`discardAbsorbed`). Either way the sink gets what one
/// sequential read gives.
extension CSVFormat {
  /// Files smaller than this are read in one piece; parts are about half this size, at
  /// most four per thread.
  nonisolated(unsafe) public static var minimumPartBytes = 16 << 20

  /// How many files were read in parts, how many were read again in one piece, how many
  /// of those after some of their parts were passed on, and how many missed cuts were read
  /// past from the part before (for tests and benchmarks).
  public static var partStatistics: (split: Int, readAgain: Int, discarded: Int, repaired: Int) {
    partCounts.snapshot
  }
  static let partCounts = PartCounts()

  /// Reads a large file in parts while another thread takes its digest and checks its
  /// encoding, instead of before: the parts assume UTF-8 when the first 64 KiB are, and
  /// reach `sink` as they are read (to be merged while the rest are), which is told to
  /// forget them unless the whole file is found to be UTF-8. Otherwise (a Windows-1252
  /// byte further on, a NUL byte, a file that changed size), the file is read as
  /// `read(path:into:)` reads it, with that scan. Nil, having read nothing, when the file
  /// is too small or its start is not plain UTF-8 text.
  func readInPartsWhileScanning(path: String, sink: ObservationSink) -> ReadOutcome? {
    guard let file = try? FileBlocks(path: path) else { return nil }
    var info = stat()
    guard fstat(file.descriptor, &info) == 0, Int(info.st_size) >= Self.minimumPartBytes else { return nil }
    let size = Int(info.st_size)
    let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { block.deallocate() }
    guard let got = try? file.read(into: block, count: 1 << 16, at: 0) else { return nil }
    let head = [UInt8](UnsafeRawBufferPointer(start: block, count: got))
    var validator = UTF8Validator()
    head.withUnsafeBytes { validator.feed($0) }
    guard validator.isValid, !head.contains(0), !head.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }) else {
      return nil
    }
    let scanning = BackgroundValue { _ -> Result<Prescan, FileProblem> in
      Result { () throws(FileProblem) in try prescan(try FileBlocks(path: path)) }
    }
    let delimiter = detectDelimiter(head)
    let bom = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var outcome = ReadOutcome()
    var cutsHeld = true
    let read = Result { () throws(FileProblem) in
      try readInParts(
        path: path, file: file, size: size, parts: sink.parallelParts,
        tokenizer: CSVTokenizer(delimiter: delimiter, skipPrefix: bom), windows1252: false, delimiter: delimiter,
        sink: sink, outcome: &outcome,
        confirm: {
          guard case .success(let scan) = scanning.value else { return false }
          return scan.isUTF8 && scan.undecodable == nil && scan.byteCount == size && scan.head.starts(with: head)
        }, cutsHeld: &cutsHeld)
    }
    let scan = scanning.value
    guard case .success(true) = read, case .success(let found) = scan else {
      // Read again as one sequential read would, in parts again only when the cuts held.
      return self.read(
        path: path, options: SourceOptions(), scanned: scan,
        parse: canonicalParse(path: path, sink: sink, parts: cutsHeld))
    }
    outcome.sha256 = found.sha256
    outcome.byteCount = found.byteCount
    outcome.detected["encoding"] = found.encodingName
    outcome.detected["delimiter"] = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
    return outcome
  }

  /// Reads `file` in `parts` parts into `sink`; returns false (having read nothing) when
  /// the file cannot be cut.
  func readInParts(
    path: String, file: FileBlocks, size: Int, parts: Int, tokenizer: CSVTokenizer, windows1252: Bool,
    delimiter: UInt8, sink: ObservationSink, outcome: inout ReadOutcome
  ) throws(FileProblem) -> Bool {
    var cutsHeld = true
    return try readInParts(
      path: path, file: file, size: size, parts: parts, tokenizer: tokenizer, windows1252: windows1252,
      delimiter: delimiter, sink: sink, outcome: &outcome, confirm: nil, cutsHeld: &cutsHeld)
  }

  /// The same; `cutsHeld` tells whether every part read cleanly, and `confirm`, asked
  /// once every part is read and absorbed, may still refuse them (the sink is then told
  /// to forget them).
  private func readInParts(
    path: String, file: FileBlocks, size: Int, parts: Int, tokenizer: CSVTokenizer, windows1252: Bool,
    delimiter: UInt8, sink: ObservationSink, outcome: inout ReadOutcome, confirm: (() -> Bool)?,
    cutsHeld: inout Bool
  ) throws(FileProblem) -> Bool {
    let read = try readParts(
      path: path, file: file, size: size, threads: parts, tokenizer: tokenizer, discarding: DiscardingSink(),
      into: sink, makePart: sink.makePart(of:), confirm: confirm, cutsHeld: &cutsHeld
    ) { CSVRowMapper(path: path, sink: $0, windows1252: windows1252, delimiter: delimiter) }
    guard let read else { return false }
    outcome.warnings += read[0].warnings
    if let problem = read[0].headerProblem { outcome.problem = outcome.problem ?? problem }
    let blankRows = read.reduce(0) { $0 + $1.blankRows }
    if blankRows > 0 { outcome.detected["blank_rows"] = String(blankRows) }
    outcome.detected["rows"] = String(read.reduce(0) { $0 + $1.dataRows })
    return true
  }

  /// Reads a mapped source's file in parts into `sink`; returns false (having read
  /// nothing into it) when the file cannot be cut.
  func readInParts(
    path: String, file: FileBlocks, size: Int, tokenizer: CSVTokenizer, options: SourceOptions,
    fields: [RequestedField], windows1252: Bool, delimiter: UInt8, sink: RecordSink, outcome: inout ReadOutcome
  ) throws(FileProblem) -> Bool {
    var cutsHeld = true
    let read = try readParts(
      path: path, file: file, size: size, threads: sink.parallelParts, tokenizer: tokenizer,
      discarding: DiscardingRecordSink(), into: sink, makePart: sink.makePart(of:), confirm: nil,
      cutsHeld: &cutsHeld
    ) {
      CSVRecordMapper(
        sink: $0, fields: fields, windows1252: windows1252, delimiter: delimiter, headerRow: options.headerRow,
        skipRows: options.skipRows)
    }
    guard let read else { return false }
    let header = read[0]
    if let problem = header.driftProblem { outcome.problem = outcome.problem ?? problem }
    outcome.unmapped = header.unmappedColumns
    outcome.columns = header.columnNames
    outcome.missingFields = header.missingFields
    outcome.detected["rows"] = String(read.reduce(0) { $0 + $1.dataRows })
    return true
  }

  /// Reads the file in parts, each into a sink of its own absorbed into `sink` in file
  /// order as soon as it is read and checked, and returns each part's mapper; nil when
  /// the file cannot be cut, its header has a problem (one sequential read reports it),
  /// `confirm` refused the parts, or a part did not read cleanly (`cutsHeld` then says
  /// false). When nil comes after some parts were absorbed, `sink` was told to forget them.
  ///
  /// `makeMapper` makes a mapper that reads the file from its start (the header, the
  /// lines around it); the first part is read with one, the others with a continuation
  /// of one that read the header alone.
  private func readParts<Mapper: CSVPartMapper>(
    path: String, file: FileBlocks, size: Int, threads: Int, tokenizer: CSVTokenizer, discarding: Mapper.Sink,
    into sink: any PartSink, makePart: (Int) -> Mapper.Sink, confirm: (() -> Bool)?, cutsHeld: inout Bool,
    makeMapper: (Mapper.Sink) -> Mapper
  ) throws(FileProblem) -> [Mapper]? {
    cutsHeld = false
    // The header first, from a throwaway read of the file's start.
    var header = makeMapper(discarding)
    file.rewind()
    let headerStop = try tokenizer.tokenize(
      file, from: 0, stopAt: nil, stopWhen: { _ in header.isPastHeader }, { header.handle($0) })
    guard header.isPastHeader, header.headerProblem == nil else { return nil }
    let headerRow = header
    let count = partCount(size: size, threads: threads, minimumPartBytes: Self.minimumPartBytes)
    // The field count most rows have, from the first rows.
    let shapes = try rowShapes(at: headerStop.offset, in: file, delimiter: tokenizer.delimiter) ?? []
    let fieldCount = Dictionary(shapes.map { ($0, 1) }, uniquingKeysWith: +).max { $0.value < $1.value }?.key
    var cuts: [Int] = []
    for index in 1..<count {
      guard
        let cut = try recordStart(
          after: size * index / count, in: file, size: size, delimiter: tokenizer.delimiter, fieldCount: fieldCount),
        cut > max(cuts.last ?? 0, headerStop.offset)
      else { continue }
      cuts.append(cut)
    }
    guard !cuts.isEmpty else { return nil }
    let starts = [0] + cuts
    let mappers = starts.indices.map { index in
      let part = makePart(starts.count)
      return index == 0 ? makeMapper(part) : headerRow.continuing(into: part)
    }
    var read: [Mapper] = []
    var lineOffset = 0
    var failed = false
    var complete = false
    // After a cut that fell inside a record, the parts up to the next cut found at a record
    // start are read again in one piece, from where the part before stopped.
    var resumeAt = 0
    let partTokenizer = CSVTokenizer(delimiter: tokenizer.delimiter, skipPrefix: 0)
    func absorb(_ mapper: Mapper, lines: Int) {
      mapper.partSink.shiftLines(by: lineOffset)
      sink.absorb(mapper.partSink)
      lineOffset += lines
      read.append(mapper)
    }
    runPartsInOrder(count: starts.count, threads: threads) { index in
      Result { () throws(FileProblem) -> (CSVTokenizer.Stop, Mapper) in
        let partFile = try FileBlocks(path: path)
        partFile.seek(to: starts[index])
        var mapper = mappers[index]
        // Only the first part starts at the file's start, after a byte order mark.
        let limit = index + 1 < starts.count ? starts[index + 1] : nil
        let stop = try (index == 0 ? tokenizer : partTokenizer).tokenize(partFile, from: starts[index], stopAt: limit) {
          mapper.handle($0)
        }
        return (stop, mapper)
      }
    } deliver: { index, result in
      guard index >= resumeAt else { return true }  // read again already
      // A part that started at a record must read cleanly (else the file has a problem
      // whose place one sequential read tells best).
      guard case .success(let (stop, mapper)) = result else {
        failed = true
        return false
      }
      absorb(mapper, lines: stop.lines)
      guard index + 1 < starts.count else {
        complete = confirm?() ?? true
        return complete
      }
      if stop.offset == starts[index + 1] { return true }
      // The next cut fell inside a record (a quoted line break): read on from this part's
      // stop up to a later cut that is a record's start, or to the end.
      let later = Set(starts[(index + 2)...])
      var repair = headerRow.continuing(into: makePart(starts.count))
      do throws(FileProblem) {
        let repairFile = try FileBlocks(path: path)
        repairFile.seek(to: stop.offset)
        let repaired = try partTokenizer.tokenize(
          repairFile, from: stop.offset, stopAt: nil, stopWhen: { later.contains($0) }, { repair.handle($0) })
        absorb(repair, lines: repaired.lines)
        Self.partCounts.noteRepaired()
        resumeAt = starts.firstIndex(of: repaired.offset) ?? starts.count
        guard resumeAt == starts.count else { return true }
        complete = confirm?() ?? true
        return false
      } catch {
        failed = true
        return false
      }
    }
    guard complete else {
      if !read.isEmpty {
        sink.discardAbsorbed()
        Self.partCounts.noteDiscarded()
      }
      if failed { Self.partCounts.noteReadAgain() }
      cutsHeld = !failed
      return nil
    }
    Self.partCounts.noteSplit()
    cutsHeld = true
    return read
  }

  /// The offset just after a line feed at or after `offset` from where the next rows read
  /// as records of `fieldCount` fields with balanced quotes: a line feed inside a quoted
  /// field (a comment on several lines) mostly fails that, and a cut there would make part
  /// of the file be read again. The first line start when none of the next 64 passes; the
  /// cut is checked anyway.
  private func recordStart(after offset: Int, in file: FileBlocks, size: Int, delimiter: UInt8, fieldCount: Int?)
    throws(FileProblem) -> Int?
  {
    let first = try lineStart(after: offset, in: file, size: size)
    guard let fieldCount else { return first }
    var candidate = first
    for _ in 0..<64 {
      guard let start = candidate else { break }
      if let shapes = try rowShapes(at: start, in: file, delimiter: delimiter), !shapes.isEmpty,
        shapes.allSatisfy({ $0 == fieldCount })
      {
        return start
      }
      candidate = try lineStart(after: start, in: file, size: size)
    }
    return first
  }

  /// The field counts of the rows (up to 16, blank lines left out) that start at `offset`
  /// and end within the next 64 KiB, read as if a record started there; nil when a quote
  /// sits inside an unquoted field or text follows a closing quote, which a record start
  /// would not give.
  private func rowShapes(at offset: Int, in file: FileBlocks, delimiter: UInt8) throws(FileProblem) -> [Int]? {
    let size = 1 << 16
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    let got = try file.read(into: block, count: size, at: offset)
    let bytes = UnsafeRawBufferPointer(start: block, count: got)
    let quote = UInt8(ascii: "\"")
    var shapes: [Int] = []
    var fields = 1
    var inQuotes = false
    var fieldStart = true
    var afterQuote = false
    var empty = true
    var index = 0
    while index < got && shapes.count < 16 {
      let byte = bytes[index]
      index += 1
      if inQuotes {
        if byte == quote {
          if index < got && bytes[index] == quote {
            index += 1
          } else {
            inQuotes = false
            afterQuote = true
          }
        }
        continue
      }
      switch byte {
      case quote:
        guard fieldStart else { return nil }
        inQuotes = true
        fieldStart = false
        empty = false
      case delimiter:
        fields += 1
        fieldStart = true
        afterQuote = false
        empty = false
      case 0x0A, 0x0D:
        if byte == 0x0D && index < got && bytes[index] == 0x0A { index += 1 }
        if !empty { shapes.append(fields) }
        (fields, fieldStart, afterQuote, empty) = (1, true, false, true)
      default:
        guard !afterQuote else { return nil }
        fieldStart = false
        empty = false
      }
    }
    return shapes
  }

  /// The offset just after the first line feed at or after `offset`; nil when there is none.
  private func lineStart(after offset: Int, in file: FileBlocks, size: Int) throws(FileProblem) -> Int? {
    let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { block.deallocate() }
    var position = offset
    while position < size {
      let got = try file.read(into: block, count: 1 << 16, at: position)
      if got == 0 { return nil }
      if let found = memchr(block, 0x0A, got) {
        let cut = position + (UnsafeRawPointer(found) - UnsafeRawPointer(block)) + 1
        return cut < size ? cut : nil
      }
      position += got
    }
    return nil
  }
}

/// A row handler that can go on reading a later part of a file once it has read the
/// header (and whatever must follow it before the data).
protocol CSVPartMapper {
  associatedtype Sink
  mutating func handle(_ record: CSVRecord)
  /// Whether the rest of the file can be cut.
  var isPastHeader: Bool { get }
  /// What is wrong with the header, if anything: the file is then read in one piece.
  var headerProblem: FileProblem? { get }
  /// The sink this mapper reads into.
  var partSink: any PartSink { get }
  /// A mapper that reads the rows of a later part of the file into `sink`, with this
  /// one's header and no counts or warnings of its own.
  func continuing(into sink: Sink) -> Self
}

extension CSVRowMapper: CSVPartMapper {
  var isPastHeader: Bool { hasHeader }
  var partSink: any PartSink { sink }
}

/// A sink that keeps nothing but the field labels, for reading a header alone.
final class DiscardingSink: ObservationSink {
  func setFieldLabels(_ labels: [RawField: String]) {}
  func observation(_ raw: RawObservation) {}
  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {}
}

/// A record sink that keeps nothing, for reading a header alone or probing files.
public final class DiscardingRecordSink: RecordSink {
  public init() {}
  public func record(_ record: RecordValues) {}
  public func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {}
}
