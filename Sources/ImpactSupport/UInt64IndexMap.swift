/// An open-addressing map from 64-bit keys to `Int32` indexes.
///
/// The de-duplication ledger and the aggregation cells pack their composite keys into one
/// `UInt64`; this map avoids `Dictionary`'s per-entry overhead on millions of keys.
public struct UInt64IndexMap: Sendable {
  private var keys: [UInt64]
  private var values: [Int32]
  private var mask: Int
  /// The number of keys held.
  public private(set) var count = 0

  /// Creates an empty map sized for about `capacity` keys before it grows.
  public init(capacity: Int = 64) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    keys = [UInt64](repeating: 0, count: size)
    values = [Int32](repeating: -1, count: size)
    mask = size - 1
  }

  /// The index stored for `key`, or nil.
  public func value(for key: UInt64) -> Int32? {
    var slot = Int(truncatingIfNeeded: mix64(key)) & mask
    while true {
      let value = values[slot]
      if value < 0 { return nil }
      if keys[slot] == key { return value }
      slot = (slot + 1) & mask
    }
  }

  /// Stores `value` for `key` and returns the index it replaced, if any.
  @discardableResult
  public mutating func update(_ value: Int32, for key: UInt64) -> Int32? {
    precondition(value >= 0, "UInt64IndexMap holds non-negative indexes only")
    var slot = Int(truncatingIfNeeded: mix64(key)) & mask
    while true {
      let old = values[slot]
      if old < 0 { break }
      if keys[slot] == key {
        values[slot] = value
        return old
      }
      slot = (slot + 1) & mask
    }
    keys[slot] = key
    values[slot] = value
    count += 1
    if count * 2 > values.count { grow() }
    return nil
  }

  /// The index for `key`, inserting `make()` first when the key is new.
  public mutating func index(for key: UInt64, orInsert make: () -> Int32) -> Int32 {
    var slot = Int(truncatingIfNeeded: mix64(key)) & mask
    while true {
      let old = values[slot]
      if old < 0 { break }
      if keys[slot] == key { return old }
      slot = (slot + 1) & mask
    }
    let value = make()
    keys[slot] = key
    values[slot] = value
    count += 1
    if count * 2 > values.count { grow() }
    return value
  }

  private mutating func grow() {
    let oldKeys = keys
    let oldValues = values
    let size = values.count * 2
    keys = [UInt64](repeating: 0, count: size)
    values = [Int32](repeating: -1, count: size)
    mask = size - 1
    for slot in 0..<oldValues.count where oldValues[slot] >= 0 {
      var target = Int(truncatingIfNeeded: mix64(oldKeys[slot])) & mask
      while values[target] >= 0 { target = (target + 1) & mask }
      keys[target] = oldKeys[slot]
      values[target] = oldValues[slot]
    }
  }
}
