/// The five transitions every indicator belongs to. Their ids are stable API.
public enum Transition: String, CaseIterable, Sendable, Codable {
  case social
  case environmental
  case digitalInclusion = "digital_inclusion"
  case territorial
  case demographic

  /// The id as written in catalogs and reports.
  public var id: String { rawValue }
}
