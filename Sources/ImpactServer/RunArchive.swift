import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The published runs of an output folder, and the only files a client may read there.
///
/// Nothing is served by path: a request names a run id, which must be a published run
/// folder of the archive (no `/`, no dot segments, no hidden folder), and a file name from
/// a fixed list. The resolved file must then lie inside that run folder once symbolic
/// links are followed, so a link planted in a run folder cannot reach outside it.
public struct RunArchive: Sendable {
  /// The files a run folder may serve, with their media types.
  public static let servedFiles: [String: String] = [
    "summary.json": "application/json; charset=utf-8",
    "aggregates.csv": "text/csv; charset=utf-8",
    "records.csv": "text/csv; charset=utf-8",
    "rejects.csv": "text/csv; charset=utf-8",
    "trends.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
  ]

  /// The output folder, as a real path (symbolic links resolved).
  public let root: String

  public init(outputDirectory: String) throws {
    guard let real = Self.realPath(outputDirectory) else {
      throw ServerError(message: "no output folder at \(outputDirectory): run `impact run` first or pass --output")
    }
    root = real
  }

  /// One published run, from its `summary.json`.
  public struct Run: Sendable, Equatable {
    public let id: String
    public let startedAt: String
    public let counts: [String: Int]
  }

  /// The published runs, newest first (run ids start with their UTC start time).
  public func runs() -> [Run] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return names.filter(isRunID).sorted(by: >).compactMap { name in
      guard let data = FileManager.default.contents(atPath: root + "/" + name + "/summary.json"),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
      else { return nil }
      return Run(
        id: name, startedAt: json["started_at"] as? String ?? "", counts: json["counts"] as? [String: Int] ?? [:])
    }
  }

  /// The run `latest` points at, when it is a published run.
  public func latestRunID() -> String? {
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/latest") else { return nil }
    let name = (target as NSString).lastPathComponent
    return isRunID(name) && isPublished(name) ? name : nil
  }

  /// The path of a file of a run, or nil when the run or the file is not one the archive
  /// serves.
  public func file(run: String, name: String) -> String? {
    guard isRunID(run), Self.servedFiles[name] != nil, isPublished(run) else { return nil }
    let folder = root + "/" + run
    guard let real = Self.realPath(folder + "/" + name), let realFolder = Self.realPath(folder),
      real.hasPrefix(realFolder + "/")
    else { return nil }
    var info = stat()
    guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return real
  }

  /// Whether `name` has the shape of a run id: what `impact run` writes, nothing else.
  func isRunID(_ name: String) -> Bool {
    guard !name.isEmpty, name.count <= 64, let first = name.first, first.isNumber else { return false }
    return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
  }

  private func isPublished(_ run: String) -> Bool {
    var isDirectory: ObjCBool = false
    let path = root + "/" + run
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
      let real = Self.realPath(path)
    else { return false }
    return real == path && FileManager.default.fileExists(atPath: path + "/summary.json")
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}

/// A problem starting the server: exit code 2.
public struct ServerError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}
