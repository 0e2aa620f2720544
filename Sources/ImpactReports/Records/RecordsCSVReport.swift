import ImpactAggregation
import ImpactModel
import ImpactSupport

/// `records.csv`: every accepted observation, normalized, in input order, with the file
/// and line it came from.
public struct RecordsCSVReport: LedgerReport {
  public static let columns = [
    "partner_id", "response_id", "period", "year", "territory", "departement", "region", "transition", "indicator",
    "value", "unit", "source_file", "source_line",
  ]
  /// Records per chunk that one thread formats at a time: a few MB of text.
  static let chunkRecords = 1 << 15

  public init() {}

  public var fileName: String { "records.csv" }

  public func writer(ledger: Ledger, to path: String) throws -> OrderedChunkWriter {
    let table = ledger.territoryTable
    // Everything but the response id, the value and the line repeats: escape it once per
    // id, with its commas, and copy bytes per row.
    let partners = ByteChunks(
      (0..<Int32(ledger.partners.count)).map { CSVWriter.escapedText(ledger.partners.string(of: $0)) + [0x2C] })
    let periods = ByteChunks(ledger.periods.map { CSVWriter.escapedCells([$0.text, String($0.year)]) + [0x2C] })
    let territories = ByteChunks(
      ledger.territories.map {
        CSVWriter.escapedCells([$0.code, table.departementCode($0.departement), table.regionCode($0.departement)])
          + [0x2C]
      })
    let indicators = ByteChunks(
      ledger.catalog.indicators.map { CSVWriter.escapedCells([$0.transition.id, $0.id]) + [0x2C] })
    let units = ByteChunks(ledger.catalog.indicators.map { [0x2C] + CSVWriter.escapedText($0.unit) + [0x2C] })
    let files = ByteChunks(ledger.files.map { CSVWriter.escapedText($0) + [0x2C] })
    let records = ledger.records
    let fileStarts = ledger.fileStarts
    let responses = ledger.responses
    let chunkRecords = Self.chunkRecords
    return try OrderedChunkWriter(
      file: OutputFile(path: path), prefix: CSVWriter.escapedCells(Self.columns) + [0x0A],
      chunkCount: (records.count + chunkRecords - 1) / chunkRecords
    ) { chunk, buffer in
      records.withUnsafeBufferPointer { all in
        // A response's observations follow each other: the cells up to the region, formatted
        // for the record before, are copied when its response, period and territory match.
        var previous: (response: Int32, period: Int32, territory: Int32) = (-1, -1, -1)
        var prefix = 0..<0
        let first = chunk * chunkRecords
        // The file of the chunk's first record, then the next file's start.
        var file = Ledger.file(ofRecord: first, fileStarts: fileStarts)
        var nextFileStart = file + 1 < fileStarts.count ? fileStarts[file + 1] : Int.max
        for index in first..<min(all.count, first + chunkRecords) {
          while index >= nextFileStart {
            file += 1
            nextFileStart = file + 1 < fileStarts.count ? fileStarts[file + 1] : Int.max
          }
          let record = all[index]
          guard !record.superseded else { continue }
          if previous == (record.response, record.period, record.territory) {
            buffer.appendCopy(of: prefix)
          } else {
            let start = buffer.count
            partners.append(Int(record.partner), to: &buffer)
            responses.withBytes(of: record.response) { CSVWriter.appendText($0, to: &buffer) }
            buffer.append(0x2C)
            periods.append(Int(record.period), to: &buffer)
            territories.append(Int(record.territory), to: &buffer)
            previous = (record.response, record.period, record.territory)
            prefix = start..<buffer.count
          }
          indicators.append(Int(record.indicator), to: &buffer)
          buffer.appendMicros(record.value.micros)
          units.append(Int(record.indicator), to: &buffer)
          files.append(file, to: &buffer)
          buffer.appendDecimal(UInt64(record.line))
          buffer.append(0x0A)
        }
      }
    }
  }
}
