import Foundation
import ImpactModel
import Yams

/// A YAML definition file read as a node tree, with every problem collected as a
/// `Problem` carrying the file, line and key, instead of stopping at the first one.
struct YAMLFile {
  let path: String
  let root: Node?
  private(set) var problems: [Problem] = []

  init(path: String) {
    self.path = path
    guard let data = FileManager.default.contents(atPath: path) else {
      root = nil
      problems.append(
        Problem(code: "unreadable", message: "cannot read the file", position: SourcePosition(file: path, line: 0)))
      return
    }
    guard let text = String(data: data, encoding: .utf8) else {
      root = nil
      problems.append(
        Problem(code: "encoding", message: "the file is not UTF-8", position: SourcePosition(file: path, line: 0)))
      return
    }
    do {
      root = try Yams.compose(yaml: text)
      if root == nil {
        problems.append(
          Problem(code: "empty", message: "the file is empty", position: SourcePosition(file: path, line: 0)))
      }
    } catch let error as YamlError {
      root = nil
      problems.append(
        Problem(
          code: "yaml_syntax", message: "\(error)".replacingOccurrences(of: "\n", with: " "),
          position: SourcePosition(file: path, line: 0)))
    } catch {
      root = nil
      problems.append(Problem(code: "yaml_syntax", message: "\(error)", position: SourcePosition(file: path, line: 0)))
    }
  }

  mutating func problem(_ code: String, _ message: String, at node: Node?, key: String = "") {
    let line = node?.mark?.line ?? 0
    problems.append(Problem(code: code, message: message, position: SourcePosition(file: path, line: line, field: key)))
  }

  /// The members of a mapping node, or a problem.
  mutating func mapping(_ node: Node?, _ what: String) -> [(key: String, value: Node)]? {
    guard let node, let mapping = node.mapping else {
      problem("wrong_type", "\(what) must be a mapping of keys to values", at: node)
      return nil
    }
    return mapping.map { (key: $0.key.string ?? "", value: $0.value) }
  }

  /// Reports keys that are not in `known`, so that a typo does not pass silently.
  mutating func checkKeys(_ members: [(key: String, value: Node)], known: [String], in what: String) {
    for member in members where !known.contains(member.key) {
      problem(
        "unknown_key", "unknown key '\(member.key)' in \(what); known keys: \(known.joined(separator: ", "))",
        at: member.value, key: member.key)
    }
  }

  /// A scalar as text, or a problem when it is not one.
  mutating func string(_ node: Node?, key: String) -> String? {
    guard let node else { return nil }
    guard let scalar = node.scalar else {
      problem("wrong_type", "'\(key)' must be a single value", at: node, key: key)
      return nil
    }
    return scalar.string
  }

  /// The path of `relative` resolved against this file's folder.
  /// Relative paths stay relative to the current folder (as reports show them), without
  /// `..` detours: `pipelines/../samples` is `samples`.
  func resolve(_ relative: String) -> String {
    if relative.hasPrefix("/") { return (relative as NSString).standardizingPath }
    let folder = (path as NSString).deletingLastPathComponent
    let joined = folder.isEmpty ? relative : folder + "/" + relative
    let current = FileManager.default.currentDirectoryPath
    let absolute = URL(fileURLWithPath: joined, relativeTo: URL(fileURLWithPath: current + "/")).standardizedFileURL
      .path
    if absolute == current { return "." }
    if absolute.hasPrefix(current + "/"), !path.hasPrefix("/") { return String(absolute.dropFirst(current.count + 1)) }
    return absolute
  }
}
