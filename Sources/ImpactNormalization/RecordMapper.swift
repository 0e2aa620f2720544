import Foundation
import ImpactModel
import ImpactSupport

/// Turns the records of a mapped source into observations: one per indicator mapping
/// (wide to long), with the partner, response, period and territory converted to the
/// canonical text, then validated like canonical input by a `BatchBuilder`.
///
/// A record-level problem (a date that does not read, a postal code in no département)
/// rejects each observation of the record, so every observation stays accounted for.
public final class RecordMapper: RecordSink {
  public let source: SourceDefinition
  public let builder: BatchBuilder
  /// The fields to ask the reader for, in slot order.
  public let requestedFields: [RequestedField]

  private let numberStyle: PartnerValues.NumberStyle
  private let fileName: String
  /// The file-name match of a `file:` partner, computed once.
  private let partnerFromFileName: String?
  private var slotOf: [FieldReference: Int] = [:]
  private var labelsMissing: [String] = []
  /// Per indicator mapping, what every record needs of it as bytes, made once: the
  /// indicator id, the unit, and the value map's labels normalized (see `lookup`).
  private let mappingBytes: [(indicator: [UInt8], unit: [UInt8], labels: [MapLabel])]
  private static let minutes = Array("min".utf8)
  /// Room to write a converted value in, for the builder to read.
  private var valueText: [UInt8] = []
  /// Periods and territories as converted, by the text written: exports repeat them.
  private var periods = ConversionCache<PeriodError>()
  private var territories = ConversionCache<TerritoryError>()

  public init(source: SourceDefinition, builder: BatchBuilder, path: String) {
    self.source = source
    self.builder = builder
    self.path = path
    fileName = (path as NSString).lastPathComponent
    numberStyle = PartnerValues.NumberStyle(decimal: source.options.decimal, thousands: source.options.thousands)
    var fields: [RequestedField] = []
    let optional = Set([source.replaces?.reference].compactMap { $0 })
    for reference in source.references {
      let hasDefault = [source.partner, source.response, source.period.field, source.territory.field].contains {
        $0.reference == reference && $0.defaultValue != nil
      }
      fields.append(RequestedField(reference: reference, required: !optional.contains(reference) && !hasDefault))
    }
    requestedFields = fields
    mappingBytes = source.indicators.map { mapping in
      (
        Array(mapping.indicator.utf8), Array((mapping.unit ?? "").utf8),
        mapping.values.map { MapLabel($0.label, $0.value) }
      )
    }
    for (slot, field) in fields.enumerated() { slotOf[field.reference] = slot }
    if case .fileName(let pattern) = source.partner.source {
      partnerFromFileName = Self.firstGroup(of: pattern, in: (path as NSString).lastPathComponent)
    } else {
      partnerFromFileName = nil
    }
    var labels: [RawField: String] = [:]
    labels[.partner] = Self.label(source.partner, "partner")
    labels[.response] = Self.label(source.response, "response")
    labels[.period] = Self.label(source.period.field, "period")
    labels[.territory] = Self.label(source.territory.field, "territory")
    builder.setFieldLabels(labels)
  }

  private static func label(_ spec: FieldSpec, _ name: String) -> String {
    switch spec.source {
    case .value: "\(name) (fixed)"
    case .field(let reference): reference.label
    case .fileName: "\(name) (file name)"
    }
  }

  static func firstGroup(of pattern: String, in text: String) -> String? {
    guard let expression = try? NSRegularExpression(pattern: pattern),
      let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
      match.numberOfRanges > 1, let range = Range(match.range(at: 1), in: text)
    else { return nil }
    return String(text[range])
  }

  /// The file read, for the parts' mappers.
  private let path: String

  public var parallelParts: Int { builder.parallelParts }

  public func makePart(of count: Int) -> RecordMapper {
    RecordMapper(source: source, builder: builder.makePart(of: count), path: path)
  }

  public func absorb(_ part: any PartSink) {
    guard let part = part as? RecordMapper else { fatalError("a part of another kind of sink") }
    builder.absorb(part.builder)
  }

  public func shiftLines(by offset: Int) { builder.shiftLines(by: offset) }

  public func discardAbsorbed() { builder.discardAbsorbed() }

  public func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {
    // One record stands for one observation per mapping: each is counted and rejected.
    for mapping in source.indicators {
      builder.batch.rejects.append(
        BatchReject(
          line: line, reason: reason, field: field, value: raw, message: message, indicator: mapping.indicator))
    }
  }

  public func record(_ record: RecordValues) {
    func bytes(_ spec: FieldSpec) -> [UInt8]? {
      var result: [UInt8]?
      switch spec.source {
      case .value(let text): result = Array(text.utf8)
      case .fileName: result = partnerFromFileName.map { Array($0.utf8) }
      case .field(let reference):
        if let slot = slotOf[reference], let value = record.values[slot] { result = Array(value) }
      }
      if let value = result, !value.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return value }
      return spec.defaultValue.map { Array($0.utf8) } ?? result
    }
    let partner = bytes(source.partner)
    let response = bytes(source.response)
    var raw = RawObservation(line: record.line)
    // Period and territory: converted once per record; a failure rejects every mapping.
    var recordProblem: (RejectReason, String, String, String)?
    var periodText: [UInt8]?
    if let period = bytes(source.period.field) {
      switch periods.converted(period, convertPeriod) {
      case .success(let text): periodText = text
      case .failure(let error):
        recordProblem = (
          .invalidPeriod, Self.label(source.period.field, "period"), String(decoding: period, as: UTF8.self),
          error.message
        )
      }
    }
    var territoryText: [UInt8]?
    if let territory = bytes(source.territory.field) {
      switch territories.converted(territory, convertTerritory) {
      case .success(let text): territoryText = text
      case .failure(let error):
        if recordProblem == nil {
          recordProblem = (
            .invalidTerritory, Self.label(source.territory.field, "territory"),
            String(decoding: territory, as: UTF8.self), error.message
          )
        }
      }
    }
    if let replaces = source.replaces, let replaced = bytes(replaces), let partner, let response {
      partner.withUnsafeBytes { p in
        response.withUnsafeBytes { r in
          replaced.withUnsafeBytes { d in
            builder.noteReplacement(partner: p, replacing: r, replaced: d, line: record.line)
          }
        }
      }
    }
    let fields: [[UInt8]?] = [partner, response, periodText, territoryText]
    fields[0].withOptionalBytes { partner in
      fields[1].withOptionalBytes { response in
        fields[2].withOptionalBytes { period in
          fields[3].withOptionalBytes { territory in
            raw.partner = partner
            raw.response = response
            raw.period = period
            raw.territory = territory
            for (index, mapping) in source.indicators.enumerated() {
              emit(mapping, index, record: record, raw: &raw, recordProblem: recordProblem)
            }
          }
        }
      }
    }
  }

  private func emit(
    _ mapping: IndicatorMapping, _ index: Int, record: RecordValues, raw: inout RawObservation,
    recordProblem: (RejectReason, String, String, String)?
  ) {
    var written: UnsafeRawBufferPointer?
    switch mapping.source {
    case .constant: written = nil
    case .field(let reference): written = slotOf[reference].flatMap { record.values[$0] }
    }
    mappingBytes[index].indicator.withUnsafeBytes { indicator in
      raw.indicator = indicator
      if let (reason, field, value, message) = recordProblem {
        builder.reject(raw, reason: reason, field: field, value: value, message: message, indicator: mapping.indicator)
        return
      }
      builder.valueLabel = mapping.reference?.label ?? "constant"
      builder.writtenValue = written
      defer {
        builder.valueLabel = nil
        builder.writtenValue = nil
      }
      let converted: Result<(value: Quantity, minutes: Bool), ConversionError>
      switch mapping.source {
      case .constant(let value): converted = .success((value, false))
      case .field:
        guard let written, !written.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
          // Empty: the builder reports the missing value with the column's name.
          raw.value = nil
          raw.unit = nil
          builder.observation(raw)
          return
        }
        converted = convertValue(written, mapping, labels: mappingBytes[index].labels)
      }
      switch converted {
      case .failure(let error):
        builder.reject(
          raw, reason: .invalidValue, field: mapping.reference?.label ?? "value",
          value: String(decoding: written ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self),
          message: error.message, indicator: mapping.indicator)
      case .success(let (value, minutes)):
        valueText.removeAll(keepingCapacity: true)
        Quantity.append(micros: Int128(value.micros), to: &valueText)
        let unit = minutes && mapping.unit == nil ? Self.minutes : mappingBytes[index].unit
        valueText.withUnsafeBytes { valueBytes in
          unit.withUnsafeBytes { unitBytes in
            raw.value = valueBytes
            raw.unit = unitBytes
            builder.observation(raw)
          }
        }
      }
    }
  }

  /// The refusal of a number too large once rescaled or put on the catalog's scale.
  private static func tooLarge(_ written: UnsafeRawBufferPointer) -> ConversionError {
    let shown = String(decoding: written, as: UTF8.self).shortened(to: 80)
    return ConversionError(message: "'\(shown)' is too large once put on the indicator's scale")
  }

  /// A cell's value in the catalog's terms: a label of the value map, a duration (in
  /// minutes unless the mapping names a unit: `minutes`) or a number, then rescaled and
  /// scaled as the mapping says.
  private func convertValue(
    _ written: UnsafeRawBufferPointer, _ mapping: IndicatorMapping, labels: [MapLabel]
  ) -> Result<(value: Quantity, minutes: Bool), ConversionError> {
    var value: Quantity
    var minutes = false
    if !labels.isEmpty, let labelled = Self.lookup(written, in: labels) {
      value = labelled
    } else if mapping.parsing == .duration {
      switch PartnerValues.durationMinutes(written) {
      case .success(let parsed): value = parsed
      case .failure(let error): return .failure(error)
      }
      minutes = true
    } else {
      switch PartnerValues.number(written, style: numberStyle) {
      case .failure(let error):
        guard mapping.values.isEmpty else {
          let known = mapping.values.map { "'\($0.label)'" }.joined(separator: ", ")
          return .failure(ConversionError(message: "\(error.message), nor one of \(known)"))
        }
        return .failure(error)
      case .success(let number):
        value = number.value
        if let outOf = number.outOf, mapping.rescale == nil {
          // `3/5` on a catalog scale topping at 5 is 3; on a 0–1 ratio, 0.6.
          let top = builder.catalog.index(of: mapping.indicator).flatMap { builder.catalog.indicators[$0].maximum }
          let scaled = Quantity.divideRounded(
            Int128(value.micros) * Int128((top ?? Quantity(units: 1)).micros), by: Int128(outOf.micros))
          guard let micros = Int64(exactly: scaled) else { return .failure(Self.tooLarge(written)) }
          value = Quantity(micros: micros)
        }
      }
    }
    if let rescale = mapping.rescale, let index = builder.catalog.index(of: mapping.indicator) {
      let entry = builder.catalog.indicators[index]
      let low = entry.minimum ?? .zero
      let high = entry.maximum ?? Quantity(units: 1)
      let span = Int128(rescale.high.micros) - Int128(rescale.low.micros)
      if span > 0 {
        // In 128 bits: a value far outside the source's scale must be refused, not wrap.
        let shifted = (Int128(value.micros) - Int128(rescale.low.micros)) * (Int128(high.micros) - Int128(low.micros))
        guard let micros = Int64(exactly: Int128(low.micros) + Quantity.divideRounded(shifted, by: span)) else {
          return .failure(Self.tooLarge(written))
        }
        value = Quantity(micros: micros)
      }
    }
    if let scale = mapping.scale {
      guard let scaled = value.scaled(numerator: scale.numerator, denominator: scale.denominator) else {
        return .failure(Self.tooLarge(written))
      }
      value = scaled
    }
    return .success((value, minutes))
  }

  /// The value of a label, matched trimmed, case-insensitively, with typographic
  /// apostrophes read as straight ones, and as Swift compares strings: a label written
  /// composed (`è`) matches the same written decomposed (`e` and a combining accent).
  /// `labels` hold the map's labels normalized so, as text and as bytes.
  ///
  /// ASCII text, what most cells hold ("Oui", "Non"), is compared byte by byte with the
  /// ASCII labels, folded as `normalizedLabel` would fold it, without making a `String`.
  static func lookup(_ written: UnsafeRawBufferPointer, in labels: [MapLabel]) -> Quantity? {
    var text: String { normalizedLabel(String(decoding: written, as: UTF8.self)) }
    guard written.allSatisfy({ $0 < 0x80 }) else {
      let key = text
      return labels.first { $0.text == key }?.value
    }
    var start = 0
    var end = written.count
    while start < end && (written[start] == 0x20 || written[start] == 0x09) { start += 1 }
    while end > start && (written[end - 1] == 0x20 || written[end - 1] == 0x09) { end -= 1 }
    return labels.first { label in
      guard label.isASCII else { return label.text == text }
      return label.key.count == end - start
        && label.key.indices.allSatisfy { offset in
          let byte = written[start + offset]
          return label.key[offset] == (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
    }?.value
  }

  /// A label of a value map, normalized (see `lookup`).
  struct MapLabel {
    let text: String
    let key: [UInt8]
    let isASCII: Bool
    let value: Quantity

    init(_ label: String, _ value: Quantity) {
      text = RecordMapper.normalizedLabel(label)
      key = Array(text.utf8)
      isASCII = key.allSatisfy { $0 < 0x80 }
      self.value = value
    }
  }

  static func normalizedLabel(_ text: String) -> String {
    text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "’", with: "'")
      .replacingOccurrences(of: "\u{00A0}", with: " ")
  }

  private func convertPeriod(_ written: [UInt8]) -> Result<[UInt8], PeriodError> {
    let period = source.period
    return written.withUnsafeBytes { bytes -> Result<[UInt8], PeriodError> in
      if let layout = period.format {
        return layout.read(bytes).flatMap { $0.periodText(at: period.granularity) }.map { Array($0.utf8) }
      }
      // Canonical text, coarsened when the source asks for a granularity.
      return Period.parse(bytes).flatMap { parsed in
        guard let granularity = period.granularity else { return .success(Array(parsed.text.utf8)) }
        let parts = parsed.text.split(separator: "-")
        var position = CalendarPosition(year: parsed.year)
        if parts.count >= 2 {
          if parts[1].hasPrefix("Q") {
            position.quarter = Int(parts[1].dropFirst())
          } else {
            position.month = Int(parts[1])
          }
        }
        if parts.count == 3 { position.day = Int(parts[2]) }
        return position.periodText(at: granularity).map { Array($0.utf8) }
      }
    }
  }

  private func convertTerritory(_ written: [UInt8]) -> Result<[UInt8], TerritoryError> {
    let table = builder.territoryTable
    return written.withUnsafeBytes { bytes -> Result<[UInt8], TerritoryError> in
      switch source.territory.kind {
      case .insee:
        return .success(written)
      case .postalCode:
        return PartnerValues.departementOfPostalCode(bytes, table: table).map { Array($0.utf8) }
      case .departement:
        return table.parseTerritory(bytes).flatMap { territory in
          territory.level == .departement
            ? .success(Array(territory.code.utf8))
            : .failure(TerritoryError(message: "'\(territory.code)' is not a département code"))
        }
      }
    }
  }
}

extension Optional where Wrapped == [UInt8] {
  /// Calls `body` with the bytes, or nil.
  func withOptionalBytes(_ body: (UnsafeRawBufferPointer?) -> Void) {
    switch self {
    case .none: body(nil)
    case .some(let bytes): bytes.withUnsafeBytes { body($0) }
    }
  }
}

/// Conversions of written texts, kept for the texts that come again; at most `limit`
/// texts are kept, so that a column of texts that never repeat (time stamps) costs no
/// memory per record.
struct ConversionCache<Failure: Error> {
  static var limit: Int { 4096 }
  private var texts = ByteStringTable(capacity: 256)
  private var results: [Result<[UInt8], Failure>] = []

  mutating func converted(_ written: [UInt8], _ convert: ([UInt8]) -> Result<[UInt8], Failure>) -> Result<
    [UInt8], Failure
  > {
    let known = written.withUnsafeBytes { texts.find($0) }
    if let known { return results[Int(known)] }
    let result = convert(written)
    if results.count < Self.limit {
      _ = written.withUnsafeBytes { texts.intern($0) }
      results.append(result)
    }
    return result
  }
}
