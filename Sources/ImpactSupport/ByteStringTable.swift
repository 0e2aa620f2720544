import CIntrinsics

/// Interns byte strings: each distinct `(tag, bytes)` pair gets a dense `Int32` id, in
/// first-seen order.
///
/// The hot loops of the readers hand out fields as borrowed bytes; this table turns them
/// into small integers without allocating a `String` per field. The `tag` scopes a string
/// (for example a response id within its partner) without building a composite key.
///
/// An unindexed table hashes nothing: a string gets a new id unless it repeats the one
/// interned last, so the same string may hold two ids. A batch's response ids, which the
/// ledger interns again into its indexed table, are kept so: the rows of a response follow
/// each other, and hashing each response twice cost a tenth of a run.
public struct ByteStringTable: Sendable {
  /// Whether strings are found by hash (see above).
  public let indexed: Bool
  private var arena: [UInt8] = []
  private var starts: [Int] = [0]
  private var tags: [UInt32] = []
  private var hashes: [UInt64] = []
  /// The index: per slot, 0 when empty, else the id plus one in the low 32 bits and the
  /// high 32 bits of the string's hash above them. A slot of another string is passed by
  /// its hash bits, without reading that string's hash, tag or bytes (in a table larger
  /// than the cache, a miss each).
  private var slots: [UInt64]
  private var mask: Int
  /// The id `intern` returned last: rows of a file repeat their neighbour's partner,
  /// response, period and territory, and one comparison spares the hash.
  private var last: Int32 = -1
  /// For `find`: per quick slot (see `quickSlot`), the last string added there, or -1.
  /// The tables looked up with `find` are small and never change once built (the
  /// catalog's ids, a source's value maps), and looked up per row: a hit spares the full
  /// hash and the probe, three quarters of a lookup.
  private var recent: [Int32]

  /// Creates an empty table sized for about `capacity` strings before it grows.
  public init(capacity: Int = 64, indexed: Bool = true) {
    self.indexed = indexed
    var size = 16
    while indexed && size < capacity * 2 { size <<= 1 }
    slots = [UInt64](repeating: 0, count: size)
    mask = size - 1
    recent = indexed ? [Int32](repeating: -1, count: Self.quickSlots) : []
  }

  private static let quickSlots = 256

  /// A string's quick slot: its length, tag and first and last eight bytes, mixed by one
  /// multiplication (the full hash takes one per eight bytes and three more).
  @inline(__always)
  private static func quickSlot(_ bytes: UnsafeRawBufferPointer, tag: UInt32) -> Int {
    let count = bytes.count
    var key = UInt64(truncatingIfNeeded: count) | UInt64(tag) << 32
    if let base = bytes.baseAddress {
      if count >= 8 {
        let tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        key ^= base.loadUnaligned(as: UInt64.self) ^ (tail << 29 | tail >> 35)
      } else if count >= 4 {
        key ^=
          UInt64(base.loadUnaligned(as: UInt32.self)) << 8
          ^ UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 24
      } else if count > 0 {
        key ^=
          UInt64(base.load(as: UInt8.self)) << 8 ^ UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self)) << 16
      }
    }
    return Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56)
  }

  /// The slot entry of string `id`, whose hash is `hash` (see `slots`).
  @inline(__always)
  private static func entry(id: Int32, hash: UInt64) -> UInt64 {
    hash & 0xFFFF_FFFF_0000_0000 | UInt64(id + 1)
  }

  /// The id in a non-empty slot entry.
  @inline(__always)
  private static func id(of entry: UInt64) -> Int32 { Int32(truncatingIfNeeded: entry) - 1 }

  /// Whether a non-empty slot entry may be the string whose hash is `hash`.
  @inline(__always)
  private static func entry(_ entry: UInt64, mayHold hash: UInt64) -> Bool { (entry ^ hash) >> 32 == 0 }

  /// The number of distinct strings.
  public var count: Int { tags.count }

  /// The id of `bytes` under `tag`, adding it when it is new.
  public mutating func intern(_ bytes: UnsafeRawBufferPointer, tag: UInt32 = 0) -> Int32 {
    if last >= 0 && tags[Int(last)] == tag && equals(Int(last), bytes) { return last }
    guard indexed else { return appendUnindexed(bytes, tag: tag) }
    return intern(bytes, tag: tag, hash: byteHash(bytes, seed: UInt64(tag)))
  }

  /// The ids of every string of `other`, in its order, each interned under the tag
  /// `retag` gives for its tag in `other`: what interning them one by one gives, with each
  /// string's slot prefetched some strings ahead. In a table larger than the cache (the
  /// ledger's response ids), the cache misses then overlap instead of following each
  /// other: interning a batch's response ids spent half its time waiting for them, and
  /// still 94% of it when the slots ahead were read with loads rather than prefetched.
  public mutating func internAll(of other: ByteStringTable, retag: [UInt32]) -> [Int32] {
    precondition(indexed, "an indexed table")
    let count = other.count
    var ids = [Int32](repeating: 0, count: count)
    let ahead = 16
    other.arena.withUnsafeBytes { arena in
      func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[other.starts[index]..<other.starts[index + 1]])
      }
      let hashes = (0..<count).map { byteHash(bytes($0), seed: UInt64(retag[Int(other.tags[$0])])) }
      for index in 0..<count {
        if index + ahead < count {
          let slot = Int(truncatingIfNeeded: hashes[index + ahead]) & mask
          slots.withUnsafeBufferPointer { impact_prefetch($0.baseAddress! + slot) }
        }
        let tag = retag[Int(other.tags[index])]
        let string = bytes(index)
        ids[index] =
          last >= 0 && tags[Int(last)] == tag && equals(Int(last), string)
          ? last : intern(string, tag: tag, hash: hashes[index])
      }
    }
    return ids
  }

  /// The id of `bytes` under `tag`, whose hash is `hash`, adding it when it is new.
  private mutating func intern(_ bytes: UnsafeRawBufferPointer, tag: UInt32, hash: UInt64) -> Int32 {
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { break }
      let id = Self.id(of: entry)
      if Self.entry(entry, mayHold: hash) && tags[Int(id)] == tag && equals(Int(id), bytes) {
        last = id
        return id
      }
      slot = (slot + 1) & mask
    }
    let id = store(bytes, tag: tag)
    hashes.append(hash)
    slots[slot] = Self.entry(id: id, hash: hash)
    recent[Self.quickSlot(bytes, tag: tag)] = id
    if tags.count * 2 > slots.count { grow() }
    return id
  }

  /// Gives `bytes` under `tag` a new id in an unindexed table, whatever it holds.
  mutating func appendUnindexed(_ bytes: UnsafeRawBufferPointer, tag: UInt32) -> Int32 {
    precondition(!indexed, "an indexed table holds a string once")
    return store(bytes, tag: tag)
  }

  /// Adds `bytes` under `tag` as the next id, which becomes `last`; the index is the
  /// caller's.
  private mutating func store(_ bytes: UnsafeRawBufferPointer, tag: UInt32) -> Int32 {
    last = Int32(tags.count)
    arena.append(contentsOf: bytes)
    starts.append(arena.count)
    tags.append(tag)
    return last
  }

  /// The id of `string` under `tag`, adding it when it is new.
  public mutating func intern(_ string: String, tag: UInt32 = 0) -> Int32 {
    var copy = string
    return copy.withUTF8 { intern(UnsafeRawBufferPointer($0), tag: tag) }
  }

  /// The id of `bytes` under `tag`, or nil when the table does not hold it (an indexed
  /// table's).
  public func find(_ bytes: UnsafeRawBufferPointer, tag: UInt32 = 0) -> Int32? {
    precondition(indexed, "find in an unindexed table")
    let quick = recent[Self.quickSlot(bytes, tag: tag)]
    if quick >= 0 && tags[Int(quick)] == tag && equals(Int(quick), bytes) { return quick }
    let hash = byteHash(bytes, seed: UInt64(tag))
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return nil }
      let id = Self.id(of: entry)
      if Self.entry(entry, mayHold: hash) && tags[Int(id)] == tag && equals(Int(id), bytes) { return id }
      slot = (slot + 1) & mask
    }
  }

  /// The tag string `id` was interned under.
  public func tag(of id: Int32) -> UInt32 { tags[Int(id)] }

  /// Calls `body` with the bytes of string `id`.
  public func withBytes<R>(of id: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let start = starts[Int(id)]
    let end = starts[Int(id) + 1]
    return try arena.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
  }

  /// String `id`, decoded as UTF-8.
  public func string(of id: Int32) -> String {
    withBytes(of: id) { String(decoding: $0, as: UTF8.self) }
  }

  private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let start = starts[id]
    let length = starts[id + 1] - start
    guard length == bytes.count else { return false }
    if length == 0 { return true }
    return arena.withUnsafeBytes { memoryEquals($0.baseAddress! + start, bytes.baseAddress!, length) }
  }

  /// Forgets every string from id `count` on, as if they had never been interned
  /// (rebuilding the index: for the rare undo of a merge, not for a hot loop).
  public mutating func truncate(to count: Int) {
    guard count < tags.count else { return }
    if indexed {
      if tags.count - count <= count {
        // Few strings go (a file's, out of a run's). The slots hold the ids as if added in
        // order (growing adds them again in order): the newest string is the last of its
        // run of slots, and clearing its slot, newest first, undoes each addition.
        for id in stride(from: tags.count - 1, through: count, by: -1) {
          var slot = Int(truncatingIfNeeded: hashes[id]) & mask
          while slots[slot] == 0 || Self.id(of: slots[slot]) != Int32(id) { slot = (slot + 1) & mask }
          slots[slot] = 0
        }
      } else {
        reindex(count, slots: slots.count)
      }
      hashes.removeSubrange(count...)
      for index in recent.indices where recent[index] >= count { recent[index] = -1 }
    }
    arena.removeSubrange(starts[count]...)
    starts.removeSubrange((count + 1)...)
    tags.removeSubrange(count...)
    last = -1
  }

  private mutating func grow() { reindex(tags.count, slots: slots.count * 2) }

  /// Puts the first `count` ids, in order, into `size` empty slots.
  private mutating func reindex(_ count: Int, slots size: Int) {
    slots = [UInt64](repeating: 0, count: size)
    mask = size - 1
    for id in 0..<count {
      var slot = Int(truncatingIfNeeded: hashes[id]) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Self.entry(id: Int32(id), hash: hashes[id])
    }
  }
}

/// Whether `count` bytes at `a` and `b` are equal.
///
/// Eight bytes at a time; the last bytes are compared with loads that overlap the ones
/// before (ids are short: a loop over their last bytes one at a time cost as much).
@inlinable
public func memoryEquals(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
  if count >= 8 {
    var i = 0
    while i + 8 < count {
      if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
        return false
      }
      i += 8
    }
    return a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
      == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
  }
  if count >= 4 {
    return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
      && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
  }
  if count >= 2 {
    return a.loadUnaligned(as: UInt16.self) == b.loadUnaligned(as: UInt16.self)
      && a.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self)
        == b.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self)
  }
  return count == 0 || a.load(as: UInt8.self) == b.load(as: UInt8.self)
}
