extension RejectReason {
  /// What a partner should do about a reject, in French: the language partners read.
  public var hintFrench: String {
    switch self {
    case .missingField:
      "Remplissez la case vide (partenaire, identifiant de réponse, période, territoire, indicateur ou valeur), puis renvoyez la ligne."
    case .unknownIndicator:
      "Utilisez un identifiant d'indicateur du catalogue (par exemple social.beneficiaries) ; vérifiez l'orthographe."
    case .invalidValue:
      "Écrivez un nombre (12 ou 1 234,50), entier pour un effectif, sans texte dans la case ; un identifiant de partenaire s'écrit en minuscules, chiffres et tirets."
    case .outOfRange:
      "Corrigez la valeur : elle sort des bornes de l'indicateur (pas de nombre négatif, note de 1 à 5, taux de 0 à 1)."
    case .invalidTerritory:
      "Indiquez un code commune INSEE (75056, 2A004), un code de département (33, 2B, 974) ou FR ; un code postal n'est pas un code INSEE."
    case .invalidPeriod:
      "Écrivez la période AAAA, AAAA-Qn (trimestre), AAAA-MM ou AAAA-MM-JJ, avec une date qui existe."
    case .invalidUnit:
      "Laissez l'unité vide pour l'unité du catalogue, ou utilisez une unité acceptée (t pour des tonnes, min pour des minutes)."
    case .malformedRow:
      "La ligne ne se découpe pas selon les colonnes de l'en-tête : mettez entre guillemets les valeurs qui contiennent le séparateur, et doublez les guillemets à l'intérieur d'une valeur."
    case .malformedFile:
      "Le fichier est incomplet ou illisible : réexportez-le en entier (de préférence en UTF-8) et renvoyez-le."
    case .superseded:
      "Rien à faire : une version plus récente de cette réponse a été prise en compte."
    }
  }

  /// What a partner should do about a reject, in English.
  public var hintEnglish: String {
    switch self {
    case .missingField:
      "Fill in the empty cell (partner, response id, period, territory, indicator or value) and send the row again."
    case .unknownIndicator:
      "Use an indicator id from the catalog (for example social.beneficiaries); check the spelling."
    case .invalidValue:
      "Write a number (12 or 1 234.50), a whole one for a headcount, with no text in the cell; a partner id uses lower-case letters, digits and hyphens."
    case .outOfRange:
      "Correct the value: it is outside the indicator's bounds (no negative numbers, scores from 1 to 5, ratios from 0 to 1)."
    case .invalidTerritory:
      "Give an INSEE commune code (75056, 2A004), a département code (33, 2B, 974) or FR; a postal code is not an INSEE code."
    case .invalidPeriod: "Write the period as YYYY, YYYY-Qn (quarter), YYYY-MM or YYYY-MM-DD, with a date that exists."
    case .invalidUnit:
      "Leave the unit empty for the catalog's unit, or use an accepted one (t for tonnes, min for minutes)."
    case .malformedRow:
      "The row does not split into the header's columns: quote values that contain the delimiter, and double the quotes inside a value."
    case .malformedFile:
      "The file is incomplete or unreadable: export all of it again (preferably as UTF-8) and resend it."
    case .superseded: "Nothing to do: a newer version of this response was taken into account."
    }
  }
}
