import ImpactModel
import ImpactSupport

/// The part of a file's batch that one shard keeps, with where each kept record, reject
/// and replacement stood in the whole batch: what `merge` needs to rebuild the batch of
/// an unsharded run exactly, order included.
public struct ShardSlice {
  public let batch: NormalizedBatch
  public let recordIndices: [Int64]
  public let rejectIndices: [Int64]
  public let replacementIndices: [Int64]
  /// For each kept replacement, the record of the whole batch it came before.
  public let replacementPositions: [Int64]
  /// The number of records, rejects and replacements of the whole batch.
  public let totals: (records: Int64, rejects: Int64, replacements: Int64)

  static let magic: UInt32 = 0x5350_4D49  // "IMPS"

  /// The slice as a blob: totals, the three index arrays, then the encoded batch.
  public func encoded(catalog: Catalog) -> [UInt8] {
    var writer = BinaryWriter(capacity: recordIndices.count * 8 + 64)
    writer.write(Self.magic)
    writer.write(totals.records)
    writer.write(totals.rejects)
    writer.write(totals.replacements)
    writer.write(contiguous: recordIndices)
    writer.write(contiguous: rejectIndices)
    writer.write(contiguous: replacementIndices)
    writer.write(contiguous: replacementPositions)
    let batch = batch.encoded(catalog: catalog)
    return writer.bytes + batch
  }

  public static func decode(_ bytes: UnsafeRawBufferPointer, catalog: Catalog) throws -> ShardSlice {
    var reader = BinaryReader(bytes)
    guard try reader.read(UInt32.self) == magic else {
      throw NormalizedBatch.DecodeError(message: "not a shard's batch")
    }
    let totals = (try reader.read(Int64.self), try reader.read(Int64.self), try reader.read(Int64.self))
    let records: [Int64] = try reader.readArray()
    let rejects: [Int64] = try reader.readArray()
    let replacements: [Int64] = try reader.readArray()
    let positions: [Int64] = try reader.readArray()
    let batch = try NormalizedBatch.decode(
      UnsafeRawBufferPointer(rebasing: bytes[reader.offset...]), catalog: catalog)
    guard batch.records.count == records.count, batch.rejects.count == rejects.count,
      batch.replacements.count == replacements.count, positions.count == replacements.count
    else { throw NormalizedBatch.DecodeError(message: "a shard's indices do not match its batch") }
    return ShardSlice(
      batch: batch, recordIndices: records, rejectIndices: rejects, replacementIndices: replacements,
      replacementPositions: positions, totals: totals)
  }
}

extension NormalizedBatch {
  /// The records, rejects and replacements of `shard`'s partners; a reject without a
  /// usable partner id goes to shard 1.
  public func slice(keeping shard: Shard) -> ShardSlice {
    let result = NormalizedBatch()
    var copier = BatchCopier(from: self, into: result, index: BatchCopier.Index())
    var recordIndices: [Int64] = []
    var rejectIndices: [Int64] = []
    var replacementIndices: [Int64] = []
    var replacementPositions: [Int64] = []
    let owned = (0..<Int32(partners.count)).map { shard.owns(partner: partners.string(of: $0)) }
    var replacementCursor = 0
    for (index, record) in records.enumerated() {
      while replacementCursor < replacements.count, replacements[replacementCursor].beforeRecord <= index {
        let replacement = replacements[replacementCursor]
        if owned[Int(replacement.partner)] {
          copier.copy(replacement)
          replacementIndices.append(Int64(replacementCursor))
          replacementPositions.append(Int64(replacement.beforeRecord))
        }
        replacementCursor += 1
      }
      guard owned[Int(record.partner)] else { continue }
      copier.copy(record)
      recordIndices.append(Int64(index))
    }
    while replacementCursor < replacements.count {
      if owned[Int(replacements[replacementCursor].partner)] {
        copier.copy(replacements[replacementCursor])
        replacementIndices.append(Int64(replacementCursor))
        replacementPositions.append(Int64(replacements[replacementCursor].beforeRecord))
      }
      replacementCursor += 1
    }
    for (index, reject) in rejects.enumerated() where shard.owns(partner: reject.partner) {
      result.rejects.append(reject)
      rejectIndices.append(Int64(index))
    }
    return ShardSlice(
      batch: result, recordIndices: recordIndices, rejectIndices: rejectIndices,
      replacementIndices: replacementIndices, replacementPositions: replacementPositions,
      totals: (Int64(records.count), Int64(rejects.count), Int64(replacements.count)))
  }

  /// Rebuilds the whole batch of a file from the slices of every shard: each record,
  /// reject and replacement back at its place. Throws unless the slices cover the batch
  /// exactly once.
  public static func merge(_ slices: [ShardSlice]) throws -> NormalizedBatch {
    let result = NormalizedBatch()
    guard let first = slices.first else { return result }
    guard slices.allSatisfy({ $0.totals == first.totals }) else {
      throw DecodeError(message: "the shards read different contents of the file")
    }
    func placement(_ total: Int64, _ indices: (ShardSlice) -> [Int64]) throws -> [(slice: Int, item: Int)] {
      var places = [(slice: Int, item: Int)?](repeating: nil, count: Int(total))
      for (sliceIndex, slice) in slices.enumerated() {
        for (item, original) in indices(slice).enumerated() {
          guard original >= 0, original < total, places[Int(original)] == nil else {
            throw DecodeError(message: "two shards hold the same observation, or an index is out of range")
          }
          places[Int(original)] = (sliceIndex, item)
        }
      }
      guard places.allSatisfy({ $0 != nil }) else {
        throw DecodeError(message: "an observation is in no shard: a shard is missing or was filtered otherwise")
      }
      return places.map { $0! }
    }
    let records = try placement(first.totals.records) { $0.recordIndices }
    let rejects = try placement(first.totals.rejects) { $0.rejectIndices }
    let replacements = try placement(first.totals.replacements) { $0.replacementIndices }
    let shared = BatchCopier.Index()
    var copiers = slices.map { BatchCopier(from: $0.batch, into: result, index: shared) }
    var replacementCursor = 0
    func placeReplacements(before index: Int) {
      while replacementCursor < replacements.count {
        let place = replacements[replacementCursor]
        let slice = slices[place.slice]
        guard Int(slice.replacementPositions[place.item]) <= index else { return }
        copiers[place.slice].copy(slice.batch.replacements[place.item])
        replacementCursor += 1
      }
    }
    for (index, place) in records.enumerated() {
      placeReplacements(before: index)
      copiers[place.slice].copy(slices[place.slice].batch.records[place.item])
    }
    placeReplacements(before: Int.max)
    for place in rejects { result.rejects.append(slices[place.slice].batch.rejects[place.item]) }
    return result
  }
}

extension NormalizedBatch {
  /// Appends every record, reject and replacement of `other` after this batch's own.
  public func append(_ other: NormalizedBatch) {
    var copier = BatchCopier(from: other, into: self, index: BatchCopier.Index(of: self))
    records.reserveCapacity(records.count + other.records.count)
    var replacementCursor = 0
    for (index, record) in other.records.enumerated() {
      while replacementCursor < other.replacements.count,
        other.replacements[replacementCursor].beforeRecord <= index
      {
        copier.copy(other.replacements[replacementCursor])
        replacementCursor += 1
      }
      copier.copy(record)
    }
    while replacementCursor < other.replacements.count {
      copier.copy(other.replacements[replacementCursor])
      replacementCursor += 1
    }
    rejects += other.rejects
  }
}

/// Copies records and replacements from one batch into another, re-interning their
/// strings, periods and territories under the destination's ids.
///
/// The source's tables are read once, not through its properties per record (each read
/// of a table held by a class retains and releases its arrays).
struct BatchCopier {
  /// The destination's periods and territories by text, shared by the copiers that fill it.
  final class Index {
    var periods: [String: Int32] = [:]
    var territories: [String: Int32] = [:]

    init() {}

    /// The index of what `batch` already holds.
    init(of batch: NormalizedBatch) {
      for (id, period) in batch.periods.enumerated() { periods[period.text] = Int32(id) }
      for (id, territory) in batch.territories.enumerated() { territories[territory.code] = Int32(id) }
    }
  }

  let destination: NormalizedBatch
  let index: Index
  private let sourcePartners: ByteStringTable
  private let sourceResponses: ByteStringTable
  private let sourcePeriods: [Period]
  private let sourceTerritories: [Territory]
  private var partnerMap = DenseMap()
  private var responseMap = DenseMap()
  private var periodMap = DenseMap()
  private var territoryMap = DenseMap()

  init(from source: NormalizedBatch, into destination: NormalizedBatch, index: Index) {
    self.destination = destination
    self.index = index
    sourcePartners = source.partners
    sourceResponses = source.responses
    sourcePeriods = source.periods
    sourceTerritories = source.territories
  }

  mutating func copy(_ record: BatchRecord) {
    var copy = record
    copy.partner = partner(record.partner)
    copy.response = response(record.response)
    copy.period = Self.map(record.period, in: &periodMap, key: \.text, shared: &index.periods) {
      (sourcePeriods[Int($0)], destination.periods)
    } append: {
      destination.periods.append($0)
    }
    copy.territory = Self.map(record.territory, in: &territoryMap, key: \.code, shared: &index.territories) {
      (sourceTerritories[Int($0)], destination.territories)
    } append: {
      destination.territories.append($0)
    }
    destination.records.append(copy)
  }

  /// The destination id of a period or territory of the source: looked up by its text
  /// (`key`) and appended when new.
  private static func map<Value>(
    _ id: Int32, in local: inout DenseMap, key: KeyPath<Value, String>, shared: inout [String: Int32],
    lookup: (Int32) -> (Value, [Value]), append: (Value) -> Void
  ) -> Int32 {
    if let known = local[id] { return known }
    let (value, existing) = lookup(id)
    let mapped = shared[value[keyPath: key]] ?? Int32(existing.count)
    if Int(mapped) == existing.count {
      append(value)
      shared[value[keyPath: key]] = mapped
    }
    local[id] = mapped
    return mapped
  }

  mutating func copy(_ replacement: BatchReplacement) {
    var copy = replacement
    copy.partner = partner(replacement.partner)
    copy.replaced = response(replacement.replaced)
    copy.beforeRecord = destination.records.count
    destination.replacements.append(copy)
  }

  private mutating func partner(_ id: Int32) -> Int32 {
    if let known = partnerMap[id] { return known }
    let mapped = sourcePartners.withBytes(of: id) { destination.partners.intern($0) }
    partnerMap[id] = mapped
    return mapped
  }

  private mutating func response(_ id: Int32) -> Int32 {
    if let known = responseMap[id] { return known }
    let partner = partner(Int32(bitPattern: sourceResponses.tag(of: id)))
    let mapped = sourceResponses.withBytes(of: id) { destination.responses.intern($0, tag: UInt32(partner)) }
    responseMap[id] = mapped
    return mapped
  }
}

/// Source ids to destination ids, for ids that are small and dense: an array, not a hash.
struct DenseMap {
  private var values: [Int32] = []

  subscript(id: Int32) -> Int32? {
    get { Int(id) < values.count && values[Int(id)] >= 0 ? values[Int(id)] : nil }
    set {
      if Int(id) >= values.count {
        values.append(contentsOf: repeatElement(-1, count: max(Int(id) + 1, values.count * 2) - values.count))
      }
      values[Int(id)] = newValue ?? -1
    }
  }
}
