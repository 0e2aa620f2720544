import Foundation
import ImpactAggregation
import ImpactModel
import ImpactSupport

/// `summary.json`: the run's counts, rejections by reason, inputs, and per transition its
/// indicators' totals.
public struct SummaryJSONReport: Report {
  public init() {}

  public var fileName: String { "summary.json" }

  public func write(_ result: RunResult, to path: String) throws {
    let file = try OutputFile(path: path)
    try file.write(document(result).serialized())
    try file.close()
  }

  /// The document, for tests and other consumers.
  public func document(_ result: RunResult) -> JSONValue {
    let dates = ISO8601DateFormatter()
    let duration = result.finishedAt.timeIntervalSince(result.startedAt)
    let counts = result.counts
    return .object([
      ("run_id", .string(result.runID)),
      ("tool", .object([("name", .string("impact")), ("version", .string(result.toolVersion))])),
      ("pipeline", .string(result.pipelinePath)),
      ("catalog", .string(result.catalogPath)),
      ("started_at", .string(dates.string(from: result.startedAt))),
      ("finished_at", .string(dates.string(from: result.finishedAt))),
      ("duration_seconds", .number(String(format: "%.3f", duration))),
      (
        "counts",
        .object([
          ("read", .integer(counts.read)), ("accepted", .integer(counts.accepted)),
          ("rejected", .integer(counts.rejected)), ("superseded", .integer(counts.superseded)),
        ])
      ),
      (
        "rejections",
        .object(
          RejectReason.allCases.filter { $0 != .superseded }.map { ($0.code, .integer(result.rejections[$0] ?? 0)) })
      ),
      ("inputs", .array(result.inputs.map(input))),
      ("skipped", .array(result.skipped.map { .string($0) })),
      ("this_run", result.delta.map(delta) ?? .null),
      ("transitions", .array(transitions(result))),
      ("trends", .array(Trends(result).series.map(trend))),
    ])
  }

  private func trend(_ series: Trends.Series) -> JSONValue {
    func number(_ micros: Int128?) -> JSONValue { micros.map { .number(Quantity.format(micros: $0)) } ?? .null }
    return .object([
      ("scope", .string(series.scope)), ("id", .string(series.id)), ("transition", .string(series.transition.id)),
      ("measure", .string(series.measure)), ("unit", .string(series.unit)),
      (
        "years",
        .array(
          series.points.map { point in
            .object([
              ("year", .integer(point.year)), ("value", number(point.value)),
              ("previous_year", number(point.previousYear)),
              ("change_from_previous_year", number(point.changeFromPreviousYear)),
              ("ratio_to_previous_year", number(point.ratioToPreviousYear)),
              ("two_years_before", number(point.twoYearsBefore)),
              ("change_from_two_years_before", number(point.changeFromTwoYearsBefore)),
              ("ratio_to_two_years_before", number(point.ratioToTwoYearsBefore)),
            ])
          })
      ),
    ])
  }

  private func delta(_ delta: RunDelta) -> JSONValue {
    let counts = delta.newCounts
    return .object([
      ("store", .string(delta.storePath)),
      ("inputs_in_store", .integer(delta.storedInputs)),
      ("new_inputs", .array(delta.new.map { .string($0) })),
      (
        "new_counts",
        .object([
          ("read", .integer(counts.read)), ("accepted", .integer(counts.accepted)),
          ("rejected", .integer(counts.rejected)), ("superseded", .integer(counts.superseded)),
        ])
      ),
      ("unchanged_inputs", .integer(delta.unchanged)),
      ("identical_copies", .integer(delta.copies.count)),
      ("identical_copy_paths", .array(delta.copies.map { .string($0) })),
      ("replaced_paths", .array(delta.replaced.map { .string($0) })),
      ("renormalized_inputs", .array(delta.renormalized.map { .string($0) })),
      ("forgotten_inputs", .array(delta.forgotten.map { .string($0) })),
    ])
  }

  private func input(_ report: InputReport) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("path", .string(report.path)), ("format", .string(report.format)),
      ("source", report.source.map { .string($0) } ?? .null), ("sha256", .string(report.sha256)),
      ("bytes", .integer(report.bytes)), ("read", .integer(report.read)), ("accepted", .integer(report.accepted)),
      ("rejected", .integer(report.rejected)), ("superseded", .integer(report.superseded)),
    ]
    // The share of observations read that were rejected, and why, most frequent first.
    let rate =
      report.read == 0 ? 0 : Quantity.divideRounded(Int128(report.rejected) * 1_000_000, by: Int128(report.read))
    members.append(("reject_rate", .number(Quantity.format(micros: rate))))
    let top = report.rejections.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
    members.append(("top_reasons", .object(top.map { ($0.key.code, .integer($0.value)) })))
    if let problem = report.problem {
      var detail: [(String, JSONValue)] = [("message", .string(problem))]
      if report.problemLine > 0 { detail.append(("line", .integer(report.problemLine))) }
      if !report.problemPath.isEmpty { detail.append(("path", .string(report.problemPath))) }
      members.append(("malformed", .object(detail)))
    }
    members.append(
      ("detected", .object(report.detected.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
    members.append(("unmapped", .array(report.unmapped.map { .string($0) })))
    members.append(("warnings", .array(report.warnings.map { .string($0) })))
    if let run = report.ingestedBy {
      members.append(("ingested_by", .string(run)))
      members.append(("new", .bool(report.isNew)))
    }
    return .object(members)
  }

  private func transitions(_ result: RunResult) -> [JSONValue] {
    let catalog = result.ledger.catalog
    var byIndicator: [Int: AggregateRow] = [:]
    for row in result.rows where row.grouping == .indicator { byIndicator[row.indicator] = row }
    return result.transitions.map { totals in
      let indicators = catalog.indicators.enumerated().filter { $0.element.transition == totals.transition }
      return .object([
        ("id", .string(totals.transition.id)),
        ("partners", .integer(totals.partners)),
        ("responses", .integer(totals.responses)),
        (
          "indicators",
          .array(
            indicators.map { index, indicator in
              let row = byIndicator[index]
              let statistics = row?.statistics ?? Statistics()
              let empty = statistics.observations == 0
              return .object([
                ("id", .string(indicator.id)),
                ("unit", .string(indicator.unit)),
                ("aggregation", .string(indicator.aggregation.rawValue)),
                ("observations", .integer(statistics.observations)),
                ("responses", .integer(row?.responses ?? 0)),
                ("partners", .integer(row?.partners ?? 0)),
                ("sum", .number(Quantity.format(micros: statistics.sum))),
                ("mean", statistics.meanMicros.map { .number(Quantity.format(micros: $0)) } ?? .null),
                ("min", empty ? .null : .number(statistics.minimum.description)),
                ("max", empty ? .null : .number(statistics.maximum.description)),
              ])
            })
        ),
      ])
    }
  }
}
