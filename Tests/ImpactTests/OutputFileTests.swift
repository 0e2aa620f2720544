import Foundation
import ImpactSupport
import Testing

/// Output files hold exactly the bytes written to them, whether whole blocks go straight to
/// the disk (the tail through the cache) or everything through the cache.
@Suite struct OutputFileTests {
  /// Writes pieces that end inside, on and past block and buffer bounds, closes the file,
  /// and compares it with what was written.
  func writeAndCompare(in folder: String, direct: Bool, bufferSize: Int) throws {
    let path = folder + "/out-\(direct)-\(bufferSize).bin"
    let file = try OutputFile(path: path, bufferSize: bufferSize, direct: direct)
    var expected: [UInt8] = []
    for size in [0, 1, 4095, 4096, 4097, 10_000, 3 * bufferSize + 17, 5] {
      let piece = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
      try file.write(piece)
      try file.write(byte: 0x0A)
      expected += piece + [0x0A]
    }
    var buffer = ByteBuffer(capacity: 64)
    defer { buffer.deallocate() }
    buffer.appendDecimal(1_234_567)
    try file.write(buffer)
    expected += Array("1234567".utf8)
    try file.close()
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(expected))
  }

  @Test(arguments: [true, false])
  func holdsExactlyWhatWasWritten(direct: Bool) throws {
    let folder = TemporaryDirectory()
    for bufferSize in [4096, 1 << 16, 4 << 20] {
      try writeAndCompare(in: folder.path, direct: direct, bufferSize: bufferSize)
    }
  }

  @Test func afterAFailedWriteEveryWriteAndTheCloseFail() throws {
    // /dev/full refuses every write (ENOSPC); a background write's failure shows at the next
    // buffer written, and is not forgotten after.
    guard FileManager.default.isWritableFile(atPath: "/dev/full") else {
      print("skipped: afterAFailedWriteEveryWriteAndTheCloseFail: no writable /dev/full here")
      return
    }
    let file = try OutputFile(path: "/dev/full", bufferSize: 1 << 16)
    let piece = [UInt8](repeating: 7, count: 1 << 16)
    var failures = 0
    for _ in 0..<4 {
      do { try file.write(piece) } catch { failures += 1 }
    }
    #expect(failures >= 2)
    #expect(throws: OutputFile.WriteError.self) { try file.write(byte: 1) }
    #expect(throws: OutputFile.WriteError.self) { try file.close() }
  }

  @Test func aClosedFileRefusesWritesAndASecondClose() throws {
    let folder = TemporaryDirectory()
    let path = folder.path + "/closed.bin"
    let file = try OutputFile(path: path, bufferSize: 4096)
    try file.write(Array(repeating: 1, count: 10_000))
    try file.close()
    #expect(throws: OutputFile.WriteError.self) { try file.write(byte: 2) }
    #expect(throws: OutputFile.WriteError.self) { try file.close() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 1, count: 10_000))
  }

  @Test func aFileSystemThatMayRefuseDirectWritesGetsTheSameBytes() throws {
    // tmpfs takes O_DIRECT only since Linux 6.6: before, the file is written through the cache.
    let folder = "/dev/shm/impact-tests-" + UUID().uuidString
    guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)) != nil
    else {
      print("skipped: aFileSystemThatMayRefuseDirectWritesGetsTheSameBytes: /dev/shm is not writable here")
      return
    }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try writeAndCompare(in: folder, direct: true, bufferSize: 1 << 16)
  }
}
