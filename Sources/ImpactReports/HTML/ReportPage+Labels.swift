import ImpactModel

extension ReportPage {
  /// A transition's names in French and English, in full and for the table of contents.
  static func name(of transition: Transition) -> (
    french: String, english: String, short: String, shortEnglish: String
  ) {
    switch transition {
    case .social: ("Transition sociale", "Social transition", "Social", "Social")
    case .environmental:
      ("Transition environnementale", "Environmental transition", "Environnement", "Environment")
    case .digitalInclusion: ("Inclusion numérique", "Digital inclusion", "Numérique", "Digital")
    case .territorial: ("Transition territoriale", "Territorial transition", "Territoires", "Territories")
    case .demographic: ("Transition démographique", "Demographic transition", "Démographie", "Demography")
    }
  }

  /// A transition's colour, dark enough for 4.5:1 against white, so that it can colour
  /// text as well as bars; charts never tell transitions apart by colour alone.
  static func colour(of transition: Transition) -> String {
    switch transition {
    case .social: "#1d5fa6"
    case .environmental: "#2b7a38"
    case .digitalInclusion: "#6b3fa0"
    case .territorial: "#a8510c"
    case .demographic: "#00766b"
    }
  }

  /// How an aggregation is named in the indicators table.
  static func name(of aggregation: Aggregation) -> (french: String, english: String) {
    switch aggregation {
    case .sum: ("Somme", "Sum")
    case .mean: ("Moyenne", "Mean")
    case .last: ("Dernier niveau (stock)", "Latest level (stock)")
    }
  }

  /// What a chart of the aggregation shows.
  static func measure(of aggregation: Aggregation) -> (french: String, english: String) {
    switch aggregation {
    case .sum: ("total", "total")
    case .mean: ("moyenne", "mean")
    case .last: ("dernier niveau", "latest level")
    }
  }

  /// A reason code's name; an unknown code is its own name.
  static func label(ofReason code: String) -> (french: String, english: String) {
    switch RejectReason(rawValue: code) {
    case .missingField: ("Champ manquant", "Missing field")
    case .unknownIndicator: ("Indicateur inconnu", "Unknown indicator")
    case .invalidValue: ("Valeur invalide", "Invalid value")
    case .outOfRange: ("Valeur hors bornes", "Out of range")
    case .invalidTerritory: ("Territoire invalide", "Invalid territory")
    case .invalidPeriod: ("Période invalide", "Invalid period")
    case .invalidUnit: ("Unité invalide", "Invalid unit")
    case .malformedRow: ("Ligne mal formée", "Malformed row")
    case .malformedFile: ("Fichier illisible", "Malformed file")
    case .superseded: ("Remplacée (envoi plus récent)", "Superseded (later submission)")
    case nil: (code, code)
    }
  }
}
