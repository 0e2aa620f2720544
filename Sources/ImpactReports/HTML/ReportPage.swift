import Foundation
import ImpactAggregation
import ImpactModel
import ImpactSupport

/// The text of `report.html`: a run's result and its rejects as one self-contained page.
///
/// The page loads nothing: style, charts (inline SVG) and the language switch are in
/// the file, and its Content-Security-Policy forbids every fetch, so a value that slipped
/// through escaping still could not reach the network. Tables and charts are plain
/// markup; the script only adds the language button.
struct ReportPage {
  let result: RunResult
  let rejects: RejectsTally
  /// The aggregate rows per grouping, then per indicator index, in report order.
  let rows: [Grouping: [Int: [AggregateRow]]]

  init(result: RunResult, rejects: RejectsTally) {
    self.result = result
    self.rejects = rejects
    var rows: [Grouping: [Int: [AggregateRow]]] = [:]
    for row in result.rows { rows[row.grouping, default: [:]][row.indicator, default: []].append(row) }
    self.rows = rows
  }

  var catalog: Catalog { result.ledger.catalog }

  func render() -> String {
    var html = "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    html +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      + "script-src '\(Self.scriptHash)'; base-uri 'none'; form-action 'none'\">\n"
    html += "<meta name=\"generator\" content=\"impact \(HTMLText.escape(result.toolVersion))\">\n"
    html += "<title>Rapport d&#39;impact · \(HTMLText.escape(result.runID))</title>\n"
    html += "<style>\(Self.style)</style>\n</head>\n<body>\n"
    html += header()
    html += "<main class=\"wrap\">\n"
    html += countsSection()
    html += inputsSection()
    html += transitionSections()
    html += rejectsSection()
    html += "</main>\n"
    html += footer()
    html += "<script>\(Self.script)</script>\n</body>\n</html>\n"
    return html
  }

  /// The run's identity: id, dates, version, pipeline, and the table of contents.
  private func header() -> String {
    let iso = ISO8601DateFormatter()
    func time(_ date: Date) -> String {
      let text = iso.string(from: date)
      let shown = text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
      return "<time datetime=\"\(HTMLText.escape(text))\">\(HTMLText.escape(shown))</time>"
    }
    func item(_ french: String, _ english: String, _ value: String) -> String {
      "<div><dt>\(HTMLText.bilingual(french, english))</dt><dd>\(value)</dd></div>"
    }
    var html = "<header class=\"top\"><div class=\"wrap\">\n<div class=\"top-row\"><p class=\"kicker\">"
    html += HTMLText.bilingual("Économie sociale et solidaire · mesure d'impact", "Social economy · impact measurement")
    html += "</p><button id=\"lang\" class=\"lang\" type=\"button\" hidden>"
    html +=
      "<span class=\"fr\" lang=\"en\">English</span><span class=\"en\" lang=\"fr\">Français</span></button></div>\n"
    html += "<h1>\(HTMLText.bilingual("Rapport d'impact", "Impact report"))</h1>\n<dl class=\"meta\">"
    html += item("Run", "Run", "<code>\(HTMLText.escape(result.runID))</code>")
    html += item("Début", "Started", time(result.startedAt))
    html += item("Agrégation terminée", "Aggregated", time(result.finishedAt))
    html += item("Version", "Version", "impact \(HTMLText.escape(result.toolVersion))")
    html += item("Pipeline", "Pipeline", "<code>\(HTMLText.escape(result.pipelinePath))</code>")
    html += item("Catalogue", "Catalog", "<code>\(HTMLText.escape(result.catalogPath))</code>")
    html += "</dl>\n<nav class=\"toc\" aria-label=\"Sections\">"
    var links = [
      ("counts", "Comptes", "Counts"), ("inputs", "Fichiers", "Inputs"),
    ]
    for transition in Transition.allCases {
      let name = Self.name(of: transition)
      links.append(("t-" + transition.id, name.short, name.shortEnglish))
    }
    links.append(("rejects", "Rejets", "Rejects"))
    for (anchor, french, english) in links {
      html += "<a href=\"#\(anchor)\">\(HTMLText.bilingual(french, english))</a>"
    }
    return html + "</nav>\n</div></header>\n"
  }

  /// The four counts, their shares, the accounting check and the transitions at a glance.
  private func countsSection() -> String {
    let counts = result.counts
    var html = "<section id=\"counts\">\n<h2>\(HTMLText.bilingual("Observations", "Observations"))</h2>\n"
    html += "<div class=\"cards\">"
    let cards: [(String, String, String, Int, String)] = [
      ("read", "Lues", "Read", counts.read, ""),
      ("accepted", "Acceptées", "Accepted", counts.accepted, HTMLText.percent(counts.accepted, of: counts.read)),
      ("rejected", "Rejetées", "Rejected", counts.rejected, HTMLText.percent(counts.rejected, of: counts.read)),
      (
        "superseded", "Remplacées", "Superseded", counts.superseded,
        HTMLText.percent(counts.superseded, of: counts.read)
      ),
    ]
    for (kind, french, english, value, share) in cards {
      html += "<div class=\"card \(kind)\" data-count=\"\(kind)\">"
      html += "<div class=\"k\">\(HTMLText.bilingual(french, english))</div>"
      html += "<div class=\"v\">\(HTMLText.integer(value))</div>"
      html +=
        "<div class=\"s\">\(share.isEmpty ? HTMLText.bilingual("observations", "observations") : share)</div></div>"
    }
    html += "</div>\n" + outcomeBar(counts)
    let balanced = counts.balances
    html += "<p class=\"check \(balanced ? "ok" : "bad")\"><span class=\"badge\">"
    html +=
      balanced ? HTMLText.bilingual("✓ équilibré", "✓ balanced") : HTMLText.bilingual("✗ déséquilibré", "✗ unbalanced")
    html += "</span> <span>" + HTMLText.label("Contrôle comptable", "Accounting check") + " "
    html += HTMLText.bilingual("lues", "read") + " " + HTMLText.integer(counts.read) + " = "
    html += HTMLText.bilingual("acceptées", "accepted") + " " + HTMLText.integer(counts.accepted) + " + "
    html += HTMLText.bilingual("rejetées", "rejected") + " " + HTMLText.integer(counts.rejected) + " + "
    html += HTMLText.bilingual("remplacées", "superseded") + " " + HTMLText.integer(counts.superseded)
    html += "</span></p>\n"
    html += deltaNote()
    html += transitionsOverview()
    return html + "</section>\n"
  }

  /// One bar split into accepted, rejected and superseded, with a legend.
  private func outcomeBar(_ counts: Counts) -> String {
    let parts: [(String, String, String, Int)] = [
      ("accepted", "Acceptées", "Accepted", counts.accepted),
      ("rejected", "Rejetées", "Rejected", counts.rejected),
      ("superseded", "Remplacées", "Superseded", counts.superseded),
    ]
    let total = max(1, counts.read)
    var svg =
      "<svg class=\"outcome\" role=\"img\" aria-labelledby=\"outcome-title\" viewBox=\"0 0 1000 28\""
      + " preserveAspectRatio=\"none\"><title id=\"outcome-title\">"
      + "Répartition des observations lues · Observations read by outcome</title>"
    var x = 0.0
    for (kind, french, english, value) in parts where value > 0 {
      let width = Double(value) / Double(total) * 1000
      svg += "<rect class=\"\(kind)\" x=\"\(BarChart.coordinate(x))\" y=\"0\" width=\"\(BarChart.coordinate(width))\""
      svg += " height=\"28\"><title>\(french) · \(english): \(value)</title></rect>"
      x += width
    }
    svg += "</svg>"
    var legend = "<ul class=\"legend\">"
    for (kind, french, english, value) in parts {
      legend += "<li><span class=\"swatch \(kind)\"></span>\(HTMLText.bilingual(french, english)) "
      legend += "<b>\(HTMLText.integer(value))</b></li>"
    }
    return "<div class=\"panel outcome-panel\">" + svg + legend + "</ul></div>\n"
  }

  /// Per transition: partners, responses and indicators with data, linked to its section.
  private func transitionsOverview() -> String {
    var html = "<div class=\"panel scroll\"><table class=\"overview\"><caption>"
    html += HTMLText.bilingual("Les cinq transitions", "The five transitions") + "</caption><thead><tr>"
    html += "<th scope=\"col\">\(HTMLText.bilingual("Transition", "Transition"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Partenaires", "Partners"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Réponses", "Responses"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Observations", "Observations"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Indicateurs renseignés", "Indicators with data"))</th>"
    html += "</tr></thead><tbody>"
    for totals in result.transitions {
      let name = Self.name(of: totals.transition)
      let indicators = catalog.indicators.indices.filter { catalog.indicators[$0].transition == totals.transition }
      let observed = indicators.compactMap { rows[.indicator]?[$0]?.first?.statistics.observations }
      html += "<tr><th scope=\"row\"><a class=\"dot\" style=\"--c:\(Self.colour(of: totals.transition))\""
      html += " href=\"#t-\(totals.transition.id)\">\(HTMLText.bilingual(name.french, name.english))</a></th>"
      html += "<td class=\"n\">\(HTMLText.integer(totals.partners))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(totals.responses))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(observed.reduce(0, +)))</td>"
      html += "<td class=\"n\">\(observed.count) / \(indicators.count)</td></tr>"
    }
    return html + "</tbody></table></div>\n"
  }

  private func footer() -> String {
    var html = "<footer><div class=\"wrap\"><p>"
    html += HTMLText.bilingual("Rapport produit par", "Report written by")
    html += " impact \(HTMLText.escape(result.toolVersion)) · "
    html += HTMLText.label("Fichiers du run", "Files of the run") + " "
    html += ["summary.json", "aggregates.csv", "records.csv", "rejects.csv"].map {
      "<a href=\"\($0)\"><code>\($0)</code></a>"
    }.joined(separator: ", ")
    html +=
      "</p><p>"
      + HTMLText.bilingual(
        "Montants exacts, dans l'unité du catalogue ; une moyenne est arrondie au millionième, au pair le plus proche.",
        "Exact amounts, in the catalog unit; a mean is rounded to the millionth, half to even.")
    return html + "</p></div></footer>\n"
  }

  /// The CSP source for the page's one script: its SHA-256, in base 64.
  static let scriptHash: String = {
    let digest = SHA256()
    digest.update(Array(script.utf8))
    let hex = Array(digest.hexDigest().utf8)
    func nibble(_ byte: UInt8) -> UInt8 { byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - 87 }
    let bytes = stride(from: 0, to: hex.count, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
    return "sha256-" + Data(bytes).base64EncodedString()
  }()
}
