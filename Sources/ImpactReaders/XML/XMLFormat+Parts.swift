import ImpactModel
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Reading one large canonical XML file on several cores.
///
/// The file is cut before a `<submission` start tag near each 1/N of its size. Each part
/// is parsed as a document of its own: the file's start up to its root's start tag (the
/// XML declaration, the namespaces), the part's bytes, and the root's end tag. A cut that
/// fell inside a comment, a CDATA section or a tag leaves a part that does not parse; any
/// part problem, or more ignored paths than the warnings list, and the file is read again
/// in one piece, the parts the sink took forgotten. Otherwise the sink gets what one
/// sequential read gives: the parts are absorbed in file order as soon as each and those
/// before it are parsed, their lines renumbered, their warnings merged.
extension XMLFormat {
  /// Files smaller than this are read in one piece.
  nonisolated(unsafe) public static var minimumPartBytes = 16 << 20

  /// How many files were read in parts, how many were read again in one piece, and how
  /// many of those after some of their parts were passed on (for tests and benchmarks).
  public static var partStatistics: (split: Int, readAgain: Int, discarded: Int, repaired: Int) {
    partCounts.snapshot
  }
  static let partCounts = PartCounts()

  /// The outcome of reading `path` on `threads` threads into `sink`, or nil when the file
  /// is small or cannot be cut (having read nothing into it), or a part does not read
  /// cleanly (having told it to forget the parts it took).
  ///
  /// The file is cut into a few more parts than threads, which the threads parse in order;
  /// each part goes to `sink` as soon as it and those before it are parsed, so that it can
  /// be merged while the later ones are.
  func readInParts(path: String, threads: Int, sink: ObservationSink) -> ReadOutcome? {
    guard let file = try? FileBlocks(path: path) else { return nil }
    var info = stat()
    guard fstat(file.descriptor, &info) == 0 else { return nil }
    let size = Int(info.st_size)
    guard size >= Self.minimumPartBytes, let root = try? rootStartTag(in: file) else { return nil }
    let parts = partCount(size: size, threads: threads, minimumPartBytes: Self.minimumPartBytes)
    var cuts: [Int] = []
    for index in 1..<parts {
      guard let cut = try? nextTag(root.childTag, after: size * index / parts, in: file, size: size),
        cut > max(cuts.last ?? 0, root.head.count)
      else { continue }
      cuts.append(cut)
    }
    guard !cuts.isEmpty else { return nil }
    let starts = [0] + cuts
    let ends = cuts + [size]
    let endTag = Array("</\(root.name)>".utf8)
    let sinks = starts.map { _ in sink.makePart(of: starts.count) }
    // The digest is taken on another thread while the parts are read; a read in one
    // piece takes its own, and stops this one.
    let digesting = BackgroundValue { isCancelled in try? self.digest(of: FileBlocks(path: path), unless: isCancelled) }
    var outcome = ReadOutcome()
    let headLineFeeds = root.head.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    var lineFeedsBefore = 0
    var values = 0
    var ignored = 0
    var absorbed = 0
    runPartsInOrder(count: starts.count, threads: threads) { index in
      let part = XMLInput.Part(
        head: index == 0 ? [] : root.head, range: starts[index]..<ends[index],
        tail: index == starts.count - 1 ? [] : endTag)
      let (partOutcome, parser, input) = parseSubmissions(path: path, part: part, sink: sinks[index])
      return (
        complete: partOutcome.problem == nil && input?.finishedPart == true, lineFeeds: input?.lineFeeds ?? 0,
        warnings: parser.warnings, values: parser.valueCount, ignored: parser.ignoredPathCount
      )
    } deliver: { index, result in
      ignored += result.ignored
      // The sequential walker stops noting ignored paths at 20: beyond, its list is not
      // the union of the parts' lists.
      guard result.complete, ignored < 20 else { return false }
      // A part's line n is line n of its document, whose head holds `headLineFeeds`.
      sinks[index].shiftLines(by: index == 0 ? 0 : lineFeedsBefore - headLineFeeds)
      sink.absorb(sinks[index])
      absorbed += 1
      lineFeedsBefore += result.lineFeeds
      values += result.values
      for warning in result.warnings where !outcome.warnings.contains(warning) {
        outcome.warnings.append(warning)
      }
      return true
    }
    guard absorbed == starts.count, let digest = digesting.value else {
      digesting.cancel()
      if absorbed > 0 {
        sink.discardAbsorbed()
        Self.partCounts.noteDiscarded()
      }
      Self.partCounts.noteReadAgain()
      return nil
    }
    Self.partCounts.noteSplit()
    outcome.byteCount = size
    outcome.sha256 = digest
    outcome.detected["records"] = String(values)
    return outcome
  }

  /// The document's start up to the end of its root's start tag, and the root's
  /// qualified name; nil when the root is not `<submissions>` (or a DOCTYPE, which the
  /// sequential read refuses, comes first).
  private func rootStartTag(in file: FileBlocks) throws(FileProblem) -> (
    head: [UInt8], name: String, childTag: [UInt8]
  )? {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    defer { buffer.deallocate() }
    let head = [UInt8](UnsafeRawBufferPointer(start: buffer, count: try file.read(into: buffer, count: 1 << 16, at: 0)))
    var index = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    func skip(past marker: [UInt8]) -> Bool {
      while index + marker.count <= head.count {
        if head[index..<(index + marker.count)].elementsEqual(marker) {
          index += marker.count
          return true
        }
        index += 1
      }
      return false
    }
    while index < head.count {
      let byte = head[index]
      if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
        index += 1
      } else if head[index...].starts(with: Array("<?".utf8)) {
        guard skip(past: Array("?>".utf8)) else { return nil }
      } else if head[index...].starts(with: Array("<!--".utf8)) {
        guard skip(past: Array("-->".utf8)) else { return nil }
      } else if byte == UInt8(ascii: "<") && index + 1 < head.count && head[index + 1] != UInt8(ascii: "!") {
        break
      } else {
        return nil
      }
    }
    let nameStart = index + 1
    var nameEnd = nameStart
    while nameEnd < head.count, !isTagNameEnd(head[nameEnd]) { nameEnd += 1 }
    let name = String(decoding: head[nameStart..<nameEnd], as: UTF8.self)
    let prefix = name.split(separator: ":", omittingEmptySubsequences: false).dropLast().joined(separator: ":")
    guard name == "submissions" || name == prefix + ":submissions" else { return nil }
    // The start tag ends at the first `>` outside a quoted attribute value.
    var quote: UInt8? = nil
    var end = nameEnd
    while end < head.count {
      let byte = head[end]
      if let open = quote {
        if byte == open { quote = nil }
      } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
        quote = byte
      } else if byte == UInt8(ascii: ">") {
        break
      }
      end += 1
    }
    guard end < head.count, head[end - 1] != UInt8(ascii: "/") else { return nil }
    let child = Array(("<" + (prefix.isEmpty ? "" : prefix + ":") + "submission").utf8)
    return (Array(head[...end]), name, child)
  }

  /// The offset of the first `tag` start (the tag's name followed by a blank, `>` or `/`)
  /// at or after `offset`; nil when there is none.
  private func nextTag(_ tag: [UInt8], after offset: Int, in file: FileBlocks, size: Int) throws(FileProblem) -> Int? {
    let capacity = (1 << 16) + tag.count + 1
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    defer { buffer.deallocate() }
    var position = offset
    while position < size {
      let got = try file.read(into: buffer, count: capacity, at: position)
      if got <= tag.count { return nil }
      let block = UnsafeRawBufferPointer(start: buffer, count: got)
      var index = 0
      while index + tag.count < got {
        if block[index] == tag[0], block[index..<(index + tag.count)].elementsEqual(tag),
          isTagNameEnd(block[index + tag.count])
        {
          return position + index
        }
        index += 1
      }
      position += got - tag.count
    }
    return nil
  }

  private func isTagNameEnd(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
      || byte == UInt8(ascii: "/")
  }

  /// The SHA-256 of the whole file, hex; nil once `isCancelled` says it is no longer
  /// wanted (asked before each 4 MiB block).
  private func digest(of file: FileBlocks, unless isCancelled: () -> Bool) throws(FileProblem) -> String? {
    let hash = SHA256()
    let size = 1 << 22
    let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { block.deallocate() }
    var offset = 0
    while true {
      if isCancelled() { return nil }
      let got = try file.read(into: block, count: size, at: offset)
      if got == 0 { break }
      hash.update(UnsafeRawBufferPointer(start: block, count: got))
      offset += got
    }
    return hash.hexDigest()
  }
}
