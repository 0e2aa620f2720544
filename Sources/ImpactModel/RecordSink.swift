/// A field a mapped source reads, and whether a file without it has drifted.
public struct RequestedField: Sendable, Equatable {
  public var reference: FieldReference
  /// A file that lacks a required field is refused whole: its export changed.
  public var required: Bool

  public init(reference: FieldReference, required: Bool) {
    self.reference = reference
    self.required = required
  }
}

/// One record of a mapped source: the bytes of each requested field, in request order
/// (nil where the record has no such field), valid only during the call.
public struct RecordValues {
  public let values: UnsafeBufferPointer<UnsafeRawBufferPointer?>
  /// The 1-based line the record starts on.
  public let line: Int

  public init(values: UnsafeBufferPointer<UnsafeRawBufferPointer?>, line: Int) {
    self.values = values
    self.line = line
  }
}

/// Where readers deliver the records of a mapped source.
public protocol RecordSink: PartSink {
  func record(_ record: RecordValues)
  /// A record that could not be read (a row with the wrong number of fields).
  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String)
}
