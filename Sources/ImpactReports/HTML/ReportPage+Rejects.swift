import ImpactModel

extension ReportPage {
  /// The rows of `rejects.csv` by reason, with what to do about each and a few examples,
  /// then by partner.
  ///
  /// The row count is checked against the run's counts: `rejects.csv` holds every
  /// rejected and every superseded observation. When the file cannot be read, the
  /// reasons come from the run's own counts and the partners are not known.
  func rejectsSection() -> String {
    let counts = result.counts
    var html = "<section id=\"rejects\">\n<h2>\(HTMLText.bilingual("Rejets et remplacements", "Rejects"))</h2>\n"
    if let problem = rejects.problem {
      html += "<p class=\"check bad\"><span class=\"badge\">✗</span> <span>\(HTMLText.escape(problem))</span></p>\n"
      return html + reasonsFromCounts() + "</section>\n"
    }
    if rejects.rows == 0 {
      html += "<p class=\"check ok\"><span class=\"badge\">✓</span> <span>"
      html += HTMLText.bilingual(
        "Aucun rejet : toutes les observations lues ont été acceptées.",
        "No rejects: every observation read was accepted.")
      return html + "</span></p>\n</section>\n"
    }
    let expected = counts.rejected + counts.superseded
    let matches = rejects.rows == expected
    html += "<p class=\"check \(matches ? "ok" : "bad")\"><span class=\"badge\">\(matches ? "✓" : "✗")</span> "
    html += "<span><a href=\"rejects.csv\"><code>rejects.csv</code></a>" + HTMLText.bilingual("\u{A0}:", ":") + " "
    html += HTMLText.integer(rejects.rows) + " "
    html += HTMLText.bilingual("lignes", "rows") + (matches ? " = " : " ≠ ")
    html += HTMLText.bilingual("rejetées", "rejected") + " " + HTMLText.integer(counts.rejected) + " + "
    html += HTMLText.bilingual("remplacées", "superseded") + " " + HTMLText.integer(counts.superseded)
    html += "</span></p>\n"
    html += reasonsOverview()
    html += "<h3>\(HTMLText.bilingual("Que corriger", "What to fix"))</h3>\n"
    for reason in rejects.reasonsByCount { html += reasonCard(reason) }
    html += partnersOverview()
    return html + "</section>\n"
  }

  /// The table and chart of rows by reason.
  private func reasonsOverview() -> String {
    let reasons = rejects.reasonsByCount
    var html = "<h3>\(HTMLText.bilingual("Par motif", "By reason"))</h3>\n<div class=\"split\">"
    html += "<div class=\"panel scroll\"><table class=\"reasons\"><thead><tr>"
    html += "<th scope=\"col\">\(HTMLText.bilingual("Motif", "Reason"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Lignes", "Rows"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Part", "Share"))</th></tr></thead><tbody>"
    for reason in reasons {
      let label = Self.label(ofReason: reason.code)
      html += "<tr><th scope=\"row\"><a href=\"#r-\(Self.slug(reason.code))\">"
      html += HTMLText.bilingual(label.french, label.english) + "</a><br>"
      html += "<code class=\"id\">\(HTMLText.escape(reason.code))</code></th>"
      html += "<td class=\"n\">\(HTMLText.integer(reason.count))</td>"
      html += "<td class=\"n\">\(HTMLText.percent(reason.count, of: rejects.rows))</td></tr>"
    }
    html += "</tbody></table></div>"
    let chart = BarChart(
      titleFrench: "Lignes de rejects.csv par motif", titleEnglish: "Rows of rejects.csv by reason",
      bars: reasons.map { reason in
        let label = Self.label(ofReason: reason.code)
        return BarChart.Bar(
          french: label.french, english: label.english, micros: Self.micros(reason.count),
          colour: reason.code == RejectReason.superseded.code ? "var(--superseded)" : nil)
      }, colour: "var(--bad)")
    html += "<figure><figcaption>\(HTMLText.bilingual("Lignes par motif", "Rows by reason"))</figcaption>"
    return html + chart.horizontal(id: "c-reasons") + "</figure></div>\n"
  }

  /// One reason: its count, the fix hint in both languages and the first rows.
  private func reasonCard(_ reason: RejectsTally.Reason) -> String {
    let label = Self.label(ofReason: reason.code)
    let known = RejectReason(rawValue: reason.code)
    let hintFrench = reason.hintFrench.isEmpty ? known?.hintFrench ?? "" : reason.hintFrench
    let hintEnglish = reason.hintEnglish.isEmpty ? known?.hintEnglish ?? "" : reason.hintEnglish
    var html = "<article class=\"reason\(reason.code == RejectReason.superseded.code ? " info" : "")\""
    html += " id=\"r-\(Self.slug(reason.code))\"><h4>\(HTMLText.bilingual(label.french, label.english))"
    html += " <span class=\"count\">\(HTMLText.integer(reason.count))</span>"
    html += " <code class=\"id\">\(HTMLText.escape(reason.code))</code></h4>"
    html += "<p class=\"hint\">\(HTMLText.bilingual(hintFrench, hintEnglish))</p>"
    html += "<div class=\"scroll\"><table class=\"examples\"><caption>"
    html += HTMLText.bilingual(
      reason.examples.count < reason.count ? "Premières lignes" : "Lignes",
      reason.examples.count < reason.count ? "First rows" : "Rows")
    html += "</caption><thead><tr>"
    let headings: [(String, String)] = [
      ("Fichier:ligne", "File:line"), ("Partenaire", "Partner"), ("Réponse", "Response"),
      ("Indicateur", "Indicator"), ("Valeur", "Value"), ("Message", "Message"),
    ]
    for (french, english) in headings { html += "<th scope=\"col\">\(HTMLText.bilingual(french, english))</th>" }
    html += "</tr></thead><tbody>"
    for example in reason.examples {
      let file = example.file.split(separator: "/").last.map(String.init) ?? example.file
      html += "<tr><td><code title=\"\(HTMLText.escape(example.file))\">"
      html += HTMLText.escape(file) + (example.line.isEmpty ? "" : ":" + HTMLText.escape(example.line))
      html += "</code></td><td>\(HTMLText.escape(example.partner))</td>"
      html += "<td><code>\(HTMLText.escape(example.response))</code></td>"
      html += "<td><code>\(HTMLText.escape(example.indicator))</code></td>"
      html += "<td><code>\(HTMLText.escape(example.value))</code></td>"
      html += "<td>\(HTMLText.escape(example.message))</td></tr>"
    }
    return html + "</tbody></table></div></article>\n"
  }

  /// The table of rows by partner, with each one's main reason, and the chart of the
  /// partners with the most rejected rows.
  private func partnersOverview() -> String {
    var partners = rejects.partnersByCount
    if rejects.otherPartners.rejected + rejects.otherPartners.superseded > 0 {
      partners.append(rejects.otherPartners)
    }
    var html = "<h3>\(HTMLText.bilingual("Par partenaire", "By partner"))</h3>\n<div class=\"split\">"
    html += "<div class=\"panel scroll\"><table class=\"partners\"><thead><tr>"
    let headings: [(String, String, Bool)] = [
      ("Partenaire", "Partner", false), ("Rejetées", "Rejected", true), ("Remplacées", "Superseded", true),
      ("Motif principal", "Main reason", false),
    ]
    for (french, english, numeric) in headings {
      html += "<th scope=\"col\"\(numeric ? " class=\"n\"" : "")>\(HTMLText.bilingual(french, english))</th>"
    }
    html += "</tr></thead><tbody>"
    for partner in partners {
      let name = partnerName(partner)
      html += "<tr><th scope=\"row\">\(HTMLText.bilingual(name.french, name.english))</th>"
      html += "<td class=\"n\">\(HTMLText.integer(partner.rejected))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(partner.superseded))</td><td>"
      if let main = partner.mainReason {
        let label = Self.label(ofReason: main)
        html += HTMLText.bilingual(label.french, label.english)
        html += " <span class=\"muted\">(\(HTMLText.integer(partner.reasons[main] ?? 0)))</span>"
      }
      html += "</td></tr>"
    }
    html += "</tbody></table></div>"
    let rejected = partners.filter { $0.rejected > 0 }.sorted { $0.rejected > $1.rejected }
    let shown = rejected.prefix(Self.topPartners)
    let chart = BarChart(
      titleFrench: "Observations rejetées par partenaire", titleEnglish: "Rejected observations by partner",
      bars: shown.map { partner in
        let name = partnerName(partner)
        return BarChart.Bar(french: name.french, english: name.english, micros: Self.micros(partner.rejected))
      }, colour: "var(--bad)")
    html += "<figure><figcaption>"
    html += HTMLText.bilingual(
      rejected.count > shown.count
        ? "Rejets : \(shown.count) premiers partenaires sur \(rejected.count)" : "Rejets par partenaire",
      rejected.count > shown.count
        ? "Rejects: top \(shown.count) of \(rejected.count) partners" : "Rejects by partner")
    html += "</figcaption>"
    html +=
      rejected.isEmpty
      ? "<p class=\"note\">\(HTMLText.bilingual("Aucune observation rejetée.", "No rejected observation."))</p>"
      : chart.horizontal(id: "c-reject-partners")
    return html + "</figure></div>\n"
  }

  /// Rows by reason from the run's counts, for when `rejects.csv` cannot be read.
  private func reasonsFromCounts() -> String {
    var html = "<div class=\"panel scroll\"><table class=\"reasons\"><thead><tr>"
    html += "<th scope=\"col\">\(HTMLText.bilingual("Motif", "Reason"))</th>"
    html += "<th scope=\"col\" class=\"n\">\(HTMLText.bilingual("Observations", "Observations"))</th>"
    html += "<th scope=\"col\">\(HTMLText.bilingual("Que faire", "What to do"))</th></tr></thead><tbody>"
    var counted = result.rejections
    counted[.superseded] = result.counts.superseded
    for reason in RejectReason.allCases where (counted[reason] ?? 0) > 0 {
      let label = Self.label(ofReason: reason.code)
      html += "<tr><th scope=\"row\">\(HTMLText.bilingual(label.french, label.english))<br>"
      html += "<code class=\"id\">\(reason.code)</code></th>"
      html += "<td class=\"n\">\(HTMLText.integer(counted[reason] ?? 0))</td>"
      html += "<td>\(HTMLText.bilingual(reason.hintFrench, reason.hintEnglish))</td></tr>"
    }
    return html + "</tbody></table></div>\n"
  }

  /// How a partner value reads: itself, or words for an empty id and for the rest.
  private func partnerName(_ partner: RejectsTally.Partner) -> (french: String, english: String) {
    if partner.isRest { return ("(autres partenaires)", "(other partners)") }
    return partner.id.isEmpty ? ("(sans identifiant)", "(no id)") : (partner.id, partner.id)
  }

  /// A count as micro-units, for charts of counts.
  static func micros(_ count: Int) -> Int128 { Int128(count) * Int128(Quantity.scale) }
}
