import ImpactModel
import ImpactNormalization
import ImpactSupport

/// An accepted observation in the ledger. Strings are ids into the ledger's tables.
///
/// 32 bytes, so that the passes over millions of them (the aggregation, `records.csv`)
/// read no more memory than they must and a record never straddles two cache lines: its
/// file comes from where it sits (`Ledger.file(ofRecord:)`), and the chain the
/// de-duplication walks is kept beside the records.
public struct LedgerRecord: Sendable {
  public var value: Quantity
  public var line: Int32
  public var response: Int32
  /// The partner of the response (its tag in the ledger's response table), held here too:
  /// the aggregation reads it per record.
  public var partner: Int32
  public var period: Int32
  public var territory: Int32
  public var indicator: Int16
  /// A later observation of the same partner, response and indicator replaced this one.
  public var superseded: Bool
}

/// What replaced a superseded record: a later observation of the same key, or an edited
/// submission that replaces a whole response.
public struct Supersession: Sendable {
  public let file: Int32
  public let line: Int32
  /// For an edited submission: the id of the response that replaces the old one.
  public let editedBy: String?
}

/// All valid observations of a run in input order, with last-wins de-duplication.
///
/// The key of an observation is `(partner_id, response_id, indicator)`; when a key comes
/// again the earlier record is marked superseded, never removed, so that every
/// observation read stays accounted for. Memory grows with the number of records and
/// distinct strings, not with the bytes read.
public final class Ledger {
  public let catalog: Catalog
  public let territoryTable: TerritoryTable
  public private(set) var files: [String] = []
  public private(set) var partners = ByteStringTable(capacity: 256)
  /// Response ids, tagged with their global partner id.
  public private(set) var responses = ByteStringTable(capacity: 1 << 16)
  public private(set) var periods: [Period] = []
  public private(set) var territories: [Territory] = []
  public private(set) var records: ContiguousArray<LedgerRecord> = []
  /// Per file (by index in `files`): the index of its first record. A file's records are
  /// appended together, after those of the files before it.
  public private(set) var fileStarts: [Int] = []
  public private(set) var supersededCount = 0
  /// Per file (by index in `files`): its records, and those of them superseded; kept as
  /// records come and go, so that the counts per input need no pass over the records.
  public private(set) var recordsPerFile: [Int] = []
  public private(set) var supersededPerFile: [Int] = []
  /// Per partner (by id in `partners`): its records not superseded, kept the same way;
  /// the aggregation sizes and balances its work by them.
  public private(set) var acceptedPerPartner: [Int] = []

  private var periodIDs = ByteStringTable(capacity: 256)
  private var territoryIDs = ByteStringTable(capacity: 4096)
  /// For each global response, its newest record (-1 before the first). A response has a
  /// handful of indicators, so walking its chain is cheaper than hashing every key.
  private var newestOfResponse: [Int32] = []
  /// For each global response, a bit per indicator (its index modulo 32) it may hold a
  /// record of: a record whose bit is still clear has no earlier record of its key, and the
  /// chain is not walked (most records are the first of their key). A bit is never
  /// cleared: one left set by a record since superseded costs a walk that finds nothing.
  private var indicatorsOfResponse: [UInt32] = []
  /// For each record, the previous record of the same response, or -1: the chain the
  /// de-duplication walks.
  private var previousOfResponse: ContiguousArray<Int32> = []
  /// Responses an edited submission replaced, and by what: any of their records, even
  /// one read later, is superseded.
  private var replacedResponses: [Int32: Supersession] = [:]
  /// While a checkpoint is open: what `append` changed in what was there before it
  /// (records marked superseded, edited responses noted), for `rollback`.
  private var undo: Undo?

  private struct Undo {
    /// The first record appended since the checkpoint.
    var start: Int32
    var superseded: [Int32] = []
    var replaced: [(response: Int32, previous: Supersession?)] = []
  }

  public init(catalog: Catalog, territoryTable: TerritoryTable = .france) {
    self.catalog = catalog
    self.territoryTable = territoryTable
  }

  /// Sizes the tables for about `records` records, to spare re-hashing as they grow.
  public func reserve(records expected: Int) {
    records.reserveCapacity(expected)
    previousOfResponse.reserveCapacity(expected)
    if responses.count == 0 { responses = ByteStringTable(capacity: expected / 3) }
  }

  /// Partner id `id` as written in the reports (read in place: a copy of the table out of
  /// the ledger retains each of its arrays; not inlined into other modules, where the
  /// table would be reached through its getter, a copy).
  @inline(never)
  public func partnerID(_ id: Int32) -> String { partners.string(of: id) }

  /// Response id `id` as written in the reports (read in place, see `partnerID`).
  @inline(never)
  public func responseID(_ id: Int32) -> String { responses.string(of: id) }

  /// The partner of a response.
  public func partner(ofResponse response: Int32) -> Int32 { Int32(bitPattern: responses.tag(of: response)) }

  /// Registers an input file and returns its index; its records are appended next.
  public func addFile(_ path: String) -> Int32 {
    files.append(path)
    fileStarts.append(records.count)
    recordsPerFile.append(0)
    supersededPerFile.append(0)
    return Int32(files.count - 1)
  }

  /// The file of record `index` (see `fileStarts`).
  public func file(ofRecord index: Int) -> Int32 {
    precondition(index >= 0 && index < records.count, "a record of the ledger")
    return Int32(Self.file(ofRecord: index, fileStarts: fileStarts))
  }

  /// The file of record `index` given each file's first record: the last file starting
  /// at or before it (files without records start where the next one does).
  public static func file(ofRecord index: Int, fileStarts: [Int]) -> Int {
    var low = 0
    var high = fileStarts.count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if fileStarts[middle] <= index { low = middle } else { high = middle - 1 }
    }
    return low
  }

  /// Appends a batch's records in order, for the file added last. For each record
  /// superseded, `superseded` is called with its index once it is marked.
  public func append(
    _ batch: NormalizedBatch, file: Int32, superseded: (_ old: Int32, _ by: Supersession) -> Void
  ) {
    precondition(Int(file) == files.count - 1, "records of the file added last")
    // The batch's tables read once: each read through the batch retains their arrays.
    let batchPartners = batch.partners
    let batchResponses = batch.responses
    let partnerMap = (0..<Int32(batchPartners.count)).map { id in
      batchPartners.withBytes(of: id) { partners.intern($0) }
    }
    if partners.count > acceptedPerPartner.count {
      acceptedPerPartner.append(contentsOf: repeatElement(0, count: partners.count - acceptedPerPartner.count))
    }
    let responseMap = responses.internAll(of: batchResponses, retag: partnerMap.map { UInt32(bitPattern: $0) })
    if responses.count > newestOfResponse.count {
      newestOfResponse.append(contentsOf: repeatElement(-1, count: responses.count - newestOfResponse.count))
      indicatorsOfResponse.append(contentsOf: repeatElement(0, count: responses.count - indicatorsOfResponse.count))
    }
    let periodMap = batch.periods.map { period in
      let id = periodIDs.intern(period.text)
      if Int(id) == periods.count { periods.append(period) }
      return id
    }
    let territoryMap = batch.territories.map { territory in
      let id = territoryIDs.intern(territory.code)
      if Int(id) == territories.count { territories.append(territory) }
      return id
    }
    var replacements = batch.replacements[...]
    func applyReplacements(before index: Int) {
      while let next = replacements.first, next.beforeRecord <= index {
        replacements.removeFirst()
        let response = responseMap[Int(next.replaced)]
        let by = Supersession(file: file, line: Int32(clamping: next.line), editedBy: next.replacing)
        if undo != nil { undo!.replaced.append((response, replacedResponses[response])) }
        replacedResponses[response] = by
        var cursor = newestOfResponse[Int(response)]
        while cursor >= 0 {
          if !records[Int(cursor)].superseded {
            markSuperseded(cursor)
            superseded(cursor, by)
          }
          cursor = previousOfResponse[Int(cursor)]
        }
      }
    }
    for (position, local) in batch.records.enumerated() {
      applyReplacements(before: position)
      var record = LedgerRecord(
        value: local.value, line: local.line, response: responseMap[Int(local.response)],
        partner: partnerMap[Int(local.partner)], period: periodMap[Int(local.period)],
        territory: territoryMap[Int(local.territory)],
        indicator: local.indicator, superseded: false)
      let index = Int32(records.count)
      var replaced: Int32 = -1
      let bit: UInt32 = 1 << (UInt32(truncatingIfNeeded: record.indicator) & 31)
      let seen = indicatorsOfResponse[Int(record.response)]
      indicatorsOfResponse[Int(record.response)] = seen | bit
      var cursor = seen & bit == 0 ? -1 : newestOfResponse[Int(record.response)]
      while cursor >= 0 {
        let candidate = records[Int(cursor)]
        if candidate.indicator == record.indicator && !candidate.superseded {
          replaced = cursor
          break
        }
        cursor = previousOfResponse[Int(cursor)]
      }
      previousOfResponse.append(newestOfResponse[Int(record.response)])
      newestOfResponse[Int(record.response)] = index
      if !replacedResponses.isEmpty, let edit = replacedResponses[record.response] {
        // An edited submission replaced this response already: it arrives superseded.
        record.superseded = true
        records.append(record)
        supersededCount += 1
        supersededPerFile[Int(file)] += 1
        superseded(index, edit)
        continue
      }
      records.append(record)
      acceptedPerPartner[Int(record.partner)] += 1
      if replaced >= 0 {
        markSuperseded(replaced)
        superseded(replaced, Supersession(file: file, line: record.line, editedBy: nil))
      }
    }
    applyReplacements(before: Int.max)
    recordsPerFile[Int(file)] += batch.records.count
  }

  /// The ledger's state before a file merged in several batches, to go back to if the
  /// file is refused after some of them (see `rollback(to:)`).
  public struct Checkpoint {
    let records: Int
    let supersededCount: Int
    let partners: Int
    let responses: Int
    let periods: Int
    let territories: Int
  }

  /// Marks the current state (take it after `addFile`: files stay registered); `append`
  /// then notes how to undo what it changes until `commit()` or `rollback(to:)`.
  public func checkpoint() -> Checkpoint {
    undo = Undo(start: Int32(records.count))
    return Checkpoint(
      records: records.count, supersededCount: supersededCount, partners: partners.count,
      responses: responses.count, periods: periods.count, territories: territories.count)
  }

  /// Keeps what was appended since the checkpoint.
  public func commit() { undo = nil }

  /// Puts the ledger back as it was at `checkpoint`: the records appended since are
  /// removed, those they superseded stand again, and strings first seen since are
  /// forgotten; the reports of a run that rolled back are those of one that never merged
  /// those batches.
  public func rollback(to checkpoint: Checkpoint) {
    guard let undo else { preconditionFailure("rollback without a checkpoint") }
    precondition(checkpoint.records >= fileStarts.last ?? 0, "a checkpoint taken after the last file was added")
    self.undo = nil
    for index in undo.superseded {
      records[Int(index)].superseded = false
      supersededPerFile[Int(file(ofRecord: Int(index)))] -= 1
      acceptedPerPartner[Int(records[Int(index)].partner)] += 1
    }
    // The records since the checkpoint are the last file's (see `checkpoint()`).
    let lastFile = files.count - 1
    for record in records[checkpoint.records...] {
      recordsPerFile[lastFile] -= 1
      if record.superseded {
        supersededPerFile[lastFile] -= 1
      } else {
        acceptedPerPartner[Int(record.partner)] -= 1
      }
    }
    for (response, previous) in undo.replaced.reversed() { replacedResponses[response] = previous }
    for index in (checkpoint.records..<records.count).reversed()
    where Int(records[index].response) < checkpoint.responses {
      newestOfResponse[Int(records[index].response)] = previousOfResponse[index]
    }
    records.removeSubrange(checkpoint.records...)
    previousOfResponse.removeSubrange(checkpoint.records...)
    supersededCount = checkpoint.supersededCount
    partners.truncate(to: checkpoint.partners)
    acceptedPerPartner.removeSubrange(min(checkpoint.partners, acceptedPerPartner.count)...)
    responses.truncate(to: checkpoint.responses)
    newestOfResponse.removeSubrange(min(checkpoint.responses, newestOfResponse.count)...)
    indicatorsOfResponse.removeSubrange(min(checkpoint.responses, indicatorsOfResponse.count)...)
    periodIDs.truncate(to: checkpoint.periods)
    periods.removeSubrange(checkpoint.periods...)
    territoryIDs.truncate(to: checkpoint.territories)
    territories.removeSubrange(checkpoint.territories...)
  }

  /// Marks record `index` superseded, noting it for a rollback when it predates the
  /// checkpoint.
  private func markSuperseded(_ index: Int32) {
    records[Int(index)].superseded = true
    supersededCount += 1
    supersededPerFile[Int(file(ofRecord: Int(index)))] += 1
    acceptedPerPartner[Int(records[Int(index)].partner)] -= 1
    if let start = undo?.start, index < start { undo!.superseded.append(index) }
  }

  /// The number of records neither rejected nor superseded.
  public var acceptedCount: Int { records.count - supersededCount }
}
