/// One of `count` shards of a run, split by partner: shard `index` (1-based) takes the
/// partners whose id hashes to it, so that every grouping set merges exactly when each
/// partner is processed by one shard.
///
/// The hash is FNV-1a (64 bits) of the partner id's UTF-8 bytes, trimmed and lower-cased,
/// modulo `count`: the same on every machine and every run. An observation with no usable
/// partner id (empty, or not `[a-z0-9-]{1,64}`) belongs to shard 1.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  public let index: Int
  public let count: Int

  public init?(index: Int, count: Int) {
    guard count >= 1, (1...count).contains(index) else { return nil }
    self.index = index
    self.count = count
  }

  /// Parses `K/N`.
  public init?(parsing text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
    self.init(index: index, count: count)
  }

  public var description: String { "\(index)/\(count)" }

  /// Whether this shard takes the observations of `partner` (as written or normalized).
  public func owns(partner: String) -> Bool { Self.shard(of: partner, count: count) == index }

  /// The shard, 1 to `count`, of a partner id.
  public static func shard(of partner: String, count: Int) -> Int {
    var bytes = Array(partner.utf8)
    while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
    while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
    for index in bytes.indices where (0x41...0x5A).contains(bytes[index]) { bytes[index] += 0x20 }
    let usable =
      (1...64).contains(bytes.count)
      && bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    guard usable, count > 1 else { return 1 }
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return Int(hash % UInt64(count)) + 1
  }
}
