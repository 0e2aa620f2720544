/// A fast, non-cryptographic hash of a byte string, eight bytes at a time.
///
/// Used only to place keys in the in-memory tables of this module; it is not stable
/// across versions and must never be persisted.
@inlinable
public func byteHash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
  var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ seed ^ UInt64(truncatingIfNeeded: bytes.count)
  guard let base = bytes.baseAddress else { return mix64(h) }
  let count = bytes.count
  var i = 0
  while i + 8 <= count {
    let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
    h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 29
    i += 8
  }
  if i < count {
    // The last bytes in one word, read with loads that may overlap bytes already hashed
    // (the length is in the seed, so the words still tell the strings apart).
    let tail: UInt64
    if count >= 8 {
      tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    } else if count >= 4 {
      tail =
        UInt64(base.loadUnaligned(as: UInt32.self))
        | UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
    } else {
      tail =
        UInt64(base.load(as: UInt8.self)) | UInt64(base.load(fromByteOffset: count / 2, as: UInt8.self)) << 8
        | UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self)) << 16
    }
    h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
  }
  return mix64(h)
}

/// The finalizer of SplitMix64: spreads every input bit over the whole word.
@inlinable
public func mix64(_ value: UInt64) -> UInt64 {
  var z = value
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}
