import Foundation
import ImpactModel
import ImpactReaders

/// One file to read, and the source that maps it (nil: the canonical format).
public struct Input: Sendable {
  public let path: String
  public let source: SourceDefinition?
}

/// The input files of a run: the named files, the files of the named folders whose
/// extension a registered format claims, and the files of the pipeline's sources, sorted
/// by path (byte order) so that "last wins" means the same on every machine. A file that
/// a source's glob matches is read with that source's mapping, wherever it was found.
public struct InputDiscovery {
  public private(set) var inputs: [Input] = []
  /// Files found in folders that no format claims (hidden files and Markdown notes such as
  /// a README are passed over).
  public private(set) var skipped: [String] = []
  /// Source globs that matched no file.
  public private(set) var emptyPatterns: [String] = []

  /// The paths of the inputs, in reading order.
  public var files: [String] { inputs.map(\.path) }

  /// No input at all: a run that reports on its store alone.
  public static var empty: InputDiscovery { InputDiscovery() }

  private init() {}

  /// Expands `paths` and the sources' globs; a path that does not exist is a usage error.
  public init(paths: [String], sources: [SourceDefinition] = [], includeSourceFiles: Bool = false) throws(UsageError) {
    let manager = FileManager.default
    var found: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw UsageError(message: "no such file or folder: \(path)")
      }
      if !isDirectory.boolValue {
        found.append(path)
        continue
      }
      guard let enumerator = manager.enumerator(atPath: path) else {
        throw UsageError(message: "cannot list the folder \(path)")
      }
      while let relative = enumerator.nextObject() as? String {
        let name = (relative as NSString).lastPathComponent
        let full = path.hasSuffix("/") ? path + relative : path + "/" + relative
        let isFolder = (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory
        if name.hasPrefix(".") {
          if isFolder { enumerator.skipDescendants() }
          continue
        }
        if isFolder || name.lowercased().hasSuffix(".md") { continue }
        if InputFormats.claims(fileName: name) || Self.source(of: full, in: sources) != nil {
          found.append(full)
        } else {
          skipped.append(full)
        }
      }
    }
    if includeSourceFiles {
      for source in sources {
        for pattern in source.files {
          let matches = Self.glob(pattern)
          if matches.isEmpty { emptyPatterns.append(pattern) }
          found += matches
        }
      }
    }
    var seen: Set<String> = []
    inputs = found.filter { seen.insert(Self.absolute($0)).inserted }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      .map { Input(path: $0, source: Self.source(of: $0, in: sources)) }
    skipped.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// The first source whose glob matches `path`.
  static func source(of path: String, in sources: [SourceDefinition]) -> SourceDefinition? {
    let full = absolute(path)
    return sources.first { source in source.files.contains { fnmatch(absolute($0), full, FNM_PATHNAME) == 0 } }
  }

  static func absolute(_ path: String) -> String {
    let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return (full as NSString).standardizingPath
  }

  /// The files a glob matches, sorted.
  static func glob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
    var paths: [String] = []
    for index in 0..<Int(result.gl_pathc) {
      if let path = result.gl_pathv[index].map({ String(cString: $0) }) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
          paths.append(path)
        }
      }
    }
    return paths
  }
}

/// A mistake in how the command was called: exit code 2.
public struct UsageError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}
