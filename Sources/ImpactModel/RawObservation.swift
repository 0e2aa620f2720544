/// The fields of the common schema that a reader extracts from a record.
public enum RawField: Int, CaseIterable, Sendable {
  case partner, response, period, territory, indicator, value, unit

  /// The canonical column name.
  public var name: String {
    switch self {
    case .partner: "partner_id"
    case .response: "response_id"
    case .period: "period"
    case .territory: "territory"
    case .indicator: "indicator"
    case .value: "value"
    case .unit: "unit"
    }
  }
}

/// One observation as a reader found it: UTF-8 bytes borrowed for the duration of the call
/// to `ObservationSink.observation(_:)`; nil where the record has no such field.
///
/// Readers never build a `String` per field: the sink decides what to keep.
public struct RawObservation {
  public var partner: UnsafeRawBufferPointer?
  public var response: UnsafeRawBufferPointer?
  public var period: UnsafeRawBufferPointer?
  public var territory: UnsafeRawBufferPointer?
  public var indicator: UnsafeRawBufferPointer?
  public var value: UnsafeRawBufferPointer?
  public var unit: UnsafeRawBufferPointer?
  /// The 1-based line the record starts on.
  public var line: Int

  public init(line: Int) { self.line = line }

  public subscript(field: RawField) -> UnsafeRawBufferPointer? {
    get {
      switch field {
      case .partner: partner
      case .response: response
      case .period: period
      case .territory: territory
      case .indicator: indicator
      case .value: value
      case .unit: unit
      }
    }
    set {
      switch field {
      case .partner: partner = newValue
      case .response: response = newValue
      case .period: period = newValue
      case .territory: territory = newValue
      case .indicator: indicator = newValue
      case .value: value = newValue
      case .unit: unit = newValue
      }
    }
  }
}

/// A sink that can take one file in parts, read at once on several threads.
public protocol PartSink: AnyObject {
  /// How many parts of one file a reader may read at once, each on its own thread; 1
  /// when the sink cannot take parts.
  var parallelParts: Int { get }
  /// A new empty sink of the same kind for one of `count` parts of the file, read on
  /// another thread.
  func makePart(of count: Int) -> Self
  /// Appends what a part (made by `makePart`) read, after everything already here: parts
  /// are absorbed in file order, so the result is what one sequential read gives.
  func absorb(_ part: any PartSink)
  /// Adds `offset` to the line of everything read so far (a part numbered from 1).
  func shiftLines(by offset: Int)
  /// Forgets every part absorbed so far: a reader that passed on the first parts of a
  /// file before finding it cannot be read in parts calls this before reading it again.
  func discardAbsorbed()
  /// Whether the sink can forget everything read so far (see `discardAll`).
  var canDiscardAll: Bool { get }
  /// Forgets everything read so far, as if nothing had been: a reader that read the file
  /// on a guess the end of the file proved wrong (its encoding) reads it again after this.
  func discardAll()
}

extension PartSink {
  public var parallelParts: Int { 1 }
  public func makePart(of count: Int) -> Self { fatalError("this sink takes no parts") }
  public func absorb(_ part: any PartSink) { fatalError("this sink takes no parts") }
  public func shiftLines(by offset: Int) { fatalError("this sink takes no parts") }
  public func discardAbsorbed() { fatalError("this sink takes no parts") }
  public var canDiscardAll: Bool { false }
  public func discardAll() { fatalError("this sink cannot forget what it read") }
}

/// Where readers deliver what they read from one input file.
///
/// Row-level problems a reader can see itself (a row with the wrong number of fields)
/// arrive through `rejectRecord`; everything else is the sink's to judge.
public protocol ObservationSink: PartSink {
  /// How each field is named in this file (a column header, an XML path), for positions.
  func setFieldLabels(_ labels: [RawField: String])
  /// One observation, valid only during the call.
  func observation(_ raw: RawObservation)
  /// A record that could not be read as an observation; it counts as one observation read.
  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String)
}
