import CLibXML2
import ImpactModel

#if canImport(Glibc)
  import Glibc
#endif

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
  private var partner: [UInt8]?
  private var responseID: [UInt8]?
  private var period: [UInt8]?
  private var territory: [UInt8]?
  private var indicator: [UInt8]?
  private var unit: [UInt8]?
  private var text: [UInt8] = []
  private var valueLine = 0
  private var ignoredPaths: Set<String> = []

  init(reader: xmlTextReaderPtr, sink: ObservationSink) {
    self.reader = reader
    self.sink = sink
  }

  /// Reads to the end; returns the problem that makes the file malformed, if any.
  mutating func run() -> FileProblem? {
    sink.setFieldLabels([
      .partner: "submission/@partner", .response: "response/@id", .period: "response/@period",
      .territory: "response/@territory", .indicator: "value/@indicator", .value: "value",
      .unit: "value/@unit",
    ])
    var sawRoot = false
    let stream = XMLNodeStream(reader: reader)
    do {
      loop: while true {
        switch try stream.next() {
        case .finished:
          break loop
        case .start(let isEmpty):
          let name = stream.localName
          let kind: Kind
          if stack.isEmpty {
            if sawRoot { return problem("more than one root element") }
            sawRoot = true
            switch name {
            case "submissions": kind = .submissions
            case "submission": kind = .submission
            default: return problem("the root element <\(name)> is neither <submissions> nor <submission>")
            }
          } else {
            kind = childKind(name, of: stack.last!.kind)
          }
          stack.append((kind, name))
          start(kind)
          if isEmpty { end() }
        case .end:
          end()
        case .text:
          if stack.last?.kind == .value { text.append(contentsOf: stream.value) }
        }
      }
    } catch {
      return FileProblem(message: error.message, line: error.line, path: currentPath())
    }
    if !sawRoot { return problem("no root element") }
    return nil
  }

  private func childKind(_ name: String, of parent: Kind) -> Kind {
    switch (parent, name) {
    case (.submissions, "submission"): .submission
    case (.submission, "response"): .response
    case (.response, "value"): .value
    // A value out of place is still an observation read: it is rejected for what it lacks.
    case (.submissions, "value"), (.submission, "value"): .value
    default: .ignored
    }
  }

  private mutating func start(_ kind: Kind) {
    switch kind {
    case .submissions:
      break
    case .submission:
      partner = readAttributes(Self.submissionAttributes)[0]
    case .response:
      let values = readAttributes(Self.responseAttributes)
      responseID = values[0]
      period = values[1]
      territory = values[2]
    case .value:
      text.removeAll(keepingCapacity: true)
      valueLine = currentLine()
      let values = readAttributes(Self.valueAttributes)
      indicator = values[0]
      unit = values[1]
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
      responseID = nil
      period = nil
      territory = nil
      return
    case .submission:
      partner = nil
      return
    case .value: break
    default: return
    }
    valueCount += 1
    var raw = RawObservation(line: valueLine)
    withBytes(partner) { partner in
      withBytes(responseID) { response in
        withBytes(period) { period in
          withBytes(territory) { territory in
            withBytes(indicator) { indicator in
              withBytes(unit) { unit in
                text.withUnsafeBytes { value in
                  raw.partner = partner
                  raw.response = response
                  raw.period = period
                  raw.territory = territory
                  raw.indicator = indicator
                  raw.unit = unit
                  raw.value = value
                  sink.observation(raw)
                }
              }
            }
          }
        }
      }
    }
  }

  private static let submissionAttributes = ["partner"]
  private static let responseAttributes = ["id", "period", "territory"]
  private static let valueAttributes = ["indicator", "unit"]

  /// The values of the current element's attributes named in `wanted` (nil where absent);
  /// notes the others as ignored.
  private mutating func readAttributes(_ wanted: [String]) -> [[UInt8]?] {
    var values = [[UInt8]?](repeating: nil, count: wanted.count)
    guard xmlTextReaderMoveToFirstAttribute(reader) == 1 else { return values }
    repeat {
      let name = constString(xmlTextReaderConstLocalName(reader))
      if let index = wanted.firstIndex(of: name) {
        let value = xmlTextReaderConstValue(reader)
        values[index] = value.map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
      } else if constString(xmlTextReaderConstPrefix(reader)) != "xmlns" && name != "xmlns" {
        let path = currentPath() + "/@" + name
        if ignoredPaths.count < 50 && ignoredPaths.insert(path).inserted {
          warnings.append("ignored attribute \(path)")
        }
      }
    } while xmlTextReaderMoveToNextAttribute(reader) == 1
    xmlTextReaderMoveToElement(reader)
    return values
  }

  private func withBytes(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> Void) {
    guard let bytes else { return body(nil) }
    bytes.withUnsafeBytes { body($0) }
  }

  private func constString(_ pointer: UnsafePointer<xmlChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  private func currentLine() -> Int {
    guard let node = xmlTextReaderCurrentNode(reader) else { return 0 }
    return Int(xmlGetLineNo(node))
  }

  private func currentPath() -> String {
    "/" + stack.map(\.name).joined(separator: "/")
  }

  private func problem(_ message: String) -> FileProblem {
    XMLNodeStream(reader: reader).problem(message, path: currentPath())
  }
}
