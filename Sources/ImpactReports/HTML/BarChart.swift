import ImpactModel

/// A bar chart drawn as inline SVG, horizontal or in columns.
///
/// The figures printed beside the bars are the exact amounts; `Double` only places and
/// sizes the shapes. Bars are scaled to the largest magnitude, so a negative amount
/// draws as long as its positive counterpart, and its label shows the sign. Each bar
/// carries a `<title>`, a tooltip for sighted readers and a label for screen readers;
/// the chart's own `<title>` names it. Labels and numbers are written in both languages.
struct BarChart {
  struct Bar {
    let french: String
    let english: String
    let micros: Int128
    /// A CSS colour for this bar, instead of the chart's.
    var colour: String? = nil
  }

  /// The chart's name in French and in English, for its `<title>`.
  let titleFrench: String
  let titleEnglish: String
  let bars: [Bar]
  /// A CSS colour for the bars (a `var()` is fine: it goes in a `style` attribute).
  let colour: String

  private static let characterWidth = 6.9
  private static let maximumLabelCharacters = 30

  /// Bars left to right from their labels, one row per bar, with the figure at the end.
  func horizontal(id: String) -> String {
    let labelCharacters = min(
      Self.maximumLabelCharacters, bars.map { max($0.french.count, $0.english.count) }.max() ?? 0)
    let labelWidth = Double(labelCharacters) * Self.characterWidth + 14
    let valueWidth = Double(bars.map { HTMLText.amountWidth(micros: $0.micros) }.max() ?? 1) * Self.characterWidth + 12
    let barSpace = 280.0
    let width = labelWidth + barSpace + valueWidth
    let rowHeight = 26.0
    let height = Double(bars.count) * rowHeight + 8
    let largest = bars.map { $0.micros.magnitude }.max() ?? 0
    var svg = open(id: id, width: width, height: height)
    svg += "<line class=\"axis\" x1=\"\(f(labelWidth))\" y1=\"2\" x2=\"\(f(labelWidth))\" y2=\"\(f(height - 4))\"/>"
    for (index, bar) in bars.enumerated() {
      let top = 4 + Double(index) * rowHeight
      let length = Self.share(bar.micros.magnitude, of: largest) * barSpace
      let middle = top + rowHeight / 2
      svg += "<g>" + barTitle(bar)
      svg +=
        "<text class=\"label\" x=\"\(f(labelWidth - 8))\" y=\"\(f(middle + 4))\" text-anchor=\"end\">"
        + HTMLText.bilingual(Self.clip(bar.french), Self.clip(bar.english), element: "tspan") + "</text>"
      svg +=
        "<rect x=\"\(f(labelWidth))\" y=\"\(f(top + 4))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 8))\""
        + " rx=\"2\" style=\"fill:\(bar.colour ?? colour)\"/>"
      svg +=
        "<text class=\"value\" x=\"\(f(labelWidth + length + 6))\" y=\"\(f(middle + 4))\">"
        + HTMLText.amount(micros: bar.micros, element: "tspan") + "</text></g>"
    }
    return svg + "</svg>"
  }

  /// Columns in bar order from left to right over their labels, with the figure above.
  func columns(id: String) -> String {
    let valueCharacters = bars.map { HTMLText.amountWidth(micros: $0.micros) }.max() ?? 1
    let slot = max(64, Double(valueCharacters) * Self.characterWidth + 14)
    let width = max(300, slot * Double(bars.count) + 24)
    let height = 210.0
    let baseline = height - 26
    let columnHeight = baseline - 28
    let columnWidth = min(44, slot - 20)
    let largest = bars.map { $0.micros.magnitude }.max() ?? 0
    let left = (width - slot * Double(bars.count)) / 2
    var svg = open(id: id, width: width, height: height)
    for (index, bar) in bars.enumerated() {
      let centre = left + slot * (Double(index) + 0.5)
      let length = Self.share(bar.micros.magnitude, of: largest) * columnHeight
      svg += "<g>" + barTitle(bar)
      svg +=
        "<rect x=\"\(f(centre - columnWidth / 2))\" y=\"\(f(baseline - length))\" width=\"\(f(columnWidth))\""
        + " height=\"\(f(length))\" rx=\"2\" style=\"fill:\(bar.colour ?? colour)\"/>"
      svg +=
        "<text class=\"value\" x=\"\(f(centre))\" y=\"\(f(baseline - length - 6))\" text-anchor=\"middle\">"
        + HTMLText.amount(micros: bar.micros, element: "tspan") + "</text>"
      svg +=
        "<text class=\"label\" x=\"\(f(centre))\" y=\"\(f(baseline + 18))\" text-anchor=\"middle\">"
        + HTMLText.bilingual(bar.french, bar.english, element: "tspan") + "</text></g>"
    }
    svg += "<line class=\"axis\" x1=\"8\" y1=\"\(f(baseline))\" x2=\"\(f(width - 8))\" y2=\"\(f(baseline))\"/>"
    return svg + "</svg>"
  }

  private func open(id: String, width: Double, height: Double) -> String {
    "<svg class=\"chart\" role=\"img\" aria-labelledby=\"\(id)\" viewBox=\"0 0 \(f(width)) \(f(height))\""
      + " style=\"max-width:\(f(width))px\" preserveAspectRatio=\"xMinYMin meet\">"
      + "<title id=\"\(id)\">\(HTMLText.escape(titleFrench)) · \(HTMLText.escape(titleEnglish))</title>"
  }

  private func barTitle(_ bar: Bar) -> String {
    let label = bar.french == bar.english ? bar.french : "\(bar.french) · \(bar.english)"
    return "<title>\(HTMLText.escape(label)): \(HTMLText.escape(Quantity.format(micros: bar.micros)))</title>"
  }

  /// `part / whole` as a fraction of the bar space; a non-zero amount gets at least a
  /// sliver, so that it does not read as zero.
  private static func share(_ part: UInt128, of whole: UInt128) -> Double {
    guard whole > 0, part > 0 else { return 0 }
    return max(0.004, Double(part) / Double(whole))
  }

  /// A label cut to `maximumLabelCharacters`, with an ellipsis; the bar's title keeps it whole.
  private static func clip(_ label: String) -> String {
    label.count <= maximumLabelCharacters ? label : String(label.prefix(maximumLabelCharacters - 1)) + "…"
  }

  private func f(_ value: Double) -> String { Self.coordinate(value) }

  /// A coordinate with at most one decimal.
  static func coordinate(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    let magnitude = tenths.magnitude
    return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
  }
}
