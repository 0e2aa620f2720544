import Foundation

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
