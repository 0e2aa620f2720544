import Foundation
import ImpactModel

/// Reading one large canonical CSV file on several cores.
///
/// The file is cut after a line end near each 1/N of its size, and the parts are read at
/// once, each into its own sink; every part but the last stops at the first record that
/// starts at or after the next cut. A cut is right when the part before it stopped exactly
/// there; a cut inside a quoted field with a line break is not, and the file is then read
/// again in one piece. Either way the sink gets what one sequential read gives: the parts
/// are absorbed in file order and their lines renumbered.
extension CSVFormat {
  /// Files smaller than this are read in one piece.
  nonisolated(unsafe) public static var minimumPartBytes = 16 << 20

  /// How many files were read in parts, and how many were read again in one piece
  /// (for tests and benchmarks).
  public static var partStatistics: (split: Int, readAgain: Int) { partCounts.snapshot }
  static let partCounts = PartCounts()

  /// Reads `file` in `parts` parts into `sink`; returns false (having read nothing) when
  /// the file cannot be cut.
  func readInParts(
    path: String, file: FileBlocks, size: Int, parts: Int, tokenizer: CSVTokenizer, windows1252: Bool,
    delimiter: UInt8, sink: ObservationSink, outcome: inout ReadOutcome
  ) throws(FileProblem) -> Bool {
    // The header first, from a throwaway read of the file's start.
    var header = CSVRowMapper(path: path, sink: DiscardingSink(), windows1252: windows1252, delimiter: delimiter)
    file.rewind()
    let headerStop = try tokenizer.tokenize(
      file, from: 0, stopAt: nil, stopWhen: { header.hasHeader }, { header.handle($0) })
    guard header.hasHeader else { return false }
    let headerRow = header
    var cuts: [Int] = []
    for index in 1..<parts {
      guard let cut = try lineStart(after: size * index / parts, in: file, size: size),
        cut > max(cuts.last ?? 0, headerStop.offset)
      else { continue }
      cuts.append(cut)
    }
    guard !cuts.isEmpty else { return false }
    let starts = [0] + cuts
    let sinks = starts.map { _ in sink.makePart() }
    let results = runParts(count: starts.count) { index in
      Result { () throws(FileProblem) -> (CSVTokenizer.Stop, CSVRowMapper) in
        let partFile = try FileBlocks(path: path)
        partFile.seek(to: starts[index])
        var mapper =
          index == 0
          ? CSVRowMapper(path: path, sink: sinks[0], windows1252: windows1252, delimiter: delimiter)
          : headerRow.continuing(into: sinks[index])
        // Only the first part starts at the file's start, after a byte order mark.
        let partTokenizer = index == 0 ? tokenizer : CSVTokenizer(delimiter: tokenizer.delimiter, skipPrefix: 0)
        let limit = index + 1 < starts.count ? starts[index + 1] : nil
        let stop = try partTokenizer.tokenize(partFile, from: starts[index], stopAt: limit) { mapper.handle($0) }
        return (stop, mapper)
      }
    }
    // Every part must have read cleanly up to the next cut; else the cuts were wrong (or
    // the file has a problem whose place one sequential read tells best).
    var parts: [(CSVTokenizer.Stop, CSVRowMapper)] = []
    for index in starts.indices {
      guard case .success(let part) = results[index],
        index + 1 == starts.count || part.0.offset == starts[index + 1]
      else {
        Self.partCounts.noteReadAgain()
        return false
      }
      parts.append(part)
    }
    Self.partCounts.noteSplit()
    var lineOffset = 0
    for (index, part) in parts.enumerated() {
      let (stop, mapper) = part
      if index == 0 {
        outcome.warnings += mapper.warnings
        if let problem = mapper.headerProblem { outcome.problem = outcome.problem ?? problem }
      }
      sinks[index].shiftLines(by: lineOffset)
      sink.absorb(sinks[index])
      lineOffset += stop.lines
    }
    let blankRows = parts.reduce(0) { $0 + $1.1.blankRows }
    if blankRows > 0 { outcome.detected["blank_rows"] = String(blankRows) }
    outcome.detected["rows"] = String(parts.reduce(0) { $0 + $1.1.dataRows })
    return true
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

/// A sink that keeps nothing but the field labels, for reading a header alone.
final class DiscardingSink: ObservationSink {
  func setFieldLabels(_ labels: [RawField: String]) {}
  func observation(_ raw: RawObservation) {}
  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {}
}
