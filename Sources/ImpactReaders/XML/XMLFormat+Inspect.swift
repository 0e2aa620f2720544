import Foundation
import ImpactModel

extension XMLFormat {
  /// Walks the whole document (with the same safety checks as reading), counts each
  /// element path, and takes as the record the shallowest repeated element that has
  /// children, or the root when a file holds one submission (ODK, Kobo).
  public func inspect(path: String) -> FileStructure {
    var structure = FileStructure(format: id)
    var walker: XMLStructureWalker?
    let outcome = read(path: path) { reader, _ in
      var structureWalker = XMLStructureWalker(stream: XMLNodeStream(reader: reader))
      let problem = structureWalker.run()
      walker = structureWalker
      return problem
    }
    structure.detected = outcome.detected
    structure.problem = outcome.problem
    guard let walker else { return structure }
    let repeated = walker.order.filter { walker.counts[$0, default: 0] > 1 && walker.parents.contains($0) }
    let record =
      repeated.min { $0.count(where: { $0 == "/" }) < $1.count(where: { $0 == "/" }) }
      ?? walker.order.first ?? "/"
    structure.recordPath = record == walker.order.first ? "/*" : record
    structure.records = walker.counts[record, default: 0]
    let prefix = record + "/"
    for path in walker.order where path.hasPrefix(prefix) || path.hasPrefix(record + "/@") {
      guard !walker.parents.contains(path) || path.contains("@") else { continue }
      var relative = String(path.dropFirst(prefix.count))
      if path.hasPrefix(record + "/@") { relative = String(path.dropFirst(record.count + 1)) }
      structure.fields.append(
        FileStructure.Field(
          name: relative, filled: walker.filled[path, default: 0], samples: walker.samples[path, default: []]))
    }
    return structure
  }
}

/// Counts the element and attribute paths of a document, with a few sample values.
struct XMLStructureWalker {
  let stream: XMLNodeStream
  private(set) var order: [String] = []
  private(set) var counts: [String: Int] = [:]
  private(set) var filled: [String: Int] = [:]
  private(set) var samples: [String: [String]] = [:]
  /// Paths of elements that have element children.
  private(set) var parents: Set<String> = []
  private var stack: [String] = []
  private var text: [UInt8] = []

  init(stream: XMLNodeStream) { self.stream = stream }

  mutating func run() -> FileProblem? {
    do {
      loop: while true {
        switch try stream.next() {
        case .finished: break loop
        case .start(let isEmpty):
          if let parent = stack.last { parents.insert(parent) }
          let path = (stack.last ?? "") + "/" + stream.localName
          stack.append(path)
          note(path)
          text.removeAll()
          var attributes: [(String, String)] = []
          stream.forEachAttribute { name, value in attributes.append((name, String(decoding: value, as: UTF8.self))) }
          for (name, value) in attributes {
            let attributePath = path + "/@" + name
            note(attributePath)
            sample(attributePath, value)
          }
          if isEmpty { stack.removeLast() }
        case .end:
          if let path = stack.popLast() {
            sample(path, String(decoding: text, as: UTF8.self))
            text.removeAll()
          }
        case .text:
          text.append(contentsOf: stream.value)
        }
      }
    } catch {
      return error
    }
    return nil
  }

  private mutating func note(_ path: String) {
    if counts[path] == nil { order.append(path) }
    counts[path, default: 0] += 1
  }

  private mutating func sample(_ path: String, _ value: String) {
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return }
    filled[path, default: 0] += 1
    if samples[path, default: []].count < 3 && !samples[path, default: []].contains(trimmed) {
      samples[path, default: []].append(String(trimmed.prefix(60)))
    }
  }
}
