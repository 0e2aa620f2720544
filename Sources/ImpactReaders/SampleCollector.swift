import Foundation
import ImpactModel

/// A record sink that keeps a few values of each field, for `inspect`.
final class SampleCollector: RecordSink {
  var fields: [FileStructure.Field]
  private(set) var records = 0
  let samplesPerField: Int

  init(names: [String], samplesPerField: Int = 3) {
    fields = names.map { FileStructure.Field(name: $0) }
    self.samplesPerField = samplesPerField
  }

  func record(_ record: RecordValues) {
    records += 1
    for index in fields.indices {
      guard let bytes = record.values[index], bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
      fields[index].filled += 1
      let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      if fields[index].samples.count < samplesPerField && !fields[index].samples.contains(text) {
        fields[index].samples.append(String(text.prefix(60)))
      }
    }
  }

  func rejectRecord(line: Int, reason: RejectReason, field: String, raw: String, message: String) {
    records += 1
  }
}
