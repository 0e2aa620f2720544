import Foundation
import ImpactSupport
import Testing

/// Chunks formatted by several threads at once land in chunk order, whole.
@Suite struct OrderedChunkWriterTests {
  @Test(arguments: [1, 2, 4] as [Int])
  func threadsWriteTheChunksInOrder(threads: Int) throws {
    let folder = TemporaryDirectory()
    let path = folder.path + "/out.txt"
    let writer = try OrderedChunkWriter(file: OutputFile(path: path), prefix: Array("head\n".utf8), chunkCount: 300) {
      index, buffer in
      // Uneven chunks, some slow, so that threads finish out of order.
      for line in 0..<(index % 7) * 40 { buffer.appendDecimal(UInt64(index * 1000 + line)) }
      if index % 5 == 0 { usleep(200) }
      buffer.append(0x0A)
    }
    let group = DispatchGroup()
    for _ in 1..<threads {
      group.enter()
      Thread.detachNewThread {
        writer.work()
        group.leave()
      }
    }
    writer.work()
    group.wait()
    try writer.finish()
    var expected = "head\n"
    for index in 0..<300 {
      for line in 0..<(index % 7) * 40 { expected += String(index * 1000 + line) }
      expected += "\n"
    }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
  }

  @Test func aFailedWriteIsReportedAtTheEnd() throws {
    // /dev/full accepts the open and fails every write with "No space left on device".
    let writer = try OrderedChunkWriter(file: OutputFile(path: "/dev/full"), chunkCount: 64) { _, buffer in
      for _ in 0..<(1 << 18) { buffer.append(0x41) }
    }
    writer.work()
    #expect(throws: OutputFile.WriteError.self) { try writer.finish() }
  }
}
