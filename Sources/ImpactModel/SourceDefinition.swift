/// How one kind of partner export maps onto the impact schema: which files, which
/// format options, and where each schema field comes from. Written by an analyst in a
/// pipeline file; no Swift code per partner.
public struct SourceDefinition: Sendable {
  public var name: String
  /// File globs, already resolved against the pipeline file's folder.
  public var files: [String]
  /// The input format id (`csv`, `xml`).
  public var format: String
  public var options: SourceOptions
  public var partner: FieldSpec
  public var response: FieldSpec
  /// The response this record replaces entirely (ODK/Kobo `meta/deprecatedID`).
  public var replaces: FieldSpec?
  public var period: PeriodSpec
  public var territory: TerritorySpec
  public var indicators: [IndicatorMapping]

  public init(
    name: String, files: [String], format: String, options: SourceOptions, partner: FieldSpec, response: FieldSpec,
    replaces: FieldSpec?, period: PeriodSpec, territory: TerritorySpec, indicators: [IndicatorMapping]
  ) {
    self.name = name
    self.files = files
    self.format = format
    self.options = options
    self.partner = partner
    self.response = response
    self.replaces = replaces
    self.period = period
    self.territory = territory
    self.indicators = indicators
  }

  /// Every record field the mapping reads, without repeats, in a stable order.
  public var references: [FieldReference] {
    var seen: [FieldReference] = []
    func add(_ reference: FieldReference?) {
      if let reference, !seen.contains(reference) { seen.append(reference) }
    }
    add(partner.reference)
    add(response.reference)
    add(replaces?.reference)
    add(period.field.reference)
    add(territory.field.reference)
    for mapping in indicators { add(mapping.reference) }
    return seen
  }
}

/// A value in a record: a CSV column (by header name) or an XML path (relative to the
/// record element, `@name` for an attribute, absolute when it starts with `/`).
public enum FieldReference: Hashable, Sendable, CustomStringConvertible {
  case column(String)
  case path(String)

  public var description: String {
    switch self {
    case .column(let name): "column '\(name)'"
    case .path(let path): "path '\(path)'"
    }
  }

  /// The name as a reject's `field` shows it.
  public var label: String {
    switch self {
    case .column(let name): name
    case .path(let path): path
    }
  }
}

/// Where a schema field comes from.
public enum FieldSource: Sendable, Equatable {
  /// The same text for every record.
  case value(String)
  /// A column or path of the record.
  case field(FieldReference)
  /// The first group of a regular expression matched on the file name.
  case fileName(pattern: String)
}

/// A schema field: its source, and a default for records where the source is empty.
public struct FieldSpec: Sendable, Equatable {
  public var source: FieldSource
  public var defaultValue: String?

  public init(source: FieldSource, defaultValue: String? = nil) {
    self.source = source
    self.defaultValue = defaultValue
  }

  public var reference: FieldReference? {
    if case .field(let reference) = source { return reference }
    return nil
  }
}

/// Where the period comes from and how to read it.
public struct PeriodSpec: Sendable, Equatable {
  public var field: FieldSpec
  /// The date layout; nil for canonical periods (`2024`, `2024-Q1`, ...).
  public var format: DateLayout?
  /// The granularity reported; nil keeps what the text says.
  public var granularity: Period.Granularity?

  public init(field: FieldSpec, format: DateLayout?, granularity: Period.Granularity?) {
    self.field = field
    self.format = format
    self.granularity = granularity
  }
}

/// What a territory field holds.
public enum TerritoryKind: String, Sendable, CaseIterable {
  /// An INSEE commune code, a département code or FR, as in the canonical format.
  case insee
  /// A French postal code, resolved to its département.
  case postalCode = "postal_code"
  /// A département code.
  case departement
}

public struct TerritorySpec: Sendable, Equatable {
  public var field: FieldSpec
  public var kind: TerritoryKind

  public init(field: FieldSpec, kind: TerritoryKind) {
    self.field = field
    self.kind = kind
  }
}

/// How a raw value becomes a number.
public enum ValueParsing: String, Sendable {
  /// Numbers as partners write them: `1 234,50 €`, `12,5 %` (a ratio), `3/5`.
  case number
  /// Durations, in minutes: `90`, `1h30`, `16h`, `45min`, and buckets `0-30` (30).
  case duration
}

/// One observation per record from a column, a path or a constant: wide to long.
public struct IndicatorMapping: Sendable, Equatable {
  public enum Source: Sendable, Equatable {
    case field(FieldReference)
    case constant(Quantity)
  }

  public var source: Source
  public var indicator: String
  /// The unit of the values (a catalog unit or alias); nil for the catalog unit.
  public var unit: String?
  /// Multiplies the value, as a fraction.
  public var scale: (numerator: Int64, denominator: Int64)?
  /// Labels (`Oui`, `Tout à fait d'accord`) and their values, matched trimmed and
  /// case-insensitively.
  public var values: [(label: String, value: Quantity)]
  /// The source scale, mapped linearly onto the catalog range.
  public var rescale: (low: Quantity, high: Quantity)?
  public var parsing: ValueParsing

  public init(
    source: Source, indicator: String, unit: String? = nil, scale: (numerator: Int64, denominator: Int64)? = nil,
    values: [(label: String, value: Quantity)] = [], rescale: (low: Quantity, high: Quantity)? = nil,
    parsing: ValueParsing = .number
  ) {
    self.source = source
    self.indicator = indicator
    self.unit = unit
    self.scale = scale
    self.values = values
    self.rescale = rescale
    self.parsing = parsing
  }

  public var reference: FieldReference? {
    if case .field(let reference) = source { return reference }
    return nil
  }

  public static func == (lhs: IndicatorMapping, rhs: IndicatorMapping) -> Bool {
    lhs.source == rhs.source && lhs.indicator == rhs.indicator && lhs.unit == rhs.unit
      && lhs.scale?.numerator == rhs.scale?.numerator && lhs.scale?.denominator == rhs.scale?.denominator
      && lhs.values.map(\.label) == rhs.values.map(\.label) && lhs.values.map(\.value) == rhs.values.map(\.value)
      && lhs.rescale?.low == rhs.rescale?.low && lhs.rescale?.high == rhs.rescale?.high && lhs.parsing == rhs.parsing
  }
}

/// Reader options a source may set when detection is not enough.
public struct SourceOptions: Sendable, Equatable {
  public enum Encoding: String, Sendable {
    case auto
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
  }

  public var encoding: Encoding = .auto
  /// nil: detected.
  public var delimiter: UInt8?
  /// The decimal separator; nil accepts `.` and `,`.
  public var decimal: UInt8?
  /// A thousands separator besides blanks (such as `.`).
  public var thousands: UInt8?
  /// The 1-based record holding the header.
  public var headerRow = 1
  /// Records to pass over just below the header (a row of units, a sub-header).
  public var skipRows = 0
  /// XML: the path of the element that is one record (`/*` for the root).
  public var recordPath = "/*"

  public init() {}
}
