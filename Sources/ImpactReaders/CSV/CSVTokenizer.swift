import CIntrinsics
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// One field of a record: a byte range in the tokenizer's buffer.
struct CSVField {
  var start: Int
  var end: Int
  /// The field was quoted and holds doubled quotes to undo.
  var hasEscapedQuotes: Bool
}

/// One record, valid only during the handler call.
struct CSVRecord {
  let base: UnsafeRawPointer
  let fields: UnsafeBufferPointer<CSVField>
  /// The 1-based physical line the record starts on.
  let line: Int
  /// Text followed a closing quote (`"a"b`); the record cannot be trusted.
  let strayQuote: Bool
  /// A field holds doubled quotes to undo (see `CSVField.hasEscapedQuotes`): one test
  /// for the record instead of one per field.
  let hasEscapedQuotes: Bool
  /// The record's bytes as written, without its line end: what a reject of a record that
  /// cannot be trusted shows.
  let raw: UnsafeRawBufferPointer

  func bytes(_ index: Int) -> UnsafeRawBufferPointer {
    let field = fields[index]
    return UnsafeRawBufferPointer(start: base + field.start, count: field.end - field.start)
  }
}

/// Splits RFC 4180 records out of a file read in large blocks.
///
/// Quoted delimiters, doubled quotes and line breaks inside quotes are handled; LF, CRLF
/// and a lone CR (old Mac exports) each end a record and count as one line. A record may straddle blocks: its start is carried over to
/// the next block. Memory is bounded by the block size and the longest record
/// (`maxRecordBytes`).
struct CSVTokenizer {
  /// Read at a time. 1 MiB rather than 4: the buffer, twice this, is new memory for each
  /// file (8 MiB of it cost 2,000 page faults a file), and a block read is still in the
  /// cache when it is tokenized.
  static let blockSize = 1 << 20
  static let maxRecordBytes = 16 << 20

  let delimiter: UInt8
  /// Bytes to skip at the very start (a BOM).
  let skipPrefix: Int

  /// Calls `handler` for each record; returns a problem when the file ends inside quotes
  /// or holds a record too long to be real.
  func tokenize(_ file: FileBlocks, _ handler: (CSVRecord) -> Void) throws(FileProblem) {
    _ = try tokenize(file, from: 0, stopAt: nil, handler)
  }

  /// Where a part's tokenizing stopped.
  struct Stop {
    /// The file offset of the first record not handled (the file size at the end).
    var offset: Int
    /// How many lines the handled records took.
    var lines: Int
  }

  /// Tokenizes from `origin` (where `file` is positioned), numbering lines from 1, until
  /// the first record that starts at `limit` or after, or until `stopWhen`, asked with the
  /// file offset of each record before it is read, says so; returns where it stopped.
  /// `onBlock` sees the bytes of each read, in file order, before they are tokenized, and
  /// may stop the reading there (by returning false: the tokenizer then throws).
  func tokenize(
    _ file: FileBlocks, from origin: Int, stopAt limit: Int?, stopWhen: ((_ offset: Int) -> Bool)? = nil,
    onBlock: ((UnsafeRawBufferPointer) -> Bool)? = nil, _ handler: (CSVRecord) -> Void
  ) throws(FileProblem) -> Stop {
    var origin = origin
    var capacity = Self.blockSize * 2
    // 64 bytes past the capacity, for the stop masks (see `stops`) read at its end.
    var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + 64, alignment: 16)
    defer { buffer.deallocate() }
    var fields = UnsafeMutableBufferPointer<CSVField>.allocate(capacity: 64)
    defer { fields.deallocate() }
    var filled = 0
    var eof = false
    var line = 1
    var skip = skipPrefix
    let delimiter = self.delimiter
    let quote = UInt8(ascii: "\"")
    let newline: UInt8 = 0x0A
    let carriageReturn: UInt8 = 0x0D

    while !eof || filled > 0 {
      if !eof {
        if capacity - filled < Self.blockSize {
          guard filled <= Self.maxRecordBytes else {
            throw FileProblem(
              message: "a record longer than \(Self.maxRecordBytes >> 20) MB: an unbalanced quote?", line: line)
          }
          let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2 + 64, alignment: 16)
          bigger.copyMemory(from: buffer, byteCount: filled)
          buffer.deallocate()
          buffer = bigger
          capacity *= 2
        }
        if RunCancellation.signal != nil { throw FileProblem(message: "the run was interrupted", line: line) }
        let got = try file.read(into: buffer + filled, count: capacity - filled)
        if let onBlock, !onBlock(UnsafeRawBufferPointer(start: buffer + filled, count: got)) {
          throw FileProblem(message: "the reading was stopped", line: line)
        }
        if got == 0 { eof = true } else { filled += got }
      }
      let bytes = UnsafeRawPointer(buffer)
      let end = filled
      // Where unquoted fields stop, 64 bytes at a time: bit i of `stops` is set when byte
      // `stopsBase + i` is the delimiter or a line end (before `end`). One vector compare
      // per 64 bytes of the block, shared by the fields it covers, instead of a scan per
      // field.
      var stopsBase = Int.min
      var stops: UInt64 = 0
      @inline(__always) func loadStops(at base: Int) {
        stopsBase = base
        stops = impact_csv_stops64(bytes + base, delimiter)
        if end - base < 64 { stops &= (1 &<< UInt64(end - base)) &- 1 }
      }
      var recordStart = 0
      if skip > 0 {
        let drop = min(skip, end)
        recordStart = drop
        skip -= drop
      }
      // Parse whole records; stop at one that may continue in the next block.
      records: while recordStart < end {
        if let limit, origin + recordStart >= limit { return Stop(offset: origin + recordStart, lines: line - 1) }
        if let stopWhen, stopWhen(origin + recordStart) { return Stop(offset: origin + recordStart, lines: line - 1) }
        var pos = recordStart
        var count = 0
        var linesInside = 0
        var stray = false
        var anyEscaped = false
        var recordEnd = pos
        fieldLoop: while true {
          if count == fields.count {
            let bigger = UnsafeMutableBufferPointer<CSVField>.allocate(capacity: fields.count * 2)
            _ = bigger.initialize(fromContentsOf: fields)
            fields.deallocate()
            fields = bigger
          }
          if pos < end && bytes.load(fromByteOffset: pos, as: UInt8.self) == quote {
            var scan = pos + 1
            var escaped = false
            while true {
              while scan < end {
                let byte = bytes.load(fromByteOffset: scan, as: UInt8.self)
                if byte == quote { break }
                if byte == newline
                  || (byte == carriageReturn
                    && (scan + 1 < end ? bytes.load(fromByteOffset: scan + 1, as: UInt8.self) != newline : eof))
                {
                  linesInside += 1
                }
                scan += 1
              }
              if scan >= end {
                if eof { throw FileProblem(message: "the file ends inside a quoted field: truncated?", line: line) }
                break records
              }
              if scan + 1 < end && bytes.load(fromByteOffset: scan + 1, as: UInt8.self) == quote {
                escaped = true
                scan += 2
                continue
              }
              if scan + 1 >= end && !eof { break records }
              break
            }
            fields[count] = CSVField(start: pos + 1, end: scan, hasEscapedQuotes: escaped)
            anyEscaped = anyEscaped || escaped
            count += 1
            pos = scan + 1
            // After the closing quote: a delimiter, a line end, or stray text.
            while pos < end {
              let byte = bytes.load(fromByteOffset: pos, as: UInt8.self)
              if byte == delimiter || byte == newline || byte == carriageReturn { break }
              stray = true
              pos += 1
            }
          } else {
            // The first stop at or after `pos`, or `end`.
            var scan = end
            if pos < end {
              if pos < stopsBase || pos >= stopsBase &+ 64 { loadStops(at: pos) }
              var ahead = stops & (~0 &<< UInt64(pos &- stopsBase))
              while ahead == 0 && stopsBase &+ 64 < end {
                loadStops(at: stopsBase &+ 64)
                ahead = stops
              }
              if ahead != 0 { scan = stopsBase &+ ahead.trailingZeroBitCount }
            }
            fields[count] = CSVField(start: pos, end: scan, hasEscapedQuotes: false)
            count += 1
            pos = scan
          }
          recordEnd = pos
          if pos >= end {
            if !eof { break records }
            break fieldLoop
          }
          let byte = bytes.load(fromByteOffset: pos, as: UInt8.self)
          pos += 1
          if byte == newline {
            linesInside += 1
            break fieldLoop
          }
          if byte == carriageReturn {
            // CRLF, or a lone CR; at the block's end, the next block tells which.
            if pos < end {
              if bytes.load(fromByteOffset: pos, as: UInt8.self) == newline { pos += 1 }
            } else if !eof {
              break records
            }
            linesInside += 1
            break fieldLoop
          }
          // A delimiter: another field follows (possibly an empty one at the line end).
        }
        handler(
          CSVRecord(
            base: bytes, fields: UnsafeBufferPointer(start: fields.baseAddress, count: count), line: line,
            strayQuote: stray, hasEscapedQuotes: anyEscaped,
            raw: UnsafeRawBufferPointer(start: bytes + recordStart, count: recordEnd - recordStart)))
        line += linesInside
        recordStart = pos
      }
      // Carry the unfinished record to the front of the buffer.
      ReadMeter.add(recordStart)
      let rest = end - recordStart
      if rest > 0 && recordStart > 0 { memmove(buffer, buffer + recordStart, rest) }
      origin += recordStart
      filled = rest
    }
    return Stop(offset: origin, lines: line - 1)
  }
}
