/// The high bit of each byte of `word` that is zero, and possibly of bytes above the
/// first one (a borrow), never below it: the lowest bit set marks the first zero byte,
/// and the result is 0 exactly when no byte is zero.
@inlinable
@inline(__always)
public func zeroBytes(_ word: UInt64) -> UInt64 {
  (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
}

/// Whether `bytes` hold `a`, `b`, `c` or `d`, looked for eight bytes at a time (the last
/// word overlapping the one before).
@inlinable
public func containsAny(_ bytes: UnsafeRawBufferPointer, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Bool {
  guard let base = bytes.baseAddress else { return false }
  let count = bytes.count
  guard count >= 8 else {
    for byte in bytes where byte == a || byte == b || byte == c || byte == d { return true }
    return false
  }
  let spread: UInt64 = 0x0101_0101_0101_0101
  let (wordA, wordB, wordC, wordD) = (
    UInt64(a) &* spread, UInt64(b) &* spread, UInt64(c) &* spread, UInt64(d) &* spread
  )
  @inline(__always) func holds(_ word: UInt64) -> Bool {
    zeroBytes(word ^ wordA) | zeroBytes(word ^ wordB) | zeroBytes(word ^ wordC) | zeroBytes(word ^ wordD) != 0
  }
  var i = 0
  while i + 8 < count {
    if holds(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
    i += 8
  }
  return holds(base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
}
