import CLibXML2
import ImpactModel

#if canImport(Glibc)
  import Glibc
#endif

/// Attribute values kept between elements, each in a buffer reused for every new value,
/// so that reading an attribute allocates nothing.
final class AttributeSlots {
  private var buffers: [UnsafeMutableRawPointer]
  private var capacities: [Int]
  private var counts: [Int]
  private var present: [Bool]

  init(count: Int) {
    buffers = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8) }
    capacities = Array(repeating: 64, count: count)
    counts = Array(repeating: 0, count: count)
    present = Array(repeating: false, count: count)
  }

  deinit { for buffer in buffers { buffer.deallocate() } }

  func clear(_ slot: Int) { present[slot] = false }

  func set(_ slot: Int, _ value: UnsafeRawBufferPointer) {
    if value.count > capacities[slot] {
      buffers[slot].deallocate()
      capacities[slot] = value.count * 2
      buffers[slot] = UnsafeMutableRawPointer.allocate(byteCount: capacities[slot], alignment: 8)
    }
    if let base = value.baseAddress { buffers[slot].copyMemory(from: base, byteCount: value.count) }
    counts[slot] = value.count
    present[slot] = true
  }

  /// `set`, with each `&#38;` turned back into `&`: libxml2's SAX2 layer hands attribute
  /// values over with every `&` (written `&amp;` or `&#38;`) escaped so, when it does not
  /// substitute entities; a literal `&` cannot stand in a well-formed value.
  func setDecodingAmpersands(_ slot: Int, _ value: UnsafeRawBufferPointer) {
    set(slot, value)
    guard memchr(buffers[slot], 0x26, counts[slot]) != nil else { return }
    let bytes = buffers[slot].assumingMemoryBound(to: UInt8.self)
    let escape = Array("&#38;".utf8)
    var read = 0
    var write = 0
    while read < counts[slot] {
      if read + 5 <= counts[slot] && (0..<5).allSatisfy({ bytes[read + $0] == escape[$0] }) {
        bytes[write] = 0x26
        read += 5
      } else {
        bytes[write] = bytes[read]
        read += 1
      }
      write += 1
    }
    counts[slot] = write
  }

  /// The value of a slot, valid until the slot is set again; nil when absent.
  func bytes(_ slot: Int) -> UnsafeRawBufferPointer? {
    present[slot] ? UnsafeRawBufferPointer(start: buffers[slot], count: counts[slot]) : nil
  }
}

/// Reads canonical submissions with libxml2's SAX2 push parser and delivers one
/// observation per `<value>` element.
///
/// No tree is built (the streaming `xmlTextReader` builds and frees one per node, at
/// twice the cost). Files are untrusted: a DOCTYPE is refused before its internal subset
/// is read, an entity reference or declaration stops the parse, external entities are
/// never loaded (`XML_PARSE_NONET`, no entity substitution, and `LibXML`'s loader that
/// loads nothing), and nesting deeper than `XMLFormat.maxDepth` ends the file as
/// malformed. Attribute and text bytes are copied into reused buffers; no `String` is made
/// per node. Lines are the parser's at the end of each start tag, as libxml2 gives an
/// element's line, but in full (the tree keeps 16 bits).
final class XMLSubmissionParser {
  enum Kind {
    case submissions, submission, response, value, ignored
  }

  let sink: ObservationSink
  private(set) var warnings: [String] = []
  private(set) var valueCount = 0
  /// The distinct ignored paths noted so far (warnings stop at 20 elements, 50 in all).
  var ignoredPathCount: Int { ignoredPaths.count }

  private var stack: [(kind: Kind, name: String)] = []
  /// Attribute values, reused from element to element: partner, id, period, territory,
  /// indicator, unit.
  private let slots = AttributeSlots(count: 6)
  private var text: [UInt8] = []
  private var valueLine = 0
  private var ignoredPaths: Set<String> = []
  private var sawRoot = false
  /// The first problem the callbacks found; the parse stops there.
  private var problem: FileProblem?
  private let errors = XMLErrors()
  private var context: xmlParserCtxtPtr?

  init(sink: ObservationSink) {
    self.sink = sink
  }

  /// Parses what `input` hands over, to the end; returns the problem that makes the file
  /// malformed, if any.
  func parse(_ input: XMLInput, path: String) -> FileProblem? {
    LibXML.prepare()
    sink.setFieldLabels([
      .partner: "submission/@partner", .response: "response/@id", .period: "response/@period",
      .territory: "response/@territory", .indicator: "value/@indicator", .value: "value",
      .unit: "value/@unit",
    ])
    let size = 1 << 18
    let block = UnsafeMutablePointer<CChar>.allocate(capacity: size)
    defer { block.deallocate() }
    var handler = Self.makeHandler()
    let first = input.read(into: block, count: Int32(size))
    guard first >= 0 else { return FileProblem(message: "cannot read the file") }
    // The context gets the first four bytes (its encoding), the rest of the block goes
    // through xmlParseChunk below: given the whole block at once, libxml2 would parse
    // nothing before the end of a small file, and any error in it would look like a cut.
    let head = min(first, 4)
    guard
      let context = xmlCreatePushParserCtxt(
        &handler, Unmanaged.passUnretained(self).toOpaque(), block, head, path)
    else { return FileProblem(message: "libxml2 could not start reading the file") }
    self.context = context
    defer {
      self.context = nil
      xmlFreeParserCtxt(context)
    }
    _ = xmlCtxtUseOptions(
      context,
      Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
          | XML_PARSE_COMPACT.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue))
    var finished = false
    // The errors libxml2 raised before it was told the file had ended.
    var errorsBeforeEnd = 0
    if first > head { _ = xmlParseChunk(context, block + Int(head), first - head, 0) }
    while !finished && problem == nil && context.pointee.disableSAX == 0 {
      let got = input.read(into: block, count: Int32(size))
      if got < 0 {
        problem = FileProblem(message: "the file could not be read to its end", line: line)
        break
      }
      finished = got == 0
      errorsBeforeEnd = errors.entries.count
      _ = xmlParseChunk(context, block, got, finished ? 1 : 0)
    }
    let wellFormed = context.pointee.wellFormed != 0
    if let problem {
      // libxml2's own message, where it has one, says more than ours.
      if let first = errors.first, first.fatal {
        return FileProblem(message: first.message, line: first.line, path: problem.path)
      }
      return problem
    }
    if let index = errors.entries.firstIndex(where: \.fatal) {
      let first = errors.entries[index]
      // An error raised once the file had ended, on its last line, with elements still
      // open: the file stops short (libxml2 says "extra content", or what the cut tag
      // lacks). libxml2 holds back the end of what it was given until then, so an error
      // further up a small file is raised then too, and reported as libxml2 words it.
      if finished, index >= errorsBeforeEnd, let open = stack.last, first.line >= input.lastLine() - 1 {
        let detail =
          first.code == Int32(XML_ERR_DOCUMENT_END.rawValue)
          ? "" : " (" + first.message.dropFirst("malformed XML: ".count) + ")"
        return FileProblem(
          message:
            "malformed XML: the file ends inside <\(open.name)>\(detail): it looks cut short; send all of it again",
          line: line, path: currentPath())
      }
      // libxml2 says "extra content" of an empty file too.
      if first.code == Int32(XML_ERR_DOCUMENT_END.rawValue), !sawRoot {
        return FileProblem(message: "malformed XML: the file holds no element (is it empty?)", line: line)
      }
      return FileProblem(message: first.message, line: first.line)
    }
    if !wellFormed { return FileProblem(message: "malformed XML", line: line) }
    if !sawRoot { return FileProblem(message: "no root element") }
    return nil
  }

  /// The parser's line, where the last start tag ended.
  private var line: Int { context.map { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer($0))) } ?? 0 }

  /// The callbacks: the elements and text of the canonical format, and refusals.
  private static func makeHandler() -> xmlSAXHandler {
    var handler = xmlSAXHandler()
    handler.initialized = XML_SAX2_MAGIC
    handler.startElementNs = { context, name, _, _, _, _, attributeCount, _, attributes in
      submissionParser(context).startElement(name, attributeCount: Int(attributeCount), attributes: attributes)
    }
    handler.endElementNs = { context, _, _, _ in submissionParser(context).endElement() }
    handler.characters = { context, bytes, count in submissionParser(context).characters(bytes, Int(count)) }
    handler.cdataBlock = { context, bytes, count in submissionParser(context).characters(bytes, Int(count)) }
    handler.internalSubset = { context, _, _, _ in
      submissionParser(context).refuse("a DOCTYPE is not allowed: DTDs and entities are refused in submissions")
    }
    handler.externalSubset = { context, _, _, _ in
      submissionParser(context).refuse("a DOCTYPE is not allowed: DTDs and entities are refused in submissions")
    }
    handler.entityDecl = { context, _, _, _, _, _ in
      submissionParser(context).refuse("an entity declaration is not allowed in submissions")
    }
    handler.reference = { context, _ in
      submissionParser(context).refuse("an entity reference is not allowed in submissions")
    }
    handler.getEntity = { _, _ in nil }
    handler.serror = { context, error in
      guard let context, let error else { return }
      submissionParser(context).errors.record(error)
    }
    return handler
  }

  /// Ends the parse with `message` as the file's problem.
  private func refuse(_ message: String) {
    if problem == nil { problem = FileProblem(message: message, line: line, path: currentPath()) }
    if let context { xmlStopParser(context) }
  }

  private func startElement(
    _ name: UnsafePointer<xmlChar>?, attributeCount: Int, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
  ) {
    guard problem == nil else { return }
    if stack.count >= XMLFormat.maxDepth {
      return refuse("elements nested deeper than \(XMLFormat.maxDepth) levels")
    }
    let kind: Kind
    if stack.isEmpty {
      if sawRoot { return refuse("more than one root element") }
      sawRoot = true
      if Self.equals(name, "submissions") {
        kind = .submissions
      } else if Self.equals(name, "submission") {
        kind = .submission
      } else {
        return refuse("the root element <\(Self.string(name))> is neither <submissions> nor <submission>")
      }
    } else {
      kind = childKind(name, of: stack.last!.kind)
    }
    stack.append((kind, Self.name(of: kind) ?? Self.string(name)))
    let attributes = Attributes(count: attributeCount, pointers: attributes)
    switch kind {
    case .submissions:
      break
    case .submission:
      read(attributes, into: Self.submissionAttributes)
    case .response:
      read(attributes, into: Self.responseAttributes)
    case .value:
      text.removeAll(keepingCapacity: true)
      valueLine = line
      read(attributes, into: Self.valueAttributes)
    case .ignored:
      let path = currentPath()
      if stack.dropLast().contains(where: { $0.kind == .ignored }) { break }  // inside an ignored element
      if ignoredPaths.count < 20 && ignoredPaths.insert(path).inserted {
        warnings.append("ignored element \(path) and its content")
      }
    }
  }

  private func characters(_ bytes: UnsafePointer<xmlChar>?, _ count: Int) {
    guard problem == nil, stack.last?.kind == .value, let bytes, count > 0 else { return }
    guard text.count + count <= XMLFormat.maxValueBytes else {
      return refuse("a <value> holds more than \(XMLFormat.maxValueBytes >> 10) KiB of text")
    }
    text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
  }

  private func endElement() {
    guard problem == nil, let top = stack.popLast() else { return }
    switch top.kind {
    case .response:
      for slot in 1...3 { slots.clear(slot) }
      return
    case .submission:
      slots.clear(0)
      return
    case .value: break
    default: return
    }
    valueCount += 1
    var raw = RawObservation(line: valueLine)
    raw.partner = slots.bytes(0)
    raw.response = slots.bytes(1)
    raw.period = slots.bytes(2)
    raw.territory = slots.bytes(3)
    raw.indicator = slots.bytes(4)
    raw.unit = slots.bytes(5)
    text.withUnsafeBytes { value in
      raw.value = value
      sink.observation(raw)
    }
  }

  private func childKind(_ name: UnsafePointer<xmlChar>?, of parent: Kind) -> Kind {
    switch parent {
    case .submissions where Self.equals(name, "submission"): .submission
    case .submission where Self.equals(name, "response"): .response
    // A value out of place is still an observation read: it is rejected for what it lacks.
    case .response, .submissions, .submission: Self.equals(name, "value") ? .value : .ignored
    default: .ignored
    }
  }

  private static func name(of kind: Kind) -> String? {
    switch kind {
    case .submissions: "submissions"
    case .submission: "submission"
    case .response: "response"
    case .value: "value"
    case .ignored: nil
    }
  }

  /// Compares a libxml2 name with ASCII text without making a `String`.
  @inline(__always)
  static func equals(_ name: UnsafePointer<xmlChar>?, _ text: StaticString) -> Bool {
    guard let name else { return false }
    return strcmp(
      UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self),
      UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
  }

  private static func string(_ name: UnsafePointer<xmlChar>?) -> String {
    name.map { String(cString: $0) } ?? ""
  }

  /// The attributes SAX2 hands over: per attribute its local name, prefix, namespace,
  /// and the start and end of its value (decoded, not NUL-terminated). Namespace
  /// declarations are not among them.
  private struct Attributes {
    let count: Int
    let pointers: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?

    func name(_ index: Int) -> UnsafePointer<xmlChar>? { pointers?[index * 5] }

    func value(_ index: Int) -> UnsafeRawBufferPointer {
      guard let start = pointers?[index * 5 + 3], let end = pointers?[index * 5 + 4] else {
        return UnsafeRawBufferPointer(start: nil, count: 0)
      }
      return UnsafeRawBufferPointer(start: start, count: end - start)
    }
  }

  private static let submissionAttributes: [(StaticString, Int)] = [("partner", 0)]
  private static let responseAttributes: [(StaticString, Int)] = [("id", 1), ("period", 2), ("territory", 3)]
  private static let valueAttributes: [(StaticString, Int)] = [("indicator", 4), ("unit", 5)]

  /// Copies the attributes named in `wanted` into their slots (marking the others of the
  /// list absent); notes attributes nobody reads as ignored.
  private func read(_ attributes: Attributes, into wanted: [(StaticString, Int)]) {
    for (_, slot) in wanted { slots.clear(slot) }
    for index in 0..<attributes.count {
      if let (_, slot) = wanted.first(where: { Self.equals(attributes.name(index), $0.0) }) {
        slots.setDecodingAmpersands(slot, attributes.value(index))
      } else {
        noteIgnored(attributes.name(index))
      }
    }
  }

  private func noteIgnored(_ attribute: UnsafePointer<xmlChar>?) {
    let path = currentPath() + "/@" + Self.string(attribute)
    if ignoredPaths.count < 50 && ignoredPaths.insert(path).inserted {
      warnings.append("ignored attribute \(path)")
    }
  }

  private func currentPath() -> String {
    "/" + stack.map(\.name).joined(separator: "/")
  }
}

/// The parser behind a SAX callback's context.
private func submissionParser(_ context: UnsafeMutableRawPointer?) -> XMLSubmissionParser {
  Unmanaged<XMLSubmissionParser>.fromOpaque(context!).takeUnretainedValue()
}
