import ImpactModel
import ImpactSupport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Canonical CSV: a header naming the schema's columns, then one observation per row.
///
/// What spreadsheet exports vary in is detected, over the whole file: encoding (UTF-8 with
/// or without BOM, else Windows-1252), delimiter (`,`, `;` or TAB, from the header line),
/// line ends (LF or CRLF). Header names are matched trimmed and case-insensitively.
public struct CSVFormat: InputFormat {
  public init() {}

  public var id: String { "csv" }
  public var fileExtensions: [String] { ["csv", "tsv", "txt"] }

  public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool { false }

  public func read(path: String, into sink: ObservationSink) -> ReadOutcome {
    if sink.parallelParts > 1, let outcome = readInPartsWhileScanning(path: path, sink: sink) {
      return outcome
    }
    if sink.canDiscardAll, let outcome = readWhileScanning(path: path, sink: sink) { return outcome }
    return read(path: path, options: SourceOptions(), parse: canonicalParse(path: path, sink: sink))
  }

  /// How many files were read in one pass (see `readWhileScanning`), and how many were read
  /// again with a pass first (for tests and benchmarks).
  public static var onePassStatistics: (read: Int, readAgain: Int) {
    (onePassRead.load(ordering: .relaxed), onePassReadAgain.load(ordering: .relaxed))
  }
  static let onePassRead = Atomic<Int>(0)
  static let onePassReadAgain = Atomic<Int>(0)

  /// Reads a file whose first 64 KiB are UTF-8 in one pass, taking its digest and checking
  /// its encoding on the blocks the tokenizer reads, instead of a pass for those first.
  /// Returns nil, `sink` told to forget what it read, when the rest of the file is not
  /// UTF-8 (Windows-1252, a stray byte, a NUL byte: the parse stops at the block that shows
  /// it), changed while read, or cannot be tokenized: the caller reads it as before, with a
  /// pass first, so that what a file gives does not depend on the way it was read.
  func readWhileScanning(path: String, sink: ObservationSink) -> ReadOutcome? {
    guard let file = try? FileBlocks(path: path) else { return nil }
    let size = 1 << 16
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    guard let got = try? file.read(into: block, count: size, at: 0) else { return nil }
    let head = UnsafeRawBufferPointer(start: block, count: got)
    var headValidator = UTF8Validator()
    headValidator.feed(head)
    guard headValidator.isValid, memchr(block, 0, got) == nil,
      !head.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 })
    else { return nil }
    let bom = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    guard got > bom else { return nil }  // a file that is only a BOM: empty, as the pass says
    let delimiter = detectDelimiter(Array(head))
    let hash = SHA256()
    var validator = UTF8Validator()
    var total = 0
    var holdsNUL = false
    var sameHead = true
    /// Takes the digest and checks the encoding of the next bytes of the file.
    func scan(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress else { return }
      hash.update(bytes)
      validator.feed(bytes)
      if !holdsNUL && memchr(base, 0, bytes.count) != nil { holdsNUL = true }
      if total < head.count {
        let overlap = min(bytes.count, head.count - total)
        sameHead = sameHead && memcmp(base, head.baseAddress! + total, overlap) == 0
      }
      total += bytes.count
    }
    var rows = CSVRowMapper(path: path, sink: sink, windows1252: false, delimiter: delimiter)
    let tokenized = Result { () throws(FileProblem) in
      _ = try CSVTokenizer(delimiter: delimiter, skipPrefix: bom).tokenize(
        file, from: 0, stopAt: nil,
        onBlock: { bytes in
          scan(bytes)
          // Not UTF-8 after all: the rest of the file is not parsed for nothing.
          return validator.isValid && !holdsNUL && sameHead
        }
      ) { rows.handle($0) }
    }
    var tokenizerProblem: FileProblem?
    if case .failure(let problem) = tokenized, validator.isValid, !holdsNUL, sameHead {
      // The file itself is wrong (it ends inside quotes, a record is too long): what a pass
      // first then the parse give, once the rest of the file is found to be UTF-8 too.
      tokenizerProblem = problem
      while let got = try? file.read(into: block, count: size), got > 0 {
        scan(UnsafeRawBufferPointer(start: block, count: got))
      }
    }
    validator.finish()
    let parsed: Bool
    if case .success = tokenized { parsed = true } else { parsed = tokenizerProblem != nil }
    guard parsed, validator.isValid, !holdsNUL, sameHead, total >= head.count else {
      sink.discardAll()
      Self.onePassReadAgain.add(1, ordering: .relaxed)
      return nil
    }
    Self.onePassRead.add(1, ordering: .relaxed)
    var outcome = ReadOutcome()
    outcome.sha256 = hash.hexDigest()
    outcome.byteCount = total
    outcome.detected["encoding"] = bom > 0 ? "utf-8-bom" : "utf-8"
    outcome.detected["delimiter"] = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
    if let tokenizerProblem {
      // As the parse after a pass leaves it: the problem, none of the rows' findings.
      outcome.problem = tokenizerProblem
      return outcome
    }
    outcome.warnings = rows.warnings
    outcome.problem = rows.headerProblem
    if rows.blankRows > 0 { outcome.detected["blank_rows"] = String(rows.blankRows) }
    outcome.detected["rows"] = String(rows.dataRows)
    return outcome
  }

  /// How `read(path:into:)` parses once the file is scanned: in parts where the sink
  /// takes them (`parts: false` after a failed cut), else in one piece.
  func canonicalParse(path: String, sink: ObservationSink, parts: Bool = true) -> Parse {
    { (tokenizer, file, windows1252, delimiter, outcome) throws(FileProblem) in
      // A file already refused (a byte neither encoding has) is read in one piece.
      if parts, sink.parallelParts > 1, outcome.byteCount >= Self.minimumPartBytes, outcome.problem == nil,
        try readInParts(
          path: path, file: file, size: outcome.byteCount, parts: sink.parallelParts, tokenizer: tokenizer,
          windows1252: windows1252, delimiter: delimiter, sink: sink, outcome: &outcome)
      {
        return
      }
      file.rewind()
      var rows = CSVRowMapper(path: path, sink: sink, windows1252: windows1252, delimiter: delimiter)
      try tokenizer.tokenize(file) { rows.handle($0) }
      outcome.warnings += rows.warnings
      if let problem = rows.headerProblem { outcome.problem = outcome.problem ?? problem }
      if rows.blankRows > 0 { outcome.detected["blank_rows"] = String(rows.blankRows) }
      outcome.detected["rows"] = String(rows.dataRows)
    }
  }

  public func read(path: String, options: SourceOptions, fields: [RequestedField], into sink: RecordSink)
    -> ReadOutcome
  {
    read(path: path, options: options) { (tokenizer, file, windows1252, delimiter, outcome) throws(FileProblem) in
      if sink.parallelParts > 1, outcome.byteCount >= Self.minimumPartBytes, outcome.problem == nil,
        try readInParts(
          path: path, file: file, size: outcome.byteCount, tokenizer: tokenizer, options: options, fields: fields,
          windows1252: windows1252, delimiter: delimiter, sink: sink, outcome: &outcome)
      {
        return
      }
      file.rewind()
      var rows = CSVRecordMapper(
        sink: sink, fields: fields, windows1252: windows1252, delimiter: delimiter, headerRow: options.headerRow,
        skipRows: options.skipRows)
      try tokenizer.tokenize(file) { rows.handle($0) }
      if let problem = rows.driftProblem { outcome.problem = outcome.problem ?? problem }
      outcome.unmapped = rows.unmappedColumns
      outcome.columns = rows.columnNames
      outcome.missingFields = rows.missingFields
      outcome.warnings += rows.warnings
      outcome.detected["rows"] = String(rows.dataRows)
    }
  }

  /// Parses a scanned file: the tokenizer (past any BOM), the file, whether it is
  /// Windows-1252, the delimiter, and the outcome to complete.
  typealias Parse = (CSVTokenizer, FileBlocks, _ windows1252: Bool, _ delimiter: UInt8, inout ReadOutcome)
    throws(FileProblem) -> Void

  /// The steps both kinds of reading share: one pass for the digest and the encoding
  /// (unless `scanned` brings it), detection, then `parse` over a tokenizer on the
  /// rewound file.
  func read(
    path: String, options: SourceOptions, scanned: Result<Prescan, FileProblem>? = nil, parse: Parse
  ) -> ReadOutcome {
    var outcome = ReadOutcome()
    do {
      let file = try FileBlocks(path: path)
      let scan: Prescan
      if let scanned { scan = try scanned.get() } else { scan = try prescan(file) }
      outcome.sha256 = scan.sha256
      outcome.byteCount = scan.byteCount
      let delimiter = options.delimiter ?? detectDelimiter(scan.head, headerRow: options.headerRow)
      var windows1252 = !scan.isUTF8
      var undecodable = scan.undecodable
      switch options.encoding {
      case .auto: outcome.detected["encoding"] = scan.encodingName
      case .utf8:
        windows1252 = false
        outcome.detected["encoding"] = "utf-8 (set by the source)"
        if !scan.isUTF8 {
          outcome.problem = FileProblem(message: "the source says UTF-8 but the file is not: re-export it as UTF-8")
        }
      case .windows1252:
        windows1252 = true
        outcome.detected["encoding"] = "windows-1252 (set by the source)"
        // Read as UTF-8, the scan judged the file as UTF-8: as Windows-1252, only a byte
        // that code page leaves undefined is wrong.
        if scan.isUTF8 && !scan.holdsNUL { undecodable = try windows1252Problem(in: file) }
      }
      outcome.detected["delimiter"] = delimiter == 0x09 ? "tab" : String(UnicodeScalar(delimiter))
      if outcome.byteCount == scan.bom || scan.head.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }) {
        outcome.warnings.append("the file is empty")
        return outcome
      }
      file.rewind()
      // A file with undecodable bytes is still read through, so that each of its rows is
      // counted and rejected with the file rather than lost.
      outcome.problem = outcome.problem ?? undecodable
      try parse(CSVTokenizer(delimiter: delimiter, skipPrefix: scan.bom), file, windows1252, delimiter, &outcome)
    } catch {
      outcome.problem = error
    }
    return outcome
  }

  /// What one pass over the whole file found.
  struct Prescan {
    var sha256 = ""
    var byteCount = 0
    var head: [UInt8] = []
    var bom = 0
    var isUTF8 = true
    /// Set when a byte is neither UTF-8 nor Windows-1252.
    var undecodable: FileProblem?
    /// A NUL byte past the start made `undecodable`: whatever the encoding, a damaged file.
    var holdsNUL = false
    var encodingName: String { isUTF8 ? (bom > 0 ? "utf-8-bom" : "utf-8") : "windows-1252" }
  }

  /// A NUL byte this close to the start makes a binary file (a workbook, a zip), refused
  /// without reading rows; further on, a damaged text file, read through.
  static let binaryHead = 1024

  /// Reads the whole file once: its digest, size, encoding, and the first 64 KiB for the
  /// delimiter. Refuses binary files and bytes Windows-1252 leaves undefined.
  func prescan(_ file: FileBlocks) throws(FileProblem) -> Prescan {
    var result = Prescan()
    let hash = SHA256()
    var validator = UTF8Validator()
    var total = 0
    var firstNUL: Int?
    let size = CSVTokenizer.blockSize
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    while true {
      let got = try file.read(into: block, count: size)
      if got == 0 { break }
      let bytes = UnsafeRawBufferPointer(start: block, count: got)
      hash.update(bytes)
      if result.head.count < 65536 { result.head += bytes.prefix(65536 - result.head.count) }
      if firstNUL == nil, let nul = memchr(block, 0, got) {
        let offset = total + (UnsafeRawPointer(nul) - UnsafeRawPointer(block))
        if result.head.starts(with: [0xFF, 0xFE]) || result.head.starts(with: [0xFE, 0xFF]) {
          throw FileProblem(
            message: "this is a UTF-16 file (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" instead", line: 1)
        }
        if offset < Self.binaryHead {
          throw FileProblem(
            message: "a NUL byte at offset \(offset): this is not a text file (a spreadsheet? save it as CSV)")
        }
        firstNUL = offset
      }
      validator.feed(bytes)
      total += got
    }
    result.sha256 = hash.hexDigest()
    result.byteCount = total
    validator.finish()
    if result.head.starts(with: [0xEF, 0xBB, 0xBF]) { result.bom = 3 }
    result.isUTF8 = validator.looksLikeUTF8
    if let firstNUL {
      // Text with a NUL byte further on (a damaged export): read through like a file with
      // an undecodable byte, so that its rows are counted and rejected with the file.
      result.undecodable = FileProblem(
        message: "a NUL byte at offset \(firstNUL), which no text holds: the export is damaged; re-export the file",
        line: try lineNumber(ofOffset: firstNUL, in: file))
      result.holdsNUL = true
      return result
    }
    if !validator.isValid && result.isUTF8, let stray = validator.firstStray {
      // UTF-8 with stray bytes: read as UTF-8 to count the rows, refuse the file.
      let byte = String(validator.firstStrayByte, radix: 16, uppercase: true)
      result.undecodable = FileProblem(
        message:
          "the file is UTF-8 but holds a byte that is not (0x\(byte)): it mixes two encodings; re-export all of it as UTF-8",
        line: try lineNumber(ofOffset: stray, in: file))
      return result
    }
    if !result.isUTF8 { result.undecodable = try windows1252Problem(in: file) }
    return result
  }

  /// The first byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), as a
  /// problem with its line; nil when there is none. Another pass over the file, which only
  /// files read as Windows-1252 pay for.
  func windows1252Problem(in file: FileBlocks) throws(FileProblem) -> FileProblem? {
    file.rewind()
    let size = 1 << 20
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    var total = 0
    while true {
      let got = try file.read(into: block, count: size)
      if got == 0 { return nil }
      let bytes = UnsafeRawBufferPointer(start: block, count: got)
      if let index = bytes.firstIndex(where: { !Windows1252.isDefined($0) }) {
        let hex = String(bytes[index], radix: 16, uppercase: true)
        return FileProblem(
          message: "byte 0x\(hex) is neither UTF-8 nor Windows-1252: re-export the file as UTF-8",
          line: try lineNumber(ofOffset: total + index, in: file))
      }
      total += got
    }
  }

  /// The 1-based line holding byte `offset`.
  private func lineNumber(ofOffset offset: Int, in file: FileBlocks) throws(FileProblem) -> Int {
    file.rewind()
    var line = 1
    var position = 0
    var afterCR = false
    let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { block.deallocate() }
    while position < offset {
      let got = try file.read(into: block, count: min(1 << 16, offset - position))
      if got == 0 { break }
      // LF ends a line, and so does a lone CR (old Mac exports).
      for byte in UnsafeRawBufferPointer(start: block, count: got) {
        if afterCR && byte != 0x0A { line += 1 }
        if byte == 0x0A { line += 1 }
        afterCR = byte == 0x0D
      }
      position += got
    }
    // The byte at `offset` is not a line feed: a CR just before it ended a line.
    return afterCR ? line + 1 : line
  }

  /// The delimiter that occurs most often outside quotes on the header line.
  func detectDelimiter(_ head: [UInt8], headerRow: Int = 1) -> UInt8 {
    var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
    var quoted = false
    var line = 1
    for (index, byte) in head.enumerated() {
      if byte == UInt8(ascii: "\"") { quoted.toggle() }
      if quoted { continue }
      // LF, or a lone CR (old Mac exports), ends a line.
      if byte == 0x0A || (byte == 0x0D && index + 1 < head.count && head[index + 1] != 0x0A) {
        line += 1
        if line > headerRow { break }
        continue
      }
      if line == headerRow, counts[byte] != nil { counts[byte]! += 1 }
    }
    let best = [UInt8(0x2C), 0x3B, 0x09].max { (counts[$0] ?? 0) < (counts[$1] ?? 0) }!
    return counts[best] == 0 ? 0x2C : best
  }
}
