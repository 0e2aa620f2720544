import Foundation
import ImpactModel

extension CSVFormat {
  /// Detects the encoding, the delimiter and the header line (the first of the widest
  /// lines near the top, below any title lines), then samples every column.
  public func inspect(path: String) -> FileStructure {
    var structure = FileStructure(format: id)
    var options = SourceOptions()
    if let head = FileHandle(forReadingAtPath: path).map({ handle in
      defer { try? handle.close() }
      return [UInt8](handle.readData(ofLength: 65536))
    }) {
      // Delimiters outside quotes, per line of the first 20: a quoted "a; b" counts nothing.
      let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(20)
      func count(_ candidate: UInt8, in line: ArraySlice<UInt8>) -> Int {
        var quoted = false
        var total = 0
        for byte in line {
          if byte == UInt8(ascii: "\"") { quoted.toggle() } else if byte == candidate && !quoted { total += 1 }
        }
        return total
      }
      var best: (delimiter: UInt8, total: Int) = (0x2C, -1)
      for candidate: UInt8 in [0x3B, 0x2C, 0x09, 0x7C] {
        let total = lines.reduce(0) { $0 + count(candidate, in: $1) }
        if total > best.total { best = (candidate, total) }
      }
      options.delimiter = best.delimiter
      /// Cells with something in them, outside quotes.
      func filled(_ line: ArraySlice<UInt8>) -> Int {
        var quoted = false
        var cells = 0
        var empty = true
        for byte in line where byte != 0x0D {
          if byte == UInt8(ascii: "\"") { quoted.toggle() }
          if byte == best.delimiter && !quoted {
            if !empty { cells += 1 }
            empty = true
          } else if byte != 0x20 {
            empty = false
          }
        }
        return cells + (empty ? 0 : 1)
      }
      // The header is the first line as wide as most lines with most of its cells filled:
      // title lines above it are narrower, or padded with empty cells by the spreadsheet.
      let counts = lines.filter { !$0.isEmpty }.map { count(best.delimiter, in: $0) }
      let widths = Dictionary(grouping: counts, by: { $0 }).mapValues(\.count)
      if let usual = widths.filter({ $0.key > 0 }).max(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key,
        let row = lines.firstIndex(where: {
          !$0.isEmpty && count(best.delimiter, in: $0) == usual && filled($0) * 2 > usual + 1
        })
      {
        options.headerRow = row - lines.startIndex + 1
      }
    }
    structure.headerRow = options.headerRow
    let probe = SampleCollector(names: [])
    let header = read(path: path, options: options, fields: [], into: probe)
    structure.detected = header.detected
    structure.problem = header.problem
    let collector = SampleCollector(names: header.columns)
    let fields = header.columns.map { RequestedField(reference: .column($0), required: false) }
    let outcome = read(path: path, options: options, fields: fields, into: collector)
    structure.records = collector.records
    structure.fields = collector.fields
    structure.problem = structure.problem ?? outcome.problem
    return structure
  }
}
