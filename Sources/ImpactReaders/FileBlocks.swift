#if canImport(Glibc)
  import Glibc
#endif

/// A file opened for reading in large blocks with POSIX calls.
final class FileBlocks {
  let descriptor: Int32

  init(path: String) throws(FileProblem) {
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    if descriptor < 0 { throw FileProblem(message: "cannot open: \(String(cString: strerror(errno)))") }
  }

  deinit { _ = close(descriptor) }

  /// Reads up to `count` bytes into `buffer`; 0 at the end of the file.
  func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(FileProblem) -> Int {
    while true {
      let got = Glibc.read(descriptor, buffer, count)
      if got >= 0 { return got }
      if errno == EINTR { continue }
      throw FileProblem(message: "cannot read: \(String(cString: strerror(errno)))")
    }
  }

  /// Moves back to the start of the file.
  func rewind() { _ = lseek(descriptor, 0, SEEK_SET) }

  /// Moves to byte `offset`.
  func seek(to offset: Int) { _ = lseek(descriptor, off_t(offset), SEEK_SET) }

  /// Reads up to `count` bytes at `offset`, without moving; 0 at the end of the file.
  func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws(FileProblem) -> Int {
    while true {
      let got = pread(descriptor, buffer, count, off_t(offset))
      if got >= 0 { return got }
      if errno == EINTR { continue }
      throw FileProblem(message: "cannot read: \(String(cString: strerror(errno)))")
    }
  }
}
