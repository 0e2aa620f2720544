import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One run at a time per store: an exclusive `flock(2)` on `STORE.lock`, released by the
/// kernel when the process ends however it ends, so a killed run never leaves a stale lock.
public final class StoreLock {
  public let path: String
  private let descriptor: Int32

  /// Another process holds the lock.
  public struct Busy: Error, CustomStringConvertible {
    public let path: String
    /// What the holder wrote into the lock file: its pid and start time.
    public let holder: String
    public var description: String {
      "another run holds the store lock \(path)\(holder.isEmpty ? "" : " (\(holder))"): try again later, or pass --wait"
    }
  }

  /// Takes the lock for `storePath`; with `wait`, blocks until it is free, else throws
  /// `Busy` at once.
  public init(storePath: String, wait: Bool) throws {
    path = storePath + ".lock"
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw StoreError(message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
    }
    if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK, wait else {
        let holder = Self.holder(of: path)
        close(descriptor)
        throw Busy(path: path, holder: holder)
      }
      while flock(descriptor, LOCK_EX) != 0 {
        guard errno == EINTR else {
          close(descriptor)
          throw StoreError(message: "cannot lock \(path): \(String(cString: strerror(errno)))")
        }
      }
    }
    let note = "pid \(getpid()) since \(Store.timestamp(Date()))\n"
    ftruncate(descriptor, 0)
    _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
  }

  deinit {
    ftruncate(descriptor, 0)
    close(descriptor)
  }

  private static func holder(of path: String) -> String {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
