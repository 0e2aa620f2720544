import ImpactModel

extension ReportPage {
  /// The inputs table: one row per file read, in input order, with its counts, reject
  /// rate and why a malformed file was refused, then the files no format claimed.
  ///
  /// Paths are shown relative to the folder all inputs share, named once above the
  /// table, with a line break allowed after each `/`; warnings and unmapped columns are
  /// listed under the path.
  func inputsSection() -> String {
    let inputs = result.inputs
    let prefix = Self.commonFolder(inputs.map(\.path))
    var html = "<section id=\"inputs\">\n<h2>\(HTMLText.bilingual("Fichiers lus", "Input files"))</h2>\n"
    html += "<p class=\"lead\">" + HTMLText.integer(inputs.count) + " "
    html += HTMLText.bilingual("fichier(s)", "file(s)")
    let malformed = inputs.filter { $0.problem != nil }.count
    if malformed > 0 {
      html += " · <span class=\"bad-text\">\(HTMLText.integer(malformed)) "
      html += HTMLText.bilingual("refusé(s) en entier", "refused whole") + "</span>"
    }
    if !prefix.isEmpty {
      html += " · " + HTMLText.bilingual("dossier commun", "common folder")
      html += " <code>\(HTMLText.escape(prefix))</code>"
    }
    html += "</p>\n<div class=\"panel scroll\"><table class=\"inputs\"><thead><tr>"
    let headings: [(String, String, Bool)] = [
      ("Fichier", "File", false), ("Format", "Format", false), ("Source", "Source", false),
      ("Lues", "Read", true), ("Acceptées", "Accepted", true), ("Rejetées", "Rejected", true),
      ("Remplacées", "Superseded", true), ("Taux de rejet", "Reject rate", true),
      ("Fichier refusé", "Malformed", false),
    ]
    for (french, english, numeric) in headings {
      html += "<th scope=\"col\"\(numeric ? " class=\"n\"" : "")>\(HTMLText.bilingual(french, english))</th>"
    }
    html += "</tr></thead><tbody>"
    for input in inputs {
      html += input.problem == nil ? "<tr>" : "<tr class=\"bad-row\">"
      let shown = HTMLText.escape(String(input.path.dropFirst(prefix.count)))
      html += "<td class=\"path\"><code>\(shown.replacingOccurrences(of: "/", with: "/<wbr>"))</code>"
      html += notes(input) + "</td>"
      html += "<td>\(HTMLText.escape(input.format))</td>"
      html += "<td class=\"source\">"
      html += (input.source.map(HTMLText.escape) ?? HTMLText.bilingual("canonique", "canonical")) + "</td>"
      for value in [input.read, input.accepted, input.rejected, input.superseded] {
        html += "<td class=\"n\">\(HTMLText.integer(value))</td>"
      }
      let rate =
        input.read == 0
        ? Int128(0) : Quantity.divideRounded(Int128(input.rejected) * 1_000_000, by: Int128(input.read))
      html += "<td class=\"n\" title=\"reject_rate \(Quantity.format(micros: rate))\">"
      html += HTMLText.percent(input.rejected, of: input.read) + "</td>"
      html += "<td class=\"problem\">" + problem(input) + "</td></tr>"
    }
    html += "</tbody></table></div>\n"
    if !result.skipped.isEmpty {
      html += "<p class=\"note\">"
      html +=
        HTMLText.label("Ignorés (aucun format ne les lit)", "Skipped (no format reads them)") + " "
        + result.skipped.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
    }
    return html + "</section>\n"
  }

  /// Why a file was refused, and where; empty for a file that was read.
  private func problem(_ input: InputReport) -> String {
    guard let problem = input.problem else { return "" }
    var html = HTMLText.escape(problem)
    var place: [String] = []
    if input.problemLine > 0 { place.append(HTMLText.bilingual("ligne", "line") + " \(input.problemLine)") }
    if !input.problemPath.isEmpty { place.append("<code>\(HTMLText.escape(input.problemPath))</code>") }
    if !place.isEmpty { html += " <span class=\"muted\">(\(place.joined(separator: ", ")))</span>" }
    return html
  }

  /// The warnings and unmapped columns of a file, as a list under its path.
  private func notes(_ input: InputReport) -> String {
    var items = input.warnings.map { "<li>\(HTMLText.escape($0))</li>" }
    if !input.unmapped.isEmpty {
      items.append(
        "<li>" + HTMLText.label("Non repris", "Unmapped") + " "
          + input.unmapped.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ") + "</li>")
    }
    return items.isEmpty ? "" : "<ul class=\"notes\">" + items.joined() + "</ul>"
  }

  /// The folder, ending in `/`, that every path starts with; empty when there is none
  /// but the root.
  static func commonFolder(_ paths: [String]) -> String {
    guard var common = paths.first.map({ Array($0.utf8) }) else { return "" }
    for path in paths.dropFirst() {
      let bytes = Array(path.utf8)
      var length = 0
      while length < min(common.count, bytes.count) && common[length] == bytes[length] { length += 1 }
      common.removeSubrange(length...)
    }
    guard let slash = common.lastIndex(of: UInt8(ascii: "/")), slash > 0 else { return "" }
    return String(decoding: common[...slash], as: UTF8.self)
  }
}
