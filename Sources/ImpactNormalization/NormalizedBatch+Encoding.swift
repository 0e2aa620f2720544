import ImpactModel
import ImpactSupport

extension NormalizedBatch {
  static let powersOfTen: [Int64] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000]

  /// Each value minus the one before it (the first minus zero).
  static func steps(_ values: [Int32]) -> [Int64] {
    var previous: Int64 = 0
    return values.map { value in
      defer { previous = Int64(value) }
      return Int64(value) - previous
    }
  }

  /// The values `steps` was taken of.
  static func runningSums(_ steps: [Int64]) -> [Int32] {
    var total: Int64 = 0
    return steps.map { step in
      total += step
      return Int32(clamping: total)
    }
  }

  /// The first bytes of every encoded batch, then the format version.
  static let magic: UInt32 = 0x4250_4D49  // "IMPB"
  /// Format 4 lets the response table hold a string twice (see `responses`); format 3,
  /// whose table never does, reads the same way. An impact that knows only format 3 says
  /// it does not know format 4 rather than take the batch for a damaged one.
  static let formatVersion: UInt32 = 4
  static let readableVersions: ClosedRange<UInt32> = 3...4

  /// The batch as a blob for the store: records column by column, the string tables,
  /// periods, territories, replacements and rejects. Indicators are written by index with
  /// the catalog's ids beside them, so a batch decoded under a changed catalog maps them
  /// by id.
  public func encoded(catalog: Catalog) -> [UInt8] {
    var writer = BinaryWriter(capacity: records.count * 30 + rejects.count * 64 + 4096)
    writer.write(Self.magic)
    writer.write(Self.formatVersion)
    writer.write(Int64(catalog.indicators.count))
    for indicator in catalog.indicators { writer.write(indicator.id) }
    // Each column in the fewest bytes that hold it; lines as steps from the one before.
    // Values divided by the largest power of ten that divides them all (partners write
    // two decimals at most, so micro-units end in four zeros at least).
    var scale = 6
    for record in records where scale > 0 {
      while scale > 0 && record.value.micros % Self.powersOfTen[scale] != 0 { scale -= 1 }
    }
    writer.write(UInt8(scale))
    let divisor = Self.powersOfTen[scale]
    writer.write(narrow: records.map { $0.value.micros / divisor })
    // Lines and responses as steps from the one before: both mostly grow by little.
    writer.write(narrow: Self.steps(records.map(\.line)))
    writer.write(narrow: records.map { Int64($0.partner) })
    writer.write(narrow: Self.steps(records.map(\.response)))
    writer.write(narrow: records.map { Int64($0.period) })
    writer.write(narrow: records.map { Int64($0.territory) })
    writer.write(narrow: records.map { Int64($0.indicator) })
    partners.encode(into: &writer)
    responses.encode(into: &writer)
    writer.write(Int64(periods.count))
    for period in periods { writer.write(period.text) }
    writer.write(Int64(territories.count))
    for territory in territories { writer.write(territory.code) }
    writer.write(Int64(replacements.count))
    for replacement in replacements {
      writer.write(Int64(replacement.beforeRecord))
      writer.write(replacement.partner)
      writer.write(replacement.replaced)
      writer.write(replacement.replacing)
      writer.write(Int64(replacement.line))
    }
    writer.write(Int64(rejects.count))
    for reject in rejects {
      writer.write(Int64(reject.line))
      writer.write(reject.reason.rawValue)
      for text in [reject.field, reject.value, reject.message, reject.partner, reject.response, reject.indicator] {
        writer.write(text)
      }
    }
    return writer.bytes
  }

  /// Why a stored batch cannot be used.
  public struct DecodeError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
  }

  /// Decodes `encoded(catalog:)`'s blob under `catalog`. Throws when the blob is damaged
  /// or names an indicator the catalog no longer has.
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, catalog: Catalog, territoryTable: TerritoryTable = .france
  ) throws(DecodeError) -> NormalizedBatch {
    do {
      return try decodeChecked(bytes, catalog: catalog, territoryTable: territoryTable)
    } catch let error as DecodeError {
      throw error
    } catch {
      throw DecodeError(message: "damaged batch: \(error)")
    }
  }

  private static func decodeChecked(
    _ bytes: UnsafeRawBufferPointer, catalog: Catalog, territoryTable: TerritoryTable
  ) throws -> NormalizedBatch {
    var reader = BinaryReader(bytes)
    guard try reader.read(UInt32.self) == magic else { throw DecodeError(message: "not a batch blob") }
    let version: UInt32 = try reader.read()
    guard readableVersions.contains(version) else {
      throw DecodeError(message: "batch format \(version) is not known")
    }
    let indicatorCount = try reader.readCount(minimumSize: 8)
    var indicatorMap: [Int16] = []
    for _ in 0..<indicatorCount {
      let id = try reader.readString()
      guard let index = catalog.index(of: id) else {
        // Mapped lazily below: only an indicator some record uses must still exist.
        indicatorMap.append(-1)
        continue
      }
      indicatorMap.append(Int16(index))
    }
    let scale = Int(try reader.read(UInt8.self))
    guard scale < powersOfTen.count else { throw DecodeError(message: "damaged batch: value scale \(scale)") }
    let multiplier = powersOfTen[scale]
    let values = try reader.readNarrow().map { $0.multipliedReportingOverflow(by: multiplier).partialValue }
    let lines = runningSums(try reader.readNarrow())
    let partnerIDs = try reader.readNarrow32()
    let responseIDs = runningSums(try reader.readNarrow())
    let periodIDs = try reader.readNarrow32()
    let territoryIDs = try reader.readNarrow32()
    let indicators = try reader.readNarrow32().map { Int16(clamping: $0) }
    let count = values.count
    guard
      [lines.count, partnerIDs.count, responseIDs.count, periodIDs.count, territoryIDs.count, indicators.count]
        .allSatisfy({ $0 == count })
    else { throw DecodeError(message: "damaged batch: record columns differ in length") }
    let batch = NormalizedBatch()
    batch.partners = try ByteStringTable(from: &reader)
    batch.responses = try ByteStringTable(from: &reader, indexed: false)
    let periodCount = try reader.readCount(minimumSize: 8)
    for _ in 0..<periodCount {
      let text = try reader.readString()
      guard case .success(let period) = Period.parse(text) else {
        throw DecodeError(message: "damaged batch: period \(text)")
      }
      batch.periods.append(period)
    }
    let territoryCount = try reader.readCount(minimumSize: 8)
    for _ in 0..<territoryCount {
      let code = Array(try reader.readString().utf8)
      guard case .success(let territory) = code.withUnsafeBytes({ territoryTable.parseTerritory($0) }) else {
        throw DecodeError(message: "damaged batch: territory \(String(decoding: code, as: UTF8.self))")
      }
      batch.territories.append(territory)
    }
    let replacementCount = try reader.readCount(minimumSize: 32)
    for _ in 0..<replacementCount {
      let before = Int(try reader.read(Int64.self))
      let partner: Int32 = try reader.read()
      let replaced: Int32 = try reader.read()
      let replacing = try reader.readString()
      let line = Int(try reader.read(Int64.self))
      guard (0...count).contains(before), (0..<Int32(batch.partners.count)).contains(partner),
        (0..<Int32(batch.responses.count)).contains(replaced)
      else { throw DecodeError(message: "damaged batch: replacement out of range") }
      batch.replacements.append(
        BatchReplacement(beforeRecord: before, partner: partner, replaced: replaced, replacing: replacing, line: line))
    }
    let rejectCount = try reader.readCount(minimumSize: 64)
    batch.rejects.reserveCapacity(rejectCount)
    for _ in 0..<rejectCount {
      let line = Int(try reader.read(Int64.self))
      let code = try reader.readString()
      guard let reason = RejectReason(rawValue: code) else {
        throw DecodeError(message: "unknown reject reason \(code)")
      }
      let texts = try (0..<6).map { _ in try reader.readString() }
      batch.rejects.append(
        BatchReject(
          line: line, reason: reason, field: texts[0], value: texts[1], message: texts[2], partner: texts[3],
          response: texts[4], indicator: texts[5]))
    }
    guard reader.isAtEnd else { throw DecodeError(message: "damaged batch: bytes after the end") }
    let partnerCount = Int32(batch.partners.count)
    let responseCount = Int32(batch.responses.count)
    batch.records.reserveCapacity(count)
    for index in 0..<count {
      let stored = indicators[index]
      guard (0..<Int16(indicatorMap.count)).contains(stored), partnerIDs[index] >= 0, partnerIDs[index] < partnerCount,
        responseIDs[index] >= 0, responseIDs[index] < responseCount, periodIDs[index] >= 0,
        Int(periodIDs[index]) < periodCount, territoryIDs[index] >= 0, Int(territoryIDs[index]) < territoryCount
      else { throw DecodeError(message: "damaged batch: record \(index) out of range") }
      let indicator = indicatorMap[Int(stored)]
      guard indicator >= 0 else {
        throw DecodeError(message: "it holds observations of an indicator the catalog no longer has")
      }
      batch.records.append(
        BatchRecord(
          value: Quantity(micros: values[index]), line: lines[index], partner: partnerIDs[index],
          response: responseIDs[index], period: periodIDs[index], territory: territoryIDs[index],
          indicator: indicator))
    }
    return batch
  }
}
