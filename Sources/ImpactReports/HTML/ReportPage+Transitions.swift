import ImpactAggregation
import ImpactModel

extension ReportPage {
  /// One section per transition: its indicators' totals, then per indicator with data
  /// the charts by région, by year and by partner.
  ///
  /// The charts of the transition's main indicator (the first in catalog order with
  /// observations, the catalog listing the headline indicator of each transition first)
  /// are open; the others fold under their `<summary>`, which needs no script.
  func transitionSections() -> String {
    var html = ""
    let trends = Trends(result)
    for totals in result.transitions {
      let transition = totals.transition
      let name = Self.name(of: transition)
      let indicators = catalog.indicators.indices.filter { catalog.indicators[$0].transition == transition }
      let observed = indicators.filter { rows[.indicator]?[$0]?.first != nil }
      html += "<section id=\"t-\(transition.id)\" class=\"transition\" style=\"--c:\(Self.colour(of: transition))\">\n"
      html += "<h2><span class=\"mark\" aria-hidden=\"true\"></span>\(HTMLText.bilingual(name.french, name.english))"
      html += " <code class=\"id\">\(transition.id)</code></h2>\n<p class=\"lead\">"
      html += HTMLText.integer(totals.partners) + " " + HTMLText.bilingual("partenaires", "partners") + " · "
      html += HTMLText.integer(totals.responses) + " " + HTMLText.bilingual("réponses", "responses") + " · "
      html += "\(observed.count) / \(indicators.count) "
      html += HTMLText.bilingual("indicateurs renseignés", "indicators with data") + "</p>\n"
      html += indicatorTable(indicators)
      html += trendTable(transition, trends: trends)
      if observed.isEmpty {
        html += "<p class=\"note\">"
        html += HTMLText.bilingual(
          "Aucune observation acceptée pour cette transition.", "No accepted observation for this transition.")
        html += "</p>\n"
      }
      for (position, index) in observed.enumerated() {
        html += indicatorCharts(index, open: position == 0)
      }
      html += "</section>\n"
    }
    return html
  }

  /// The indicators of a transition with their totals from the `indicator` grouping; the
  /// figure the aggregation reports (the sum, or the mean for a score) is in bold.
  private func indicatorTable(_ indicators: [Int]) -> String {
    var html = "<div class=\"panel scroll\"><table class=\"indicators\"><thead><tr>"
    let headings: [(String, String, Bool)] = [
      ("Indicateur", "Indicator", false), ("Unité", "Unit", false), ("Agrégation", "Aggregation", false),
      ("Observations", "Observations", true), ("Partenaires", "Partners", true), ("Réponses", "Responses", true),
      ("Somme", "Sum", true), ("Moyenne", "Mean", true),
    ]
    html += Self.columnHeadings(headings) + "</tr></thead><tbody>"
    for index in indicators {
      let indicator = catalog.indicators[index]
      let row = rows[.indicator]?[index]?.first
      let statistics = row?.statistics ?? Statistics()
      let aggregation = Self.name(of: indicator.aggregation)
      html += row == nil ? "<tr class=\"empty\">" : "<tr>"
      html += "<th scope=\"row\">\(HTMLText.bilingual(indicator.labelFrench, indicator.labelEnglish))"
      html += "<br><code class=\"id\">\(HTMLText.escape(indicator.id))</code></th>"
      html += "<td><code>\(HTMLText.escape(indicator.unit))</code></td>"
      html += "<td>\(HTMLText.bilingual(aggregation.french, aggregation.english))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(statistics.observations))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(row?.partners ?? 0))</td>"
      html += "<td class=\"n\">\(HTMLText.integer(row?.responses ?? 0))</td>"
      let meanIsHeadline = indicator.aggregation == .mean
      let sum = HTMLText.amount(micros: statistics.sum)
      html += "<td class=\"n\">" + (row == nil ? "—" : meanIsHeadline ? sum : "<b>\(sum)</b>") + "</td>"
      let mean = statistics.meanMicros.map { HTMLText.amount(micros: $0) } ?? "—"
      html += "<td class=\"n\">" + (meanIsHeadline && row != nil ? "<b>\(mean)</b>" : mean) + "</td></tr>"
    }
    return html + "</tbody></table></div>\n"
  }

  /// The three charts of one indicator, under a `<details>` headed by its label.
  private func indicatorCharts(_ index: Int, open: Bool) -> String {
    let indicator = catalog.indicators[index]
    let measure = Self.measure(of: indicator.aggregation)
    let slug = Self.slug(indicator.id)
    let unit = HTMLText.escape(indicator.unit)
    var html = "<details class=\"indicator\"\(open ? " open" : "")><summary>"
    html += HTMLText.bilingual(indicator.labelFrench, indicator.labelEnglish)
    html += " <span class=\"muted\">· \(HTMLText.bilingual(measure.french, measure.english)), \(unit)</span></summary>"
    html += "<div class=\"charts\">"
    let table = result.ledger.territoryTable
    let byRegion = (rows[.indicatorRegion]?[index] ?? []).map { row -> BarChart.Bar in
      let region = row.region ?? table.regions.count
      let name =
        region == table.regions.count
        ? (french: "France entière (FR)", english: "Nationwide (FR)")
        : (french: table.regions[region].name, english: table.regions[region].name)
      return BarChart.Bar(french: name.french, english: name.english, micros: figure(row, indicator))
    }
    html += figure(
      indicator, measure, ("par région", "by region"), "region", slug,
      bars: byRegion.sorted { $0.micros != $1.micros ? $0.micros > $1.micros : $0.french < $1.french },
      horizontal: true)
    let byPartner = (rows[.indicatorPartner]?[index] ?? []).map { row in
      let id = row.partner.map { result.ledger.partners.string(of: $0) } ?? ""
      return BarChart.Bar(french: id, english: id, micros: figure(row, indicator))
    }.sorted {
      $0.micros != $1.micros ? $0.micros > $1.micros : $0.french.utf8.lexicographicallyPrecedes($1.french.utf8)
    }
    let shown = Array(byPartner.prefix(Self.topPartners))
    let scope: (String, String) =
      byPartner.count > shown.count
      ? (
        "\(shown.count) premiers partenaires sur \(byPartner.count)",
        "top \(shown.count) of \(byPartner.count) partners"
      )
      : ("par partenaire", "by partner")
    html += figure(indicator, measure, scope, "partners", slug, bars: shown, horizontal: true)
    let byYear = (rows[.indicatorYear]?[index] ?? []).map { row in
      BarChart.Bar(french: "\(row.year ?? 0)", english: "\(row.year ?? 0)", micros: figure(row, indicator))
    }
    html += figure(indicator, measure, ("par année", "by year"), "year", slug, bars: byYear, horizontal: false)
    return html + "</div></details>\n"
  }

  /// One chart in a `<figure>` whose caption names the indicator, the measure and the unit.
  private func figure(
    _ indicator: Indicator, _ measure: (french: String, english: String), _ scope: (String, String),
    _ kind: String, _ slug: String, bars: [BarChart.Bar], horizontal: Bool
  ) -> String {
    let chart = BarChart(
      titleFrench: "\(indicator.labelFrench) : \(measure.french) \(scope.0) (\(indicator.unit))",
      titleEnglish: "\(indicator.labelEnglish): \(measure.english) \(scope.1) (\(indicator.unit))",
      bars: bars, colour: "var(--c)")
    var html = "<figure class=\"\(kind)\"><figcaption>"
    html += HTMLText.bilingual(Self.capitalized(scope.0), Self.capitalized(scope.1))
    html += " <span class=\"muted\">(\(HTMLText.escape(indicator.unit)))</span></figcaption>"
    let id = "c-\(slug)-\(kind)"
    html += horizontal ? chart.horizontal(id: id) : chart.columns(id: id)
    return html + "</figure>"
  }

  /// The figure a row reports for its indicator: the mean for a score or a ratio, else
  /// the sum (for a stock, the sum of the latest levels).
  private func figure(_ row: AggregateRow, _ indicator: Indicator) -> Int128 {
    indicator.aggregation == .mean ? row.statistics.meanMicros ?? 0 : row.statistics.sum
  }

  static let topPartners = 10

  /// An indicator id as an element id: letters and digits kept, the rest as `-`.
  static func slug(_ id: String) -> String {
    String(
      id.unicodeScalars.map { scalar -> Character in
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) ? Character(scalar) : "-"
      })
  }

  static func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}
