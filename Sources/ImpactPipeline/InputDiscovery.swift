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
  /// Folders that could not be listed (also in `skipped`), each with the reason.
  public private(set) var unreadableFolders: [(path: String, reason: String)] = []

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
      try walk(path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path, sources: sources, into: &found)
    }
    if includeSourceFiles {
      for source in sources {
        for pattern in source.files {
          // Uploads keep their name in a folder of their own beside the files sent otherwise.
          let folder = (pattern as NSString).deletingLastPathComponent
          let uploads = (folder as NSString).appendingPathComponent(UploadFolder.globPattern)
          let matches =
            Self.glob(pattern) + Self.glob((uploads as NSString).appendingPathComponent(pattern.lastPathComponent))
          if matches.isEmpty { emptyPatterns.append(pattern) }
          found += matches
        }
      }
    }
    // The same file named twice is read once; two names of one file (a symbolic link) are
    // two inputs, which the digest then tells apart as copies. Paths are compared byte for
    // byte: two names that differ only in their Unicode normalization (`café.csv` composed
    // and decomposed) are two files, where `String` equality says one.
    var seen: Set<[UInt8]> = []
    inputs = found.filter { seen.insert(Array(Self.absolute($0).utf8)).inserted }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      .map { Input(path: $0, source: Self.source(of: $0, in: sources)) }
    skipped.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Adds the files of `folder` and its subfolders (not those reached through a symbolic
  /// link, nor hidden ones) to `found`, or to `skipped` when no format or source claims
  /// them. A subfolder that cannot be listed is skipped and named with the reason (a
  /// volume's root-only `lost+found` must not stop every run); the folder given cannot
  /// be skipped.
  private mutating func walk(
    _ folder: String, sources: [SourceDefinition], into found: inout [String], given: Bool = true
  ) throws(UsageError) {
    let manager = FileManager.default
    let names: [String]
    do {
      names = try manager.contentsOfDirectory(atPath: folder)
    } catch {
      let reason = access(folder, R_OK | X_OK) != 0 ? String(cString: strerror(errno)) : "\(error)"
      guard !given else { throw UsageError(message: "cannot read the folder \(folder): \(reason)") }
      unreadableFolders.append((folder, reason))
      skipped.append(folder)
      return
    }
    for name in names where !name.hasPrefix(".") {
      let full = folder + "/" + name
      let type = (try? manager.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
      if type == .typeDirectory {
        try walk(full, sources: sources, into: &found, given: false)
        continue
      }
      if name.lowercased().hasSuffix(".md") { continue }
      if InputFormats.claims(fileName: name) || Self.source(of: full, in: sources) != nil {
        found.append(full)
      } else {
        skipped.append(full)
      }
    }
  }

  /// The first source whose glob matches `path`, or matches it without the upload folder
  /// it is in (see `UploadFolder`).
  static func source(of path: String, in sources: [SourceDefinition]) -> SourceDefinition? {
    let full = absolute(path)
    var candidates = [full]
    let parent = (full as NSString).deletingLastPathComponent
    if UploadFolder.isUploadFolder(parent.lastPathComponent) {
      candidates.append(
        ((parent as NSString).deletingLastPathComponent as NSString).appendingPathComponent(full.lastPathComponent))
    }
    return sources.first { source in
      source.files.contains { pattern in
        let absolutePattern = absolute(pattern)
        return candidates.contains { fnmatch(absolutePattern, $0, FNM_PATHNAME) == 0 }
      }
    }
  }

  /// `path` made absolute, `.` and `..` resolved by name: symbolic links are not followed,
  /// so a link and the file it names stay two paths.
  static func absolute(_ path: String) -> String {
    let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    var parts: [Substring] = []
    for part in full.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        _ = parts.popLast()
        continue
      }
      parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
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

/// The folder an upload is kept in, in its partner's folder of the inbox: the upload's
/// arrival time (UTC, to the millisecond) and a sequence number, `20261129T154057.744Z-000`.
/// The file keeps the name it was sent with, so that the sources' globs and file-name
/// patterns see it, and uploads sort in arrival order.
public enum UploadFolder {
  /// The folder name for an upload that arrived at `date`, with `sequence` (0–999) telling
  /// apart uploads of the same millisecond.
  public static func name(arrivedAt date: Date, sequence: Int) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
    let number = String(sequence)
    return formatter.string(from: date) + "-" + String(repeating: "0", count: max(0, 3 - number.count)) + number
  }

  /// A glob that matches upload folder names.
  static let globPattern =
    "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9].[0-9][0-9][0-9]Z-[0-9][0-9][0-9]"

  /// Whether `name` is an upload folder's name.
  public static func isUploadFolder(_ name: String) -> Bool {
    fnmatch(globPattern, name, 0) == 0
  }
}

/// A mistake in how the command was called: exit code 2.
public struct UsageError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

extension String {
  /// The last component of a path.
  fileprivate var lastPathComponent: String { (self as NSString).lastPathComponent }
}
