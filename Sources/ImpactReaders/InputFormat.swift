import ImpactModel

/// An input file format: recognises its files and reads them into an `ObservationSink`.
///
/// A new format is a folder beside `CSV/` and `XML/` with a type conforming to this
/// protocol, plus one line in `InputFormats.all`.
public protocol InputFormat: Sendable {
  /// The id written in `summary.json` (`csv`, `xml`).
  var id: String { get }
  /// File name extensions (lower case, without the dot) this format claims.
  var fileExtensions: [String] { get }
  /// Whether the first bytes of a file look like this format, for files whose extension
  /// says nothing.
  func recognizes(prefix: UnsafeRawBufferPointer) -> Bool
  /// Reads the whole file. Recoverable problems go to the sink or into the outcome; this
  /// never throws.
  func read(path: String, into sink: ObservationSink) -> ReadOutcome
  /// Reads the whole file as records of a mapped source: the values of `fields` per
  /// record. A required field the file lacks is a problem for the whole file (drift), but
  /// its records are still delivered so that each is counted.
  func read(path: String, options: SourceOptions, fields: [RequestedField], into sink: RecordSink) -> ReadOutcome
  /// Looks at a file to help write a source for it.
  func inspect(path: String) -> FileStructure
}

/// What reading one file produced besides its observations.
public struct ReadOutcome: Sendable {
  /// SHA-256 of the file's bytes, hexadecimal.
  public var sha256 = ""
  public var byteCount = 0
  /// Set when the file turned out unusable; none of its observations may be accepted.
  public var problem: FileProblem?
  /// Things a partner should know that do not reject anything (ignored columns, ...).
  public var warnings: [String] = []
  /// What was detected, for `summary.json` (`encoding`, `delimiter`, ...).
  public var detected: [String: String] = [:]
  /// Columns or paths the file has that no mapping reads, so that a changed export is
  /// noticed rather than half-read.
  public var unmapped: [String] = []
  /// Required fields of a mapped source that the file lacks (drift).
  public var missingFields: [FieldReference] = []
  /// CSV: the header's column names.
  public var columns: [String] = []

  public init() {}
}

/// Why a whole file was refused, and where.
public struct FileProblem: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  /// The 1-based line, 0 when unknown.
  public let line: Int
  /// An XML path or a column, when one applies.
  public let path: String

  public init(message: String, line: Int = 0, path: String = "") {
    self.message = message
    self.line = line
    self.path = path
  }

  public var description: String {
    var text = message
    if line > 0 { text = "line \(line): " + text }
    if !path.isEmpty { text += " (at \(path))" }
    return text
  }
}

/// What `impact inspect` learns about a file: what was detected, and its fields with a
/// few sample values, so that an analyst can write a source for it.
public struct FileStructure: Sendable {
  public struct Field: Sendable {
    /// A CSV column name, or an XML path relative to the record element.
    public var name: String
    /// How many records have a value there.
    public var filled: Int
    public var samples: [String]

    public init(name: String, filled: Int = 0, samples: [String] = []) {
      self.name = name
      self.filled = filled
      self.samples = samples
    }
  }

  public var format: String
  public var detected: [String: String] = [:]
  public var records = 0
  public var fields: [Field] = []
  /// CSV: the line holding the header.
  public var headerRow: Int?
  /// XML: the element that looks like one record.
  public var recordPath: String?
  public var problem: FileProblem?

  public init(format: String) { self.format = format }
}
