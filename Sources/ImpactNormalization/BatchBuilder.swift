import ImpactModel
import ImpactSupport

/// Validates the raw observations of one file against the schema and the catalog, and
/// collects them into a `NormalizedBatch`.
///
/// Each observation is accepted or rejected with exactly one reason, checked in this
/// order: a missing field, the partner and response ids, the indicator, the period, the
/// territory, the unit, then the value (a number, whole where required, in range).
/// Periods and territories are parsed once per distinct raw text, not once per row.
public final class BatchBuilder: ObservationSink {
  public let catalog: Catalog
  public let territoryTable: TerritoryTable
  public let batch = NormalizedBatch()

  private var labels: [RawField: String] = [:]
  /// Set by a mapped source around each observation: how its value column is named and
  /// what the partner wrote there, for rejects.
  public var valueLabel: String?
  public var writtenValue: UnsafeRawBufferPointer?
  private var rawPeriods = ByteStringTable(capacity: 64)
  private var periodResults: [Result<Int32, PeriodError>] = []
  private var rawTerritories = ByteStringTable(capacity: 256)
  private var territoryResults: [Result<Int32, TerritoryError>] = []
  private var normalizedTerritories = ByteStringTable(capacity: 256)
  private var normalizedPeriods = ByteStringTable(capacity: 64)
  private var partnerValid: [Bool] = []
  /// The value rules of each indicator, without the strings, for the per-row checks.
  private let rules: [(integer: Bool, minimum: Quantity?, maximum: Quantity?)]
  private var unknownIndicatorMessages: [String: String] = [:]
  /// Room to lower-case an id in; ids are at most 64 bytes once checked, longer ones are
  /// refused before they get here, except indicators (which are looked up, not stored).
  private var scratch = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
  private var scratchCapacity = 256
  /// The partner id of the previous row as written (at most 64 bytes) and what it gave:
  /// rows of a file come partner by partner, and a comparison spares lower-casing and
  /// hashing.
  private let lastPartner = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
  private var lastPartnerCount = -1
  private var lastPartnerID: Int32?

  /// `expectedRecords` sizes the tables up front (an estimate from the file size), which
  /// saves re-hashing and copying as they grow.
  public init(catalog: Catalog, territoryTable: TerritoryTable = .france, expectedRecords: Int = 0) {
    self.catalog = catalog
    self.territoryTable = territoryTable
    if expectedRecords > 0 {
      batch.records.reserveCapacity(expectedRecords)
      batch.responses = ByteStringTable(capacity: expectedRecords / 3, indexed: false)
    }
    rules = catalog.indicators.map { ($0.integer, $0.minimum, $0.maximum) }
  }

  deinit {
    scratch.deallocate()
    lastPartner.deallocate()
  }

  public func setFieldLabels(_ labels: [RawField: String]) { self.labels = labels }

  /// How many parts of one file a reader may read at once (set by the ingestion when
  /// there are fewer files than cores).
  public var parallelParts = 1

  public func makePart(of count: Int) -> BatchBuilder {
    BatchBuilder(
      catalog: catalog, territoryTable: territoryTable, expectedRecords: batch.records.capacity / max(1, count))
  }

  public func shiftLines(by offset: Int) {
    guard offset != 0 else { return }
    let delta = Int32(clamping: offset)
    for index in batch.records.indices { batch.records[index].line += delta }
    for index in batch.rejects.indices { batch.rejects[index].line += offset }
    for index in batch.replacements.indices { batch.replacements[index].line += offset }
  }

  /// Keeps a part's batch, after those absorbed before, or hands it to `passOn` when set:
  /// the ingestion merges the parts one after the other, sparing a copy into one batch,
  /// and can merge the first parts of a large file while the rest are read.
  public func absorb(_ part: any PartSink) {
    guard let part = part as? BatchBuilder else { fatalError("a part of another kind of sink") }
    if let passOn {
      // Handed over, not kept: the batch goes once merged.
      passOn.part(part.batch.movedOut())
      passedOn += 1
    } else {
      parts.append(part.batch)
    }
  }

  public func discardAbsorbed() {
    parts = []
    if passedOn > 0 {
      passedOn = 0
      passOn?.discard()
    }
  }

  /// Set to false for a file read again because it was refused after some of its chunks
  /// were merged: readers then read it the way that decides everything first.
  public var canDiscardAll = true

  public func discardAll() {
    discardAbsorbed()
    batch.empty()
    forgetConversions()
  }

  /// Forgets the ids given to periods, territories and partners as written, which point
  /// into the batch's tables.
  private func forgetConversions() {
    rawPeriods = ByteStringTable(capacity: 64)
    periodResults = []
    normalizedPeriods = ByteStringTable(capacity: 64)
    rawTerritories = ByteStringTable(capacity: 256)
    territoryResults = []
    normalizedTerritories = ByteStringTable(capacity: 256)
    partnerValid = []
    lastPartnerCount = -1
  }

  private var parts: [NormalizedBatch] = []

  /// Where absorbed parts go as soon as they are absorbed, instead of `batches`: `part`
  /// gets each batch in file order, `discard` is called when the file is read again and
  /// every batch passed on must be forgotten.
  public var passOn: (part: (NormalizedBatch) -> Void, discard: () -> Void)?

  /// How many batches went to `passOn` and still stand.
  public private(set) var passedOn = 0

  /// How many observations (accepted or rejected) a read into this builder gathers before
  /// handing its batch to `passOn`, when set: the ingestion then merges a file while the
  /// rest of it is read, instead of all of it once read.
  public var chunkSize = BatchBuilder.defaultChunkSize

  /// Where the batches handed over in chunks come from, emptied once merged; nil: new ones.
  public var pool: BatchPool?

  /// The `chunkSize` of new builders (tests make it small).
  nonisolated(unsafe) public static var defaultChunkSize = 1 << 16

  /// Hands the batch to `passOn` once it holds `chunkSize` observations; called between
  /// observations. The next batch starts with the partners, periods and territories read
  /// so far, so that the ids cached for them stay valid, unless they have grown as large
  /// as a chunk: the caches then start again too, keeping each batch's tables in
  /// proportion to its records.
  @inline(__always)
  private func passOnIfFull() {
    guard let passOn, batch.readCount >= chunkSize else { return }
    let full = batch.movedOut(into: pool?.take() ?? NormalizedBatch())
    if full.partners.count + full.periods.count + full.territories.count <= chunkSize / 4 {
      batch.partners = full.partners
      batch.periods = full.periods
      batch.territories = full.territories
    } else {
      forgetConversions()
    }
    batch.records.reserveCapacity(chunkSize)
    passOn.part(full)
    passedOn += 1
  }

  /// What was read, in file order: the batch, or the parts' batches when the file was
  /// read in parts.
  public var batches: [NormalizedBatch] { parts.isEmpty || batch.readCount > 0 ? [batch] + parts : parts }

  /// Copies the parts' batches into `batch`, for what needs the file in one batch.
  public func joinParts() {
    for part in parts { batch.append(part) }
    parts = []
  }

  public func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {
    passOnIfFull()
    batch.rejects.append(BatchReject(line: line, reason: reason, field: field, value: raw, message: message))
  }

  public func observation(_ raw: RawObservation) {
    passOnIfFull()
    for field in Self.required {
      guard let bytes = raw[field], !isBlank(bytes) else {
        reject(raw, .missingField, field, "the \(field.name) is empty: fill it in")
        return
      }
    }
    // Partner: trimmed, lower case, [a-z0-9-]{1,64}.
    let partnerBytes = trim(raw.partner!)
    guard partnerBytes.count <= 64 else {
      reject(raw, .invalidValue, .partner, "a partner id has at most 64 characters, this one \(partnerBytes.count)")
      return
    }
    guard let partner = partnerID(partnerBytes) else {
      reject(
        raw, .invalidValue, .partner,
        "'\(String(decoding: partnerBytes, as: UTF8.self))' is not a partner id: use lower-case letters a-z, digits and '-' only (no accents, spaces or '_')"
      )
      return
    }
    let responseBytes = trim(raw.response!)
    guard isWithinCharacterLimit(responseBytes, 128) else {
      reject(raw, .invalidValue, .response, "a response id has at most 128 characters")
      return
    }
    // Catalog ids are lower case: the id as written first, lower-cased only when it is not one.
    let indicatorBytes = trim(raw.indicator!)
    guard let indicator = catalog.index(of: indicatorBytes) ?? catalog.index(of: lowercased(indicatorBytes)) else {
      reject(raw, .unknownIndicator, .indicator, unknownIndicatorMessage(raw.indicator!))
      return
    }
    let period: Int32
    switch periodID(raw.period!) {
    case .success(let id): period = id
    case .failure(let error):
      reject(raw, .invalidPeriod, .period, error.message, indicator: indicator)
      return
    }
    let territory: Int32
    switch territoryID(raw.territory!) {
    case .success(let id): territory = id
    case .failure(let error):
      reject(raw, .invalidTerritory, .territory, error.message, indicator: indicator)
      return
    }
    var conversion: (numerator: Int64, denominator: Int64) = (1, 1)
    if let unitBytes = raw.unit.map(trim), !unitBytes.isEmpty {
      guard let found = catalog.conversion(indicator: indicator, unit: unitBytes) else {
        let entry = catalog.indicators[indicator]
        let accepted = ([entry.unit] + entry.aliases.map(\.unit)).joined(separator: ", ")
        reject(
          raw, .invalidUnit, .unit,
          "'\(String(decoding: unitBytes, as: UTF8.self))' is not a unit of \(entry.id), which takes \(accepted); leave the unit empty for \(entry.unit)",
          indicator: indicator)
        return
      }
      conversion = found
    }
    let value: Quantity
    switch Quantity.parse(raw.value!) {
    case .invalid(let why):
      reject(raw, .invalidValue, .value, "\(why): write a number such as 12 or 1 234,50", indicator: indicator)
      return
    case .tooLarge:
      reject(
        raw, .outOfRange, .value, "the number is too large: values are at most 9 223 372 036 854", indicator: indicator)
      return
    case .value(let parsed) where conversion == (1, 1):
      // The catalog unit (or none): no conversion, and no call into the model for it.
      value = parsed
    case .value(let parsed):
      guard let converted = parsed.scaled(numerator: conversion.numerator, denominator: conversion.denominator)
      else {
        reject(
          raw, .outOfRange, .value, "once converted to \(catalog.indicators[indicator].unit), the number is too large",
          indicator: indicator)
        return
      }
      value = converted
    }
    let rule = rules[indicator]
    if rule.integer && !value.isWhole {
      let entry = catalog.indicators[indicator]
      reject(
        raw, .invalidValue, .value, "\(entry.id) counts whole \(entry.unit)s: \(value) is not a whole number",
        indicator: indicator)
      return
    }
    if let minimum = rule.minimum, value < minimum {
      outOfRange(raw, indicator, value)
      return
    }
    if let maximum = rule.maximum, value > maximum {
      outOfRange(raw, indicator, value)
      return
    }
    let response = batch.responses.intern(responseBytes, tag: UInt32(partner))
    batch.records.append(
      BatchRecord(
        value: value, line: Int32(clamping: raw.line), partner: partner, response: response, period: period,
        territory: territory, indicator: Int16(indicator)))
  }

  /// Turns every observation of the batch into a `malformed_file` reject: a file counts
  /// whole or not at all. Rejects and records are merged back into file order.
  public func rejectWholeFile(because problem: String) {
    precondition(passedOn == 0, "a file refused whole after some of its parts were passed on: read it again")
    joinParts()
    let message =
      "the file is malformed (\(problem)); nothing from it was accepted: fix the file and send all of it again"
    var all: [BatchReject] = []
    all.reserveCapacity(batch.readCount)
    var recordIndex = 0
    var rejectIndex = 0
    let records = batch.records
    let rejects = batch.rejects
    while recordIndex < records.count || rejectIndex < rejects.count {
      let takeRecord =
        rejectIndex >= rejects.count
        || (recordIndex < records.count && Int(records[recordIndex].line) <= rejects[rejectIndex].line)
      if takeRecord {
        let record = records[recordIndex]
        all.append(
          BatchReject(
            line: Int(record.line), reason: .malformedFile, field: "", value: record.value.description,
            message: message, partner: batch.partners.string(of: record.partner),
            response: batch.responses.string(of: record.response),
            indicator: catalog.indicators[Int(record.indicator)].id))
        recordIndex += 1
      } else {
        var reject = rejects[rejectIndex]
        reject.reason = .malformedFile
        reject.message = message
        all.append(reject)
        rejectIndex += 1
      }
    }
    batch.records.removeAll()
    batch.rejects = all
    // Nor do its edits replace anything (and a replacement points at the records, gone).
    batch.replacements.removeAll()
  }

  // MARK: - Helpers

  private static let required: [RawField] = [.partner, .response, .period, .territory, .indicator, .value]

  private func reject(
    _ raw: RawObservation, _ reason: RejectReason, _ field: RawField, _ message: String, indicator: Int? = nil
  ) {
    func text(_ field: RawField) -> String {
      if field == .value, let writtenValue { return String(decoding: trim(writtenValue), as: UTF8.self) }
      return raw[field].map { String(decoding: trim($0), as: UTF8.self) } ?? ""
    }
    let label = field == .value || field == .unit ? valueLabel.map { field == .unit ? $0 + " (unit)" : $0 } : nil
    batch.rejects.append(
      BatchReject(
        line: raw.line, reason: reason, field: label ?? labels[field] ?? field.name, value: text(field),
        message: message,
        partner: text(.partner), response: text(.response),
        indicator: indicator.map { catalog.indicators[$0].id } ?? text(.indicator)))
  }

  /// Rejects an observation whose field a mapped source could not convert (a date in
  /// the wrong layout, a postal code in no département).
  public func reject(
    _ raw: RawObservation, reason: RejectReason, field: String, value: String, message: String, indicator: String
  ) {
    passOnIfFull()
    func text(_ field: RawField) -> String { raw[field].map { String(decoding: trim($0), as: UTF8.self) } ?? "" }
    batch.rejects.append(
      BatchReject(
        line: raw.line, reason: reason, field: field, value: value, message: message, partner: text(.partner),
        response: text(.response), indicator: indicator))
  }

  /// Notes that the record being read replaces response `replaced` of the same partner
  /// entirely (an edited ODK submission); invalid ids are ignored, since the record's own
  /// observations are then rejected.
  public func noteReplacement(
    partner: UnsafeRawBufferPointer, replacing: UnsafeRawBufferPointer, replaced: UnsafeRawBufferPointer, line: Int
  ) {
    let partnerBytes = trim(partner)
    let replacedBytes = trim(replaced)
    guard !partnerBytes.isEmpty, partnerBytes.count <= 64, !replacedBytes.isEmpty else { return }
    guard let id = partnerID(partnerBytes) else { return }
    batch.replacements.append(
      BatchReplacement(
        beforeRecord: batch.records.count, partner: id,
        replaced: batch.responses.intern(replacedBytes, tag: UInt32(id)),
        replacing: String(decoding: trim(replacing), as: UTF8.self), line: line))
  }

  /// The batch id of a partner id (trimmed, at most 64 bytes), lower-cased; nil unless
  /// it is `[a-z0-9-]+`. Validity is decided once per distinct id.
  private func partnerID(_ bytes: UnsafeRawBufferPointer) -> Int32? {
    if bytes.count == lastPartnerCount, let base = bytes.baseAddress, memoryEquals(lastPartner, base, bytes.count) {
      return lastPartnerID
    }
    let id = batch.partners.intern(lowercased(bytes))
    if Int(id) == partnerValid.count {
      partnerValid.append(
        batch.partners.withBytes(of: id) { bytes in
          bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        })
    }
    let result = partnerValid[Int(id)] ? id : nil
    if let base = bytes.baseAddress, bytes.count <= 64 {
      lastPartner.copyMemory(from: base, byteCount: bytes.count)
      lastPartnerCount = bytes.count
      lastPartnerID = result
    }
    return result
  }

  private func outOfRange(_ raw: RawObservation, _ indicator: Int, _ value: Quantity) {
    let entry = catalog.indicators[indicator]
    reject(raw, .outOfRange, .value, "\(entry.id) must be \(entry.ruleDescription), not \(value)", indicator: indicator)
  }

  private func periodID(_ raw: UnsafeRawBufferPointer) -> Result<Int32, PeriodError> {
    let id = Int(rawPeriods.intern(raw))
    if id == periodResults.count {
      periodResults.append(
        Period.parse(raw).map { period in
          let normalized = normalizedPeriods.intern(period.text)
          if Int(normalized) == batch.periods.count { batch.periods.append(period) }
          return normalized
        })
    }
    return periodResults[id]
  }

  private func territoryID(_ raw: UnsafeRawBufferPointer) -> Result<Int32, TerritoryError> {
    let id = Int(rawTerritories.intern(raw))
    if id == territoryResults.count {
      territoryResults.append(
        territoryTable.parseTerritory(raw).map { territory in
          let normalized = normalizedTerritories.intern(territory.code)
          if Int(normalized) == batch.territories.count { batch.territories.append(territory) }
          return normalized
        })
    }
    return territoryResults[id]
  }

  private func unknownIndicatorMessage(_ raw: UnsafeRawBufferPointer) -> String {
    let text = String(decoding: trim(raw), as: UTF8.self).lowercased()
    if let known = unknownIndicatorMessages[text] { return known }
    var message = "'\(text)' is not in the indicator catalog"
    let ids = catalog.indicators.map(\.id)
    if let best = catalog.closestID(to: text) {
      message += "; did you mean \(best)?"
    } else {
      message += "; use one of its ids, such as \(ids.prefix(3).joined(separator: ", "))"
    }
    if unknownIndicatorMessages.count < 1000 { unknownIndicatorMessages[text] = message }
    return message
  }

  /// `bytes` with ASCII letters in lower case, in the scratch buffer (valid until the next
  /// call).
  private func lowercased(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    if bytes.count > scratchCapacity {
      scratch.deallocate()
      scratchCapacity = bytes.count * 2
      scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 8)
    }
    for i in 0..<bytes.count {
      let byte = bytes[i]
      scratch.storeBytes(
        of: byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte, toByteOffset: i, as: UInt8.self)
    }
    return UnsafeRawBufferPointer(start: scratch, count: bytes.count)
  }

}

@inline(__always)
private func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
  (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
}

/// The bytes without surrounding blanks (spaces, tabs, U+00A0).
@inline(__always)
func trim(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
  var start = 0
  var end = bytes.count
  while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
  while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
  if start == 0 && end == bytes.count { return bytes }
  return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
}

@inline(__always)
private func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
  for byte in bytes where byte != 0x20 && byte != 0x09 { return false }
  return true
}

/// Whether UTF-8 `bytes` hold at most `limit` characters (code points).
private func isWithinCharacterLimit(_ bytes: UnsafeRawBufferPointer, _ limit: Int) -> Bool {
  // A character takes at least one byte.
  if bytes.count <= limit { return true }
  var count = 0
  for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
  return count <= limit
}
