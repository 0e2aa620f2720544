import Foundation
import ImpactReaders

/// The input files of a run: the named files, and the files of the named folders whose
/// extension a registered format claims, sorted by path (byte order) so that "last
/// wins" means the same on every machine.
public struct InputDiscovery {
  public private(set) var files: [String] = []
  /// Files found in folders that no format claims, and hidden files skipped.
  public private(set) var skipped: [String] = []

  /// Expands `paths`; a path that does not exist is a usage error.
  public init(paths: [String]) throws(UsageError) {
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
        if name.hasPrefix(".") {
          if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
            enumerator.skipDescendants()
          }
          continue
        }
        guard (enumerator.fileAttributes?[.type] as? FileAttributeType) != .typeDirectory else { continue }
        if InputFormats.claims(fileName: name) { found.append(full) } else { skipped.append(full) }
      }
    }
    var seen: Set<String> = []
    files = found.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    skipped.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }
}

/// A mistake in how the command was called: exit code 2.
public struct UsageError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}
