import ImpactModel
import ImpactSupport

/// One accepted-so-far observation of a batch. Strings are ids into the batch's tables.
public struct BatchRecord: Sendable {
  /// In the catalog unit, after conversion.
  public var value: Quantity
  public var line: Int32
  public var partner: Int32
  /// Interned under the partner's id as tag.
  public var response: Int32
  public var period: Int32
  public var territory: Int32
  public var indicator: Int16
}

/// A response that a later record replaces entirely, wherever its observations came from.
public struct BatchReplacement: Sendable {
  /// The replacement takes effect before the batch record with this index.
  public var beforeRecord: Int
  public var partner: Int32
  /// The replaced response, interned in the batch's responses under `partner`.
  public var replaced: Int32
  /// The replacing response's id, as written.
  public var replacing: String
  public var line: Int
}

/// An observation refused while reading or normalizing, with what a partner needs to fix it.
public struct BatchReject: Sendable {
  public var line: Int
  public var reason: RejectReason
  /// The column name or XML path of the offending field; empty for the whole record.
  public var field: String
  /// The offending value (or the whole row for `malformed_row`), as read.
  public var value: String
  public var message: String
  public var partner: String
  public var response: String
  public var indicator: String

  public init(
    line: Int, reason: RejectReason, field: String, value: String, message: String, partner: String = "",
    response: String = "", indicator: String = ""
  ) {
    // What a partner wrote is quoted, not copied whole: a cell can hold megabytes.
    self.line = line
    self.reason = reason
    self.field = field.shortened(to: 200)
    self.value = value.shortened(to: 1000)
    self.message = message.shortened(to: 2000)
    self.partner = partner.shortened(to: 200)
    self.response = response.shortened(to: 200)
    self.indicator = indicator.shortened(to: 200)
  }
}

/// Everything normalization produced for one input file, in file order.
///
/// Batches are built by worker threads, one per file, and handed to the ledger in input
/// order; their string tables are local, so the ledger re-maps ids once per string id.
public final class NormalizedBatch: @unchecked Sendable {
  public internal(set) var records: ContiguousArray<BatchRecord> = []
  public internal(set) var rejects: [BatchReject] = []
  /// Normalized partner ids.
  public internal(set) var partners = ByteStringTable(capacity: 16)
  /// Response ids, tagged with their local partner id: unindexed, so a response read again
  /// further on may hold a second id (the ledger's table is the one that de-duplicates).
  public internal(set) var responses = ByteStringTable(capacity: 1024, indexed: false)
  /// Normalized period texts and their years.
  public internal(set) var periods: [Period] = []
  /// Normalized territories.
  public internal(set) var territories: [Territory] = []
  /// Responses replaced entirely by an edited submission (ODK `deprecatedID`), in file order.
  public internal(set) var replacements: [BatchReplacement] = []

  /// How many observations were read: accepted so far plus rejected.
  public var readCount: Int { records.count + rejects.count }

  public init() {}

  /// `moved` (a new batch unless given, and empty) holding what this one holds, this one
  /// left with what `moved` held: what a reader hands on stops being held by the sink
  /// that read it.
  public func movedOut(into moved: NormalizedBatch = NormalizedBatch()) -> NormalizedBatch {
    precondition(moved.readCount == 0 && moved.replacements.isEmpty, "moved into a batch that is not empty")
    swap(&moved.records, &records)
    swap(&moved.rejects, &rejects)
    swap(&moved.partners, &partners)
    swap(&moved.responses, &responses)
    swap(&moved.periods, &periods)
    swap(&moved.territories, &territories)
    swap(&moved.replacements, &replacements)
    return moved
  }

  /// Forgets everything, keeping the room the records and response ids took.
  func empty() {
    records.removeAll(keepingCapacity: true)
    rejects = []
    partners = ByteStringTable(capacity: 16)
    responses.truncate(to: 0)
    periods = []
    territories = []
    replacements = []
  }
}
