import ImpactModel

/// Reads the records of a mapped XML source: each element matching `recordPath` is one
/// record, and each requested path is read relative to it (`a/b`, `a/@x`, `@x`), or from
/// the document when it starts with `/` (an ancestor's attribute, a header element).
///
/// Names match by local name: namespace prefixes (`orx:meta`) are ignored. The first
/// occurrence of a path in a record wins.
struct XMLRecordWalker {
  let stream: XMLNodeStream
  let fields: [RequestedField]
  let sink: RecordSink
  private(set) var recordCount = 0
  private(set) var unmappedPaths: [String] = []
  private(set) var driftProblem: FileProblem?
  private(set) var missingFields: [FieldReference] = []

  private let recordSegments: [String]
  /// Per requested field: its path split into segments, whether it is absolute, and the
  /// attribute name it ends with (nil for an element's text).
  private let targets: [(segments: [String], absolute: Bool, attribute: String?)]
  private var stack: [String] = []
  private var recordDepth: Int?
  private var recordLine = 0
  private var values: [[UInt8]?]
  private var documentValues: [[UInt8]?]
  /// Fields whose text is being collected, with the stack depth of their element.
  private var collecting: [(slot: Int, depth: Int, absolute: Bool)] = []
  private var seen: [Bool]
  private var unmapped: Set<String> = []

  init(stream: XMLNodeStream, recordPath: String, fields: [RequestedField], sink: RecordSink) {
    self.stream = stream
    self.fields = fields
    self.sink = sink
    recordSegments = recordPath.split(separator: "/").map(String.init)
    targets = fields.map { field in
      let path: String
      switch field.reference {
      case .path(let text): path = text
      case .column(let name): path = name
      }
      var segments = path.split(separator: "/").map { Self.localName(String($0)) }
      var attribute: String?
      if let last = segments.last, last.hasPrefix("@") {
        attribute = String(last.dropFirst())
        segments.removeLast()
      }
      return (segments, path.hasPrefix("/"), attribute)
    }
    values = Array(repeating: nil, count: fields.count)
    documentValues = Array(repeating: nil, count: fields.count)
    seen = Array(repeating: false, count: fields.count)
  }

  /// `orx:instanceID` → `instanceID`.
  static func localName(_ name: String) -> String {
    if let colon = name.firstIndex(of: ":"), !name.hasPrefix("@") { return String(name[name.index(after: colon)...]) }
    if name.hasPrefix("@"), let colon = name.firstIndex(of: ":") { return "@" + name[name.index(after: colon)...] }
    return name
  }

  mutating func run() -> FileProblem? {
    do {
      loop: while true {
        switch try stream.next() {
        case .finished: break loop
        case .start(let isEmpty):
          stack.append(stream.localName)
          startElement()
          if isEmpty { endElement() }
        case .end:
          endElement()
        case .text:
          let text = stream.value
          for entry in collecting {
            if entry.absolute {
              documentValues[entry.slot]?.append(contentsOf: text)
            } else {
              values[entry.slot]?.append(contentsOf: text)
            }
          }
          if recordDepth != nil && collecting.isEmpty && unmapped.count < 50 && !isBlank(text) {
            let path = relativePath()
            if !path.isEmpty && unmapped.insert(path).inserted { unmappedPaths.append(path) }
          }
        }
      }
    } catch {
      return FileProblem(message: error.message, line: error.line, path: "/" + stack.joined(separator: "/"))
    }
    if recordCount == 0 {
      return FileProblem(message: "no element matches the record path /\(recordSegments.joined(separator: "/"))")
    }
    let missing = fields.indices.filter { fields[$0].required && !seen[$0] }
    missingFields = missing.map { fields[$0].reference }
    if !missing.isEmpty {
      driftProblem = FileProblem(
        message:
          "no record has the mapped path(s) \(missing.map { "'\(fields[$0].reference.label)'" }.joined(separator: ", ")): the form changed?"
      )
    }
    return nil
  }

  private func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
  }

  private func matchesRecordPath() -> Bool {
    guard stack.count == recordSegments.count else { return false }
    for (name, pattern) in zip(stack, recordSegments) where pattern != "*" && Self.localName(pattern) != name {
      return false
    }
    return true
  }

  private func relativePath() -> String {
    guard let recordDepth else { return "" }
    return stack[recordDepth...].joined(separator: "/")
  }

  private mutating func startElement() {
    if recordDepth == nil && matchesRecordPath() {
      recordDepth = stack.count
      recordLine = stream.line
      for slot in values.indices { values[slot] = nil }
    }
    let depth = stack.count
    var attributes: [(String, [UInt8])]?
    for (slot, target) in targets.enumerated() {
      let matches: Bool
      if target.absolute {
        matches = target.segments == stack
      } else if let recordDepth, depth >= recordDepth {
        matches = target.segments.elementsEqual(stack[recordDepth...])
      } else {
        matches = false
      }
      guard matches else { continue }
      if let attribute = target.attribute {
        if attributes == nil {
          var list: [(String, [UInt8])] = []
          stream.forEachAttribute { name, value in list.append((name, Array(value))) }
          attributes = list
        }
        if let value = attributes!.first(where: { $0.0 == attribute })?.1 {
          store(slot, value, absolute: target.absolute)
        }
      } else if target.absolute || values[slot] == nil {
        // Text is gathered until the element ends; the first occurrence in a record wins.
        if target.absolute { documentValues[slot] = [] } else { values[slot] = [] }
        collecting.append((slot, depth, target.absolute))
      }
    }
  }

  private mutating func store(_ slot: Int, _ value: [UInt8], absolute: Bool) {
    if absolute {
      documentValues[slot] = value
    } else if values[slot] == nil {
      values[slot] = value
    }
  }

  private mutating func endElement() {
    let depth = stack.count
    collecting.removeAll { $0.depth == depth }
    if let recordDepth, depth == recordDepth {
      emitRecord()
      self.recordDepth = nil
    }
    stack.removeLast()
  }

  private mutating func emitRecord() {
    recordCount += 1
    var merged = values
    for slot in merged.indices where targets[slot].absolute { merged[slot] = documentValues[slot] }
    for slot in merged.indices where merged[slot] != nil { seen[slot] = true }
    var pointers = [UnsafeRawBufferPointer?](repeating: nil, count: merged.count)
    func deliver(_ slot: Int) {
      guard slot < merged.count else {
        pointers.withUnsafeBufferPointer { sink.record(RecordValues(values: $0, line: recordLine)) }
        return
      }
      guard let bytes = merged[slot] else { return deliver(slot + 1) }
      bytes.withUnsafeBytes { buffer in
        pointers[slot] = buffer
        deliver(slot + 1)
      }
    }
    deliver(0)
  }
}
