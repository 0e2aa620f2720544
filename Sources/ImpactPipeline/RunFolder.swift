import Foundation
import ImpactSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A run folder written under a temporary name and published in two atomic steps:
/// renamed to `DIR/<run-id>`, then `DIR/latest` re-pointed with `rename(2)` over a fresh
/// symbolic link. A run that fails before publication leaves neither a half-written
/// run folder nor a changed `latest`.
public struct RunFolder {
  public let outputDirectory: String
  public let runID: String
  /// Where reports are written until publication.
  public let workingPath: String

  public var publishedPath: String { outputDirectory + "/" + runID }
  public var latestPath: String { outputDirectory + "/latest" }

  /// Creates the working folder (and `outputDirectory` when missing).
  public init(outputDirectory: String, runID: String) throws {
    self.outputDirectory = outputDirectory
    self.runID = runID
    workingPath = outputDirectory + "/.partial-" + runID
    do {
      try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: workingPath, withIntermediateDirectories: false)
    } catch {
      let reason = (error as NSError).userInfo[NSUnderlyingErrorKey].map { "\($0)" } ?? "\(error)"
      throw RunError(
        message:
          "cannot create the run folder in \(outputDirectory): check that the folder can be created and written (\(reason))"
      )
    }
  }

  /// The path of a report inside the working folder.
  public func path(of file: String) -> String { workingPath + "/" + file }

  /// Makes the run visible: rename, then point `latest` at it.
  public func publish() throws {
    guard rename(workingPath, publishedPath) == 0 else {
      throw RunError(message: "cannot publish \(publishedPath): \(String(cString: strerror(errno)))")
    }
    syncDirectory(outputDirectory)
    let temporaryLink = outputDirectory + "/.latest-" + runID
    unlink(temporaryLink)
    guard symlink(runID, temporaryLink) == 0 else {
      throw RunError(message: "cannot create \(temporaryLink): \(String(cString: strerror(errno)))")
    }
    guard rename(temporaryLink, latestPath) == 0 else {
      // Take the run back: a run that `latest` cannot show is a failed run.
      let reason = String(cString: strerror(errno))
      unlink(temporaryLink)
      try? FileManager.default.removeItem(atPath: publishedPath)
      throw RunError(message: "cannot point \(latestPath) at the new run: \(reason)")
    }
    syncDirectory(outputDirectory)
  }

  /// Removes the working folder of a run that failed.
  public func discard() {
    try? FileManager.default.removeItem(atPath: workingPath)
  }

  private func syncDirectory(_ path: String) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY)
    if descriptor >= 0 {
      fsync(descriptor)
      close(descriptor)
    }
  }

  /// A new run id: the UTC start time, sortable, and a random suffix.
  public static func makeRunID(at date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
    return formatter.string(from: date) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
  }
}

/// A run that failed and published nothing: exit code 1.
public struct RunError: Error, CustomStringConvertible {
  public let message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

extension RunFolder {
  /// The hidden file in a run folder naming the state its reports were computed from.
  static let stateFile = ".impact-state"

  /// The run `DIR/latest` points at, or nil.
  public static func current(in outputDirectory: String) -> String? {
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: outputDirectory + "/latest"),
      !target.contains("/")
    else { return nil }
    return FileManager.default.fileExists(atPath: outputDirectory + "/" + target + "/summary.json") ? target : nil
  }

  /// The state a published run folder was computed from, or nil.
  static func state(of folder: String) -> String? {
    (try? String(contentsOfFile: folder + "/" + stateFile, encoding: .utf8))?.trimmingCharacters(
      in: .whitespacesAndNewlines)
  }

  static func writeState(_ state: String, into folder: String) throws {
    let file = try OutputFile(path: folder + "/" + stateFile)
    try file.write(Array((state + "\n").utf8))
    try file.close()
  }

  /// Removes all but the `keep` newest run folders of `outputDirectory`, never the one
  /// `latest` points at. Returns the ids removed.
  @discardableResult
  public static func prune(outputDirectory: String, keep: Int) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
    let current = Self.current(in: outputDirectory)
    // Newest first: by when the summary (written last) was written, then by id, since
    // ids of runs started within the same second differ only by a random suffix.
    func written(_ name: String) -> Date {
      let attributes = try? FileManager.default.attributesOfItem(atPath: outputDirectory + "/" + name + "/summary.json")
      return attributes?[.modificationDate] as? Date ?? .distantPast
    }
    let runs = names.filter { name in
      var isDirectory: ObjCBool = false
      return isRunID(name)
        && FileManager.default.fileExists(atPath: outputDirectory + "/" + name, isDirectory: &isDirectory)
        && isDirectory.boolValue
    }.map { ($0, written($0)) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    var removed: [String] = []
    for name in runs.dropFirst(max(0, keep)) where name != current {
      // Renamed out of sight first, so that a reader never sees a half-removed run.
      let doomed = outputDirectory + "/.pruned-" + name
      guard rename(outputDirectory + "/" + name, doomed) == 0 else { continue }
      try? FileManager.default.removeItem(atPath: doomed)
      removed.append(name)
    }
    return removed
  }

  /// Whether `name` has the shape `makeRunID` gives: `yyyyMMddTHHmmssZ-xxxx`.
  static func isRunID(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard bytes.count == 21, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
      bytes[16] == UInt8(ascii: "-")
    else { return false }
    return bytes.enumerated().allSatisfy { index, byte in
      switch index {
      case 8, 15, 16: true
      case 17...:
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
      default: (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
      }
    }
  }
}
