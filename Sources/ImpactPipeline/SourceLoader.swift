import Foundation
import ImpactModel
import ImpactReaders
import Yams

/// Reads the `sources:` of a pipeline file into `SourceDefinition`s, checking every key
/// against the catalog and collecting every problem with its line.
struct SourceLoader {
  let catalog: Catalog

  static let sourceKeys = [
    "name", "files", "format", "csv", "xml", "partner", "response", "replaces", "period", "territory", "indicators",
  ]
  static let csvKeys = ["encoding", "delimiter", "decimal", "thousands", "header_row", "skip_rows"]
  static let xmlKeys = ["record"]
  static let indicatorKeys = ["indicator", "column", "path", "constant", "unit", "scale", "values", "rescale", "parse"]

  func load(_ list: Node, file: inout YAMLFile) -> [SourceDefinition] {
    guard let entries = list.sequence else {
      file.problem("wrong_type", "'sources' must be a list of sources", at: list, key: "sources")
      return []
    }
    var sources: [SourceDefinition] = []
    var names: Set<String> = []
    for (position, entry) in entries.enumerated() {
      guard let members = file.mapping(entry, "a source") else { continue }
      file.checkKeys(members, known: Self.sourceKeys, in: "a source")
      func value(_ key: String) -> Node? { members.first { $0.key == key }?.value }
      let name = file.string(value("name"), key: "name") ?? "source \(position + 1)"
      if !names.insert(name).inserted {
        file.problem("duplicate_source", "two sources are named '\(name)'", at: value("name"), key: "name")
      }
      let context = "source '\(name)'"
      var patterns: [String] = []
      if let node = value("files") {
        for item in node.sequence ?? [node] {
          if let text = file.string(item, key: "files") { patterns.append(file.resolve(text)) }
        }
      }
      if patterns.isEmpty {
        file.problem("missing_key", "\(context) needs 'files' (paths or globs)", at: entry, key: "files")
      }
      let format = file.string(value("format"), key: "format") ?? "csv"
      if !InputFormats.all.contains(where: { $0.id == format }) {
        let known = InputFormats.all.map(\.id).joined(separator: ", ")
        file.problem(
          "unknown_format", "\(context): format '\(format)' is not one of \(known)", at: value("format"), key: "format")
      }
      let isXML = format == "xml"
      var options = SourceOptions()
      if let node = value("csv"), let csv = file.mapping(node, "'csv'") {
        file.checkKeys(csv, known: Self.csvKeys, in: "'csv' of \(context)")
        loadCSVOptions(csv, into: &options, file: &file)
      }
      if let node = value("xml"), let xml = file.mapping(node, "'xml'") {
        file.checkKeys(xml, known: Self.xmlKeys, in: "'xml' of \(context)")
        if let record = xml.first(where: { $0.key == "record" }) {
          if let text = file.string(record.value, key: "record"), text.hasPrefix("/") {
            options.recordPath = text
          } else {
            file.problem(
              "invalid_path", "'record' is an absolute path such as /data or /rapport/site", at: record.value,
              key: "record")
          }
        }
      }
      let partner = field(value("partner"), "partner", isXML: isXML, context: context, file: &file, allowFile: true)
      let response = field(value("response"), "response", isXML: isXML, context: context, file: &file)
      let replaces = value("replaces").flatMap { field($0, "replaces", isXML: isXML, context: context, file: &file) }
      let period = periodSpec(value("period"), isXML: isXML, context: context, file: &file)
      let territory = territorySpec(value("territory"), isXML: isXML, context: context, file: &file)
      var indicators: [IndicatorMapping] = []
      if let node = value("indicators"), let list = node.sequence, !list.isEmpty {
        for item in list {
          if let mapping = indicatorMapping(item, isXML: isXML, context: context, file: &file) {
            indicators.append(mapping)
          }
        }
      } else {
        file.problem("missing_key", "\(context) needs a list of 'indicators' to map", at: entry, key: "indicators")
      }
      var mapped: [String: Int] = [:]
      for mapping in indicators {
        mapped[mapping.indicator, default: 0] += 1
        if mapped[mapping.indicator] == 2 {
          file.problem(
            "duplicate_indicator",
            "\(context) maps \(mapping.indicator) twice: in a record, the second would replace the first (same key); map it once",
            at: value("indicators"), key: "indicators")
        }
      }
      if let partner, let response, let period, let territory {
        sources.append(
          SourceDefinition(
            name: name, files: patterns, format: format, options: options, partner: partner, response: response,
            replaces: replaces, period: period, territory: territory, indicators: indicators))
      }
    }
    return sources
  }

  private func loadCSVOptions(
    _ members: [(key: String, value: Node)], into options: inout SourceOptions, file: inout YAMLFile
  ) {
    func character(_ key: String, allowed: [String]) -> UInt8? {
      guard let member = members.first(where: { $0.key == key }), let text = file.string(member.value, key: key) else {
        return nil
      }
      let normalized = text == "tab" || text == "\\t" ? "\t" : text
      guard allowed.contains(normalized), let byte = normalized.utf8.first, normalized.utf8.count == 1 else {
        let shown = allowed.map { $0 == "\t" ? "tab" : "'\($0)'" }.joined(separator: ", ")
        file.problem("invalid_option", "'\(key)' must be one of \(shown), not '\(text)'", at: member.value, key: key)
        return nil
      }
      return byte
    }
    if let member = members.first(where: { $0.key == "encoding" }),
      let text = file.string(member.value, key: "encoding")
    {
      if let encoding = SourceOptions.Encoding(rawValue: text.lowercased()) {
        options.encoding = encoding
      } else {
        file.problem(
          "invalid_option", "'encoding' is auto, utf-8 or windows-1252, not '\(text)'", at: member.value,
          key: "encoding")
      }
    }
    if let member = members.first(where: { $0.key == "delimiter" }),
      file.string(member.value, key: "delimiter") != "auto"
    {
      options.delimiter = character("delimiter", allowed: [",", ";", "\t", "|"])
    }
    options.decimal = character("decimal", allowed: [".", ","])
    options.thousands = character("thousands", allowed: [".", ",", " ", "'"])
    if let member = members.first(where: { $0.key == "header_row" }) {
      if let row = member.value.int, row >= 1 {
        options.headerRow = row
      } else {
        file.problem("invalid_option", "'header_row' is a line number from 1", at: member.value, key: "header_row")
      }
    }
    if let member = members.first(where: { $0.key == "skip_rows" }) {
      if let rows = member.value.int, rows >= 0 {
        options.skipRows = rows
      } else {
        file.problem("invalid_option", "'skip_rows' is a number of rows from 0", at: member.value, key: "skip_rows")
      }
    }
    if let decimal = options.decimal, decimal == options.thousands {
      file.problem(
        "invalid_option", "'decimal' and 'thousands' must differ", at: members.first?.value, key: "thousands")
    }
  }

  /// `{value: X}`, `{column: NAME}`, `{path: XPATH}` or `{file: REGEX}`, with an optional
  /// `default`.
  private func field(
    _ node: Node?, _ key: String, isXML: Bool, context: String, file: inout YAMLFile, allowFile: Bool = false,
    extraKeys: [String] = []
  ) -> FieldSpec? {
    guard let node else {
      file.problem("missing_key", "\(context) needs '\(key)'", at: nil, key: key)
      return nil
    }
    if let scalar = node.scalar {
      // A bare value is the fixed value.
      return FieldSpec(source: .value(scalar.string))
    }
    guard let members = file.mapping(node, "'\(key)'") else { return nil }
    file.checkKeys(
      members, known: ["value", "column", "path", "file", "default"] + extraKeys, in: "'\(key)' of \(context)")
    let kinds = members.filter { ["value", "column", "path", "file"].contains($0.key) }
    guard kinds.count == 1, let kind = kinds.first, let text = file.string(kind.value, key: kind.key), !text.isEmpty
    else {
      file.problem(
        "invalid_field", "'\(key)' of \(context) takes exactly one of value, column, path\(allowFile ? ", file" : "")",
        at: node, key: key)
      return nil
    }
    let defaultValue = members.first { $0.key == "default" }.flatMap { file.string($0.value, key: "default") }
    switch kind.key {
    case "value": return FieldSpec(source: .value(text), defaultValue: defaultValue)
    case "column":
      if isXML { file.problem("invalid_field", "an XML source reads 'path', not 'column'", at: kind.value, key: key) }
      return FieldSpec(source: .field(.column(text)), defaultValue: defaultValue)
    case "path":
      if !isXML { file.problem("invalid_field", "a CSV source reads 'column', not 'path'", at: kind.value, key: key) }
      return FieldSpec(source: .field(.path(text)), defaultValue: defaultValue)
    default:
      guard allowFile else {
        file.problem("invalid_field", "'file' is only for the partner", at: kind.value, key: key)
        return nil
      }
      guard let expression = try? NSRegularExpression(pattern: text), expression.numberOfCaptureGroups >= 1 else {
        file.problem(
          "invalid_pattern", "'\(text)' is not a regular expression with one group", at: kind.value, key: key)
        return nil
      }
      return FieldSpec(source: .fileName(pattern: text), defaultValue: defaultValue)
    }
  }

  private func periodSpec(_ node: Node?, isXML: Bool, context: String, file: inout YAMLFile) -> PeriodSpec? {
    guard
      let spec = field(
        node, "period", isXML: isXML, context: context, file: &file, extraKeys: ["format", "granularity"])
    else { return nil }
    var layout: DateLayout?
    var granularity: Period.Granularity?
    if let members = node?.mapping.map({ $0.map { (key: $0.key.string ?? "", value: $0.value) } }) {
      if let member = members.first(where: { $0.key == "format" }), let text = file.string(member.value, key: "format")
      {
        layout = DateLayout(text)
        if layout == nil {
          file.problem(
            "invalid_date_format",
            "'\(text)' is not a date format: use a pattern of dd, MM, yyyy (dd/MM/yyyy, MM/yyyy, yyyy-MM-dd), iso or quarter",
            at: member.value, key: "format")
        }
      }
      if let member = members.first(where: { $0.key == "granularity" }),
        let text = file.string(member.value, key: "granularity")
      {
        granularity = Period.Granularity(rawValue: text)
        if granularity == nil {
          file.problem(
            "invalid_granularity", "'\(text)' is not year, quarter, month or day", at: member.value, key: "granularity")
        }
      }
    }
    return PeriodSpec(field: spec, format: layout, granularity: granularity)
  }

  private func territorySpec(_ node: Node?, isXML: Bool, context: String, file: inout YAMLFile) -> TerritorySpec? {
    guard let spec = field(node, "territory", isXML: isXML, context: context, file: &file, extraKeys: ["kind"]) else {
      return nil
    }
    var kind = TerritoryKind.insee
    if let member = node?.mapping?.first(where: { $0.key.string == "kind" }),
      let text = file.string(member.value, key: "kind")
    {
      if let parsed = TerritoryKind(rawValue: text) {
        kind = parsed
      } else {
        file.problem(
          "invalid_kind", "'\(text)' is not \(TerritoryKind.allCases.map(\.rawValue).joined(separator: ", "))",
          at: member.value, key: "kind")
      }
    }
    if case .value(let text) = spec.source, kind == .insee,
      case .failure(let error) = TerritoryTable.france.parseTerritory(text)
    {
      file.problem("invalid_territory", error.message, at: node, key: "territory")
    }
    return TerritorySpec(field: spec, kind: kind)
  }

  private func indicatorMapping(_ node: Node, isXML: Bool, context: String, file: inout YAMLFile) -> IndicatorMapping? {
    guard let members = file.mapping(node, "an indicator mapping") else { return nil }
    file.checkKeys(members, known: Self.indicatorKeys, in: "an indicator mapping of \(context)")
    func value(_ key: String) -> Node? { members.first { $0.key == key }?.value }
    guard let id = file.string(value("indicator"), key: "indicator") else {
      file.problem("missing_key", "an indicator mapping of \(context) needs 'indicator'", at: node, key: "indicator")
      return nil
    }
    guard let index = catalog.index(of: id) else {
      let hint = catalog.closestID(to: id).map { "; did you mean \($0)?" } ?? ""
      file.problem(
        "unknown_indicator", "'\(id)' is not in the catalog\(hint)", at: value("indicator"), key: "indicator")
      return nil
    }
    let entry = catalog.indicators[index]
    let sources = ["column", "path", "constant"].filter { value($0) != nil }
    guard sources.count == 1 else {
      file.problem(
        "invalid_mapping", "the mapping of \(id) takes exactly one of column, path, constant", at: node,
        key: "indicator")
      return nil
    }
    let source: IndicatorMapping.Source
    switch sources[0] {
    case "constant":
      guard let text = file.string(value("constant"), key: "constant"), case .value(let constant) = Quantity.parse(text)
      else {
        file.problem("invalid_number", "'constant' of \(id) must be a number", at: value("constant"), key: "constant")
        return nil
      }
      source = .constant(constant)
    case "column":
      guard let text = file.string(value("column"), key: "column") else { return nil }
      if isXML {
        file.problem("invalid_field", "an XML source reads 'path', not 'column'", at: value("column"), key: "column")
      }
      source = .field(.column(text))
    default:
      guard let text = file.string(value("path"), key: "path") else { return nil }
      if !isXML {
        file.problem("invalid_field", "a CSV source reads 'column', not 'path'", at: value("path"), key: "path")
      }
      source = .field(.path(text))
    }
    var mapping = IndicatorMapping(source: source, indicator: id)
    if let text = file.string(value("unit"), key: "unit") {
      let accepted = [entry.unit] + entry.aliases.map(\.unit)
      if accepted.contains(text) {
        mapping.unit = text
      } else {
        file.problem(
          "invalid_unit", "\(id) takes \(accepted.joined(separator: ", ")), not '\(text)'", at: value("unit"),
          key: "unit")
      }
    }
    if let text = file.string(value("scale"), key: "scale") {
      if let factor = CatalogLoader.parseFactor(text) {
        mapping.scale = factor
      } else {
        file.problem(
          "invalid_number", "'scale' is a positive number or fraction such as 0.001 or 1/60", at: value("scale"),
          key: "scale")
      }
    }
    if let node = value("values"), let labels = file.mapping(node, "'values'") {
      for member in labels {
        guard let text = file.string(member.value, key: member.key), case .value(let number) = Quantity.parse(text)
        else {
          file.problem(
            "invalid_number", "the value of '\(member.key)' must be a number", at: member.value, key: member.key)
          continue
        }
        mapping.values.append((member.key, number))
      }
    }
    if let node = value("rescale") {
      let bounds = (node.sequence ?? []).compactMap { $0.scalar.map { Quantity.parse($0.string) } }
      if bounds.count == 2, case .value(let low) = bounds[0], case .value(let high) = bounds[1], low < high {
        mapping.rescale = (low, high)
        if entry.maximum == nil {
          file.problem(
            "invalid_rescale", "\(id) has no maximum in the catalog to rescale onto", at: node, key: "rescale")
        }
      } else {
        file.problem(
          "invalid_rescale", "'rescale' is the source scale [low, high], such as [0, 10]", at: node, key: "rescale")
      }
    }
    if let text = file.string(value("parse"), key: "parse") {
      if let parsing = ValueParsing(rawValue: text) {
        mapping.parsing = parsing
      } else {
        file.problem("invalid_parse", "'parse' is number or duration, not '\(text)'", at: value("parse"), key: "parse")
      }
    }
    return mapping
  }
}
