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
      let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(20)
      var best: (delimiter: UInt8, total: Int) = (0x2C, -1)
      for candidate: UInt8 in [0x3B, 0x2C, 0x09, 0x7C] {
        let total = lines.reduce(0) { sum, line in sum + line.filter { $0 == candidate }.count }
        if total > best.total { best = (candidate, total) }
      }
      options.delimiter = best.delimiter
      let counts = lines.map { line in line.filter { $0 == best.delimiter }.count }
      if let widest = counts.max(), let row = counts.firstIndex(of: widest) { options.headerRow = row + 1 }
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
