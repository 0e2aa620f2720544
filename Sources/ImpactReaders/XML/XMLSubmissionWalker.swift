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

  /// The value of a slot, valid until the slot is set again; nil when absent.
  func bytes(_ slot: Int) -> UnsafeRawBufferPointer? {
    present[slot] ? UnsafeRawBufferPointer(start: buffers[slot], count: counts[slot]) : nil
  }
}

/// Walks the reader's node stream and delivers one observation per `<value>` element.
///
/// Attribute and text bytes are copied into reused buffers; no `String` is made per node.
struct XMLSubmissionWalker {
  enum Kind {
    case submissions, submission, response, value, ignored
  }

  let reader: xmlTextReaderPtr
  let sink: ObservationSink
  private(set) var warnings: [String] = []
  private(set) var valueCount = 0

  private var stack: [(kind: Kind, name: String)] = []
  /// Attribute values, reused from element to element: partner, id, period, territory,
  /// indicator, unit.
  private let slots = AttributeSlots(count: 6)
  private var text: [UInt8] = []
  private var valueLine = 0
  private var ignoredPaths: Set<String> = []
  /// The distinct ignored paths noted so far (warnings stop at 20 elements, 50 in all).
  var ignoredPathCount: Int { ignoredPaths.count }

  private let stream: XMLNodeStream

  init(reader: xmlTextReaderPtr, sink: ObservationSink) {
    self.reader = reader
    self.sink = sink
    stream = XMLNodeStream(reader: reader)
  }

  /// Reads to the end; returns the problem that makes the file malformed, if any.
  mutating func run() -> FileProblem? {
    sink.setFieldLabels([
      .partner: "submission/@partner", .response: "response/@id", .period: "response/@period",
      .territory: "response/@territory", .indicator: "value/@indicator", .value: "value",
      .unit: "value/@unit",
    ])
    var sawRoot = false
    do {
      loop: while true {
        switch try stream.next() {
        case .finished:
          break loop
        case .start(let isEmpty):
          let name = xmlTextReaderConstLocalName(reader)
          let kind: Kind
          if stack.isEmpty {
            if sawRoot { return problem("more than one root element") }
            sawRoot = true
            if Self.equals(name, "submissions") {
              kind = .submissions
            } else if Self.equals(name, "submission") {
              kind = .submission
            } else {
              return problem("the root element <\(stream.localName)> is neither <submissions> nor <submission>")
            }
          } else {
            kind = childKind(name, of: stack.last!.kind)
          }
          stack.append((kind, Self.name(of: kind) ?? stream.localName))
          start(kind)
          if isEmpty { end() }
        case .end:
          end()
        case .text:
          guard stack.last?.kind == .value else { break }
          let value = stream.value
          if text.isEmpty && valueLine >= 65535 && value.first != 0x0A && value.first != 0x0D {
            // Past the 16-bit lines, the value's text (on its element's line) knows best.
            valueLine = stream.line
          }
          text.append(contentsOf: value)
        }
      }
    } catch {
      return FileProblem(message: error.message, line: error.line, path: currentPath())
    }
    if !sawRoot { return problem("no root element") }
    return nil
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

  private mutating func start(_ kind: Kind) {
    switch kind {
    case .submissions:
      break
    case .submission:
      readAttributes(Self.submissionAttributes)
    case .response:
      readAttributes(Self.responseAttributes)
    case .value:
      text.removeAll(keepingCapacity: true)
      valueLine = stream.line
      readAttributes(Self.valueAttributes)
    case .ignored:
      let path = currentPath()
      if stack.dropLast().contains(where: { $0.kind == .ignored }) { break }  // inside an ignored element
      if ignoredPaths.count < 20 && ignoredPaths.insert(path).inserted {
        warnings.append("ignored element \(path) and its content")
      }
    }
  }

  private mutating func end() {
    guard let top = stack.popLast() else { return }
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

  private static let submissionAttributes: [(StaticString, Int)] = [("partner", 0)]
  private static let responseAttributes: [(StaticString, Int)] = [("id", 1), ("period", 2), ("territory", 3)]
  private static let valueAttributes: [(StaticString, Int)] = [("indicator", 4), ("unit", 5)]

  /// Copies the current element's attributes named in `wanted` into their slots (marking
  /// the others of the list absent); notes attributes nobody reads as ignored.
  private mutating func readAttributes(_ wanted: [(StaticString, Int)]) {
    for (_, slot) in wanted { slots.clear(slot) }
    guard xmlTextReaderMoveToFirstAttribute(reader) == 1 else { return }
    repeat {
      let name = xmlTextReaderConstLocalName(reader)
      if let (_, slot) = wanted.first(where: { Self.equals(name, $0.0) }) {
        let value = xmlTextReaderConstValue(reader)
        slots.set(slot, UnsafeRawBufferPointer(start: value, count: value.map { strlen($0) } ?? 0))
      } else if !Self.equals(xmlTextReaderConstPrefix(reader), "xmlns") && !Self.equals(name, "xmlns") {
        let path = currentPath() + "/@" + stream.localName
        if ignoredPaths.count < 50 && ignoredPaths.insert(path).inserted {
          warnings.append("ignored attribute \(path)")
        }
      }
    } while xmlTextReaderMoveToNextAttribute(reader) == 1
    xmlTextReaderMoveToElement(reader)
  }

  private func withBytes(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Void) {
    guard let bytes else { return body(nil) }
    bytes.withUnsafeBytes { body($0) }
  }

  private func constString(_ pointer: UnsafePointer<xmlChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  private func currentPath() -> String {
    "/" + stack.map(\.name).joined(separator: "/")
  }

  private func problem(_ message: String) -> FileProblem {
    stream.problem(message, path: currentPath())
  }
}
