import Foundation
import ImpactModel
import ImpactReaders

/// `impact inspect`: what was detected in a file, and a ready-to-edit source block for a
/// pipeline, with the fields that look like dates, places and numbers already placed.
public struct Inspector {
  public let catalog: Catalog

  public init(catalog: Catalog) { self.catalog = catalog }

  /// The report for `path`, as text.
  public func report(path: String) throws(UsageError) -> String {
    guard FileManager.default.fileExists(atPath: path) else { throw UsageError(message: "no such file: \(path)") }
    let prefix = Array((FileManager.default.contents(atPath: path) ?? Data()).prefix(512))
    guard let format = prefix.withUnsafeBytes({ InputFormats.format(forPath: path, prefix: $0) }) else {
      throw UsageError(message: "no input format recognises \(path) (expected .csv, .tsv, .txt or .xml)")
    }
    let structure = format.inspect(path: path)
    var lines = ["file: \(path)", "format: \(structure.format)"]
    for (key, value) in structure.detected.sorted(by: { $0.key < $1.key }) { lines.append("\(key): \(value)") }
    if let row = structure.headerRow { lines.append("header line: \(row)") }
    if let record = structure.recordPath { lines.append("record element: \(record)") }
    lines.append("records: \(structure.records)")
    if let problem = structure.problem { lines.append("problem: \(problem)") }
    lines.append("")
    lines.append(
      structure.format == "xml" ? "paths (relative to the record), filled, samples:" : "columns, filled, samples:")
    for field in structure.fields {
      lines.append("  \(field.name)  [\(field.filled)/\(structure.records)]  \(field.samples.joined(separator: " | "))")
    }
    lines.append("")
    lines.append("# A source block to paste under 'sources:' in a pipeline file, then edit:")
    lines += sourceBlock(path: path, structure: structure)
    return lines.joined(separator: "\n") + "\n"
  }

  private func sourceBlock(path: String, structure: FileStructure) -> [String] {
    let isXML = structure.format == "xml"
    let key = isXML ? "path" : "column"
    func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
    /// Most samples pass: one bad value in a partner's column is common.
    func looks(_ field: FileStructure.Field, _ test: (String) -> Bool) -> Bool {
      field.samples.filter(test).count * 2 > field.samples.count
    }
    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    let folder = (path as NSString).deletingLastPathComponent
    let pattern = (folder.isEmpty ? "" : folder + "/") + "*." + ((path as NSString).pathExtension)
    var block = [
      "  - name: \(name)",
      "    files: [\(quoted(pattern))]   # relative to the current folder here: rewrite it relative to the pipeline file",
      "    format: \(structure.format)",
    ]
    if isXML {
      block.append("    xml: {record: \(quoted(structure.recordPath ?? "/*"))}")
    } else {
      var options: [String] = []
      if let encoding = structure.detected["encoding"], encoding.hasPrefix("windows-1252") {
        options.append("encoding: windows-1252")
      }
      if let delimiter = structure.detected["delimiter"] {
        options.append("delimiter: \(quoted(delimiter == "tab" ? "\\t" : delimiter))")
      }
      if let row = structure.headerRow, row > 1 { options.append("header_row: \(row)") }
      if structure.fields.contains(where: {
        looks($0) { $0.contains(",") && Double($0.replacingOccurrences(of: ",", with: ".")) != nil }
      }) {
        options.append("decimal: \",\"")
      }
      if !options.isEmpty { block.append("    csv: {\(options.joined(separator: ", "))}") }
    }
    let dateField = structure.fields.first { looks($0) { Self.dateFormat(of: $0) != nil } }
    let placeField = structure.fields.first { field in
      looks(field) { $0.count == 5 && $0.allSatisfy { $0.isNumber || $0 == "A" || $0 == "B" } }
    }
    let idField =
      structure.fields.first { field in
        let lower = field.name.lowercased()
        return lower.contains("instanceid") || lower.contains("id") || lower.contains("n°") || lower.contains("numéro")
      } ?? structure.fields.first
    block.append("    partner: {value: CHANGE-ME}   # or {\(key): ...} or {file: \"^([a-z0-9-]+)_\"}")
    block.append("    response: {\(key): \(quoted(idField?.name ?? "CHANGE-ME"))}")
    if let dateField, let format = dateField.samples.first.flatMap(Self.dateFormat(of:)) {
      block.append("    period: {\(key): \(quoted(dateField.name)), format: \(format), granularity: quarter}")
    } else {
      block.append("    period: {value: \"CHANGE-ME\"}   # or {\(key): ..., format: dd/MM/yyyy, granularity: month}")
    }
    if let placeField {
      let postal = placeField.name.lowercased().contains("post") || placeField.name.lowercased().contains("cp")
      block.append("    territory: {\(key): \(quoted(placeField.name))\(postal ? ", kind: postal_code" : "")}")
    } else {
      block.append("    territory: {value: FR}   # or {\(key): ..., kind: insee | postal_code | departement}")
    }
    block.append("    indicators:")
    let used = Set([dateField?.name, placeField?.name, idField?.name].compactMap { $0 })
    for field in structure.fields where !used.contains(field.name) {
      let numeric = looks(field) { sample in
        Array(sample.utf8).withUnsafeBytes { bytes in
          (try? PartnerValues.number(bytes, style: .init()).get()) != nil
            || (try? PartnerValues.durationMinutes(bytes).get()) != nil
        }
      }
      let sample = field.samples.first.map { "  # e.g. \($0)" } ?? ""
      let prefix = numeric ? "      - " : "      # - "
      block.append("\(prefix){\(key): \(quoted(field.name)), indicator: CHANGE-ME}\(sample)")
    }
    block.append("      # ids: " + catalog.indicators.map(\.id).joined(separator: ", "))
    return block
  }

  /// The date layout a sample reads as, if any.
  static func dateFormat(of sample: String) -> String? {
    let candidates = ["dd/MM/yyyy", "yyyy-MM-dd", "dd-MM-yyyy", "dd.MM.yyyy", "MM/yyyy", "iso", "quarter"]
    return candidates.first { candidate in
      guard let layout = DateLayout(candidate) else { return false }
      return Array(sample.utf8).withUnsafeBytes { (try? layout.read($0).get()) != nil }
    }
  }
}
