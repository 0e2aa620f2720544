import ImpactAggregation
import ImpactModel

extension ReportPage {
  /// A transition's year-over-year figures: for each of its series with data in its last
  /// year, that year's figure against the year before and two years before (as in
  /// `trends.csv`); nothing when no series spans two years.
  func trendTable(_ transition: Transition, trends: Trends) -> String {
    let series = trends.series.filter { $0.transition == transition && $0.points.count > 1 }
    guard !series.isEmpty else { return "" }
    var html = "<h3>\(HTMLText.bilingual("Évolution d'une année à l'autre", "Year over year"))</h3>\n"
    html += "<div class=\"panel scroll\"><table class=\"trends\"><thead><tr>"
    let headings: [(String, String, Bool)] = [
      ("Chiffre", "Figure", false), ("Année", "Year", true), ("Valeur", "Value", true),
      ("Année précédente", "Previous year", true), ("Écart", "Change", true), ("Rapport", "Ratio", true),
      ("Deux ans avant", "Two years before", true), ("Rapport", "Ratio", true),
    ]
    html += Self.columnHeadings(headings) + "</tr></thead><tbody>"
    for item in series {
      guard let point = item.points.last else { continue }
      let label: String
      if item.scope == "indicator", let index = catalog.index(of: item.id) {
        let indicator = catalog.indicators[index]
        label = HTMLText.bilingual(indicator.labelFrench, indicator.labelEnglish)
      } else {
        label =
          item.measure == "partners"
          ? HTMLText.bilingual("Partenaires actifs", "Active partners")
          : HTMLText.bilingual("Réponses", "Responses")
      }
      func amount(_ micros: Int128?) -> String { micros.map { HTMLText.amount(micros: $0) } ?? "–" }
      // Ratios to two decimals on the page; trends.csv has them to the micro-unit.
      func ratio(_ micros: Int128?) -> String {
        micros.map { "×" + HTMLText.amount(micros: Quantity.divideRounded($0, by: 10_000) * 10_000) } ?? "–"
      }
      html += "<tr><th scope=\"row\">\(label)</th><td class=\"n\">\(point.year)</td>"
      html += "<td class=\"n\">\(amount(point.value))</td><td class=\"n\">\(amount(point.previousYear))</td>"
      html += "<td class=\"n\">\(amount(point.changeFromPreviousYear))</td>"
      html += "<td class=\"n\">\(ratio(point.ratioToPreviousYear))</td>"
      html += "<td class=\"n\">\(amount(point.twoYearsBefore))</td>"
      html += "<td class=\"n\">\(ratio(point.ratioToTwoYearsBefore))</td></tr>"
    }
    return html + "</tbody></table></div>\n"
  }

  /// Column headings in French and English, `numeric` ones aligned right.
  static func columnHeadings(_ headings: [(french: String, english: String, numeric: Bool)]) -> String {
    headings.map { french, english, numeric in
      "<th scope=\"col\"\(numeric ? " class=\"n\"" : "")>\(HTMLText.bilingual(french, english))</th>"
    }.joined()
  }

  /// With the store: what this publication adds to the previous one.
  func deltaNote() -> String {
    guard let delta = result.delta else { return "" }
    let new = delta.newCounts
    var html = "<p class=\"note\">"
    html += HTMLText.bilingual("Nouveau depuis la dernière publication :", "New since the last publication:") + " "
    html += HTMLText.integer(delta.new.count) + " " + HTMLText.bilingual("fichier(s)", "file(s)") + ", "
    html += HTMLText.integer(new.read) + " " + HTMLText.bilingual("observations lues", "observations read") + ", "
    html += HTMLText.integer(new.accepted) + " " + HTMLText.bilingual("acceptées", "accepted") + "; "
    html += HTMLText.integer(delta.storedInputs) + " "
    html += HTMLText.bilingual("fichiers comptés en tout", "files counted in all") + "</p>\n"
    return html
  }
}
