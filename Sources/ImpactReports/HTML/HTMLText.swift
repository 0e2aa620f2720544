import ImpactModel

/// Escaping and bilingual fragments for `report.html`.
///
/// Every piece of data put in the page goes through `escape`, partner-supplied or not.
/// Bilingual text is written twice, in elements of class `fr` and `en`; the style sheet
/// shows the French ones unless `<html>` has the class `lang-en`, so the page reads in French
/// without JavaScript.
enum HTMLText {
  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in
  /// element content and in quoted attribute values. C0 controls other than tab, line
  /// feed and carriage return, which HTML forbids, become U+FFFD.
  static func escape(_ text: String) -> String {
    var output = ""
    output.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": output += "&amp;"
      case "<": output += "&lt;"
      case ">": output += "&gt;"
      case "\"": output += "&quot;"
      case "'": output += "&#39;"
      case "\t", "\n", "\r": output.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          output += "\u{FFFD}"
        } else {
          output.unicodeScalars.append(scalar)
        }
      }
    }
    return output
  }

  /// The French and English texts, escaped, in two `element`s (`span`, or `tspan` inside
  /// SVG); one escaped text when both are the same.
  static func bilingual(_ french: String, _ english: String, element: String = "span") -> String {
    if french == english { return escape(french) }
    return "<\(element) class=\"fr\" lang=\"fr\">\(escape(french))</\(element)>"
      + "<\(element) class=\"en\" lang=\"en\">\(escape(english))</\(element)>"
  }

  /// A label followed by a colon as each language writes it: `Fichiers\u{A0}:` and `Files:`.
  static func label(_ french: String, _ english: String) -> String {
    bilingual(french + "\u{A0}:", english + ":")
  }

  /// A whole number in both languages (`12 345` and `12,345`).
  static func integer(_ value: Int, element: String = "span") -> String {
    amount(micros: Int128(value) * Int128(Quantity.scale), element: element)
  }

  /// An exact amount held in micro-units, in both languages: `1 234,5` and `1,234.5`.
  static func amount(micros: Int128, element: String = "span") -> String {
    let plain = Quantity.format(micros: micros)
    return bilingual(
      grouped(plain, thousands: "\u{202F}", decimal: ","), grouped(plain, thousands: ",", decimal: "."),
      element: element)
  }

  /// `part / whole` as a percentage with one decimal, rounded half to even in integer
  /// arithmetic: `5,3 %` and `5.3%`; `—` when `whole` is zero.
  static func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "—" }
    let tenths = Quantity.divideRounded(Int128(part) * 1000, by: Int128(whole))
    let units = "\(tenths / 10)"
    let decimal = "\(tenths.magnitude % 10)"
    return bilingual(
      grouped(units, thousands: "\u{202F}", decimal: "") + ",\(decimal)\u{202F}%",
      grouped(units, thousands: ",", decimal: "") + ".\(decimal)%")
  }

  /// The number of characters `amount(micros:)` shows in the longer of its two forms,
  /// for sizing chart labels.
  static func amountWidth(micros: Int128) -> Int {
    grouped(Quantity.format(micros: micros), thousands: ",", decimal: ".").count
  }

  /// Decimal text (`-1234567.25`) with its whole part grouped by thousands.
  static func grouped(_ plain: String, thousands: String, decimal: String) -> String {
    var digits = Substring(plain)
    var sign = ""
    if digits.first == "-" {
      sign = "−"
      digits = digits.dropFirst()
    }
    let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let whole = Array(parts[0])
    var output = sign
    for (index, character) in whole.enumerated() {
      if index > 0 && (whole.count - index) % 3 == 0 { output += thousands }
      output.append(character)
    }
    if parts.count > 1 { output += decimal + parts[1] }
    return output
  }
}
