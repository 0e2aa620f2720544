import ImpactSupport

/// The indicator catalog a pipeline validates against: ids, units, rules and labels.
///
/// The catalog is data (a YAML file loaded by the pipeline); this type only indexes it
/// for the per-row lookups of normalization, which work on bytes.
public struct Catalog: Sendable {
  public let indicators: [Indicator]
  private let ids: ByteStringTable
  /// Per indicator: its own unit first (factor 1), then its aliases, with their bytes.
  private let units: [[(bytes: [UInt8], alias: UnitAlias)]]

  /// Indexes `indicators`; ids must be distinct (the loader checks that first).
  public init(indicators: [Indicator]) {
    self.indicators = indicators
    var ids = ByteStringTable(capacity: indicators.count)
    for indicator in indicators { _ = ids.intern(indicator.id) }
    self.ids = ids
    units = indicators.map { indicator in
      [(Array(indicator.unit.utf8), UnitAlias(unit: indicator.unit, numerator: 1, denominator: 1))]
        + indicator.aliases.map { (Array($0.unit.utf8), $0) }
    }
  }

  /// The index of the indicator whose id is `bytes`, or nil.
  public func index(of bytes: UnsafeRawBufferPointer) -> Int? {
    ids.find(bytes).map(Int.init)
  }

  /// The index of the indicator `id`, or nil.
  public func index(of id: String) -> Int? {
    var copy = id
    return copy.withUTF8 { index(of: UnsafeRawBufferPointer($0)) }
  }

  /// The factor for a unit written as `bytes` (already trimmed) for indicator `index`:
  /// 1/1 for the catalog unit, the alias factor for an alias, nil for anything else.
  public func conversion(indicator index: Int, unit bytes: UnsafeRawBufferPointer) -> (
    numerator: Int64, denominator: Int64
  )? {
    for candidate in units[index] where candidate.bytes.count == bytes.count {
      let same = candidate.bytes.withUnsafeBytes {
        bytes.isEmpty || memoryEquals($0.baseAddress!, bytes.baseAddress!, bytes.count)
      }
      if same { return (candidate.alias.numerator, candidate.alias.denominator) }
    }
    return nil
  }

  /// The catalog id closest to a mistyped one, when it is close enough to be a typo.
  public func closestID(to text: String) -> String? {
    let ids = indicators.map(\.id)
    let distances = ids.map { editDistance($0, text) }
    guard let best = distances.indices.min(by: { distances[$0] < distances[$1] }),
      distances[best] <= max(2, text.count / 6)
    else { return nil }
    return ids[best]
  }
}

/// Levenshtein distance, for "did you mean" hints (off the hot path).
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a.utf8)
  let b = Array(b.utf8)
  if a.isEmpty { return b.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in stride(from: 1, through: b.count, by: 1) {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
