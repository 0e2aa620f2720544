import Foundation
import ImpactModel
import ImpactPipeline
import Testing

@Suite struct ValidationTests {
  let folder = TemporaryDirectory()

  /// One row per reason code a row can get, and what it must say.
  @Test(arguments: [
    ("a,r1,2023,75056,social.beneficiaries,,", RejectReason.missingField, "value"),
    (",r1,2023,75056,social.beneficiaries,1,", .missingField, "partner_id"),
    ("a,r1,2023,75056,social.benificiaries,1,", .unknownIndicator, "did you mean social.beneficiaries"),
    ("a,r1,2023,75056,social.beneficiaries,douze,", .invalidValue, "number"),
    ("a,r1,2023,75056,social.beneficiaries,12.5,", .invalidValue, "whole"),
    ("a,r1,2023,75056,social.beneficiaries,nan,", .invalidValue, "number"),
    ("a,r1,2023,75056,social.beneficiaries,-1,", .outOfRange, "≥ 0"),
    ("a,r1,2023,75056,social.satisfaction,6,", .outOfRange, "from 1 to 5"),
    ("a,r1,2023,75056,digital_inclusion.autonomy_gain,1.2,", .outOfRange, "from 0 to 1"),
    ("a,r1,2023,99999,social.beneficiaries,1,", .invalidTerritory, "99999"),
    ("a,r1,2023,75001-X,social.beneficiaries,1,", .invalidTerritory, "INSEE"),
    ("a,r1,2023-13,75056,social.beneficiaries,1,", .invalidPeriod, "month 13"),
    ("a,r1,2023-02-29,75056,social.beneficiaries,1,", .invalidPeriod, "calendar"),
    ("a,r1,2023,75056,social.beneficiaries,1,litre", .invalidUnit, "person"),
    ("Assoc_A,r1,2023,75056,social.beneficiaries,1,", .invalidValue, "a-z"),
    ("a,r1,2023,75056,social.beneficiaries,1", .malformedRow, "fields"),
  ])
  func rejectsWithTheRightReason(row: String, reason: RejectReason, hint: String) throws {
    let path = folder.write("case.csv", canonicalHeader + row + "\n")
    let (result, events) = try ingest([path])
    #expect(events.map(\.reason) == [reason])
    #expect(events.first?.message.contains(hint) == true, "\(events.first?.message ?? "")")
    #expect(events.first?.line == 2)
    #expect(result.counts.read == 1 && result.counts.rejected == 1 && result.counts.accepted == 0)
  }

  @Test func malformedFileRejectsWhatWasReadBeforeTheBreak() throws {
    let good = folder.write("a.csv", canonicalHeader + "a,r1,2023,33,social.volunteers,1,\n")
    let bad = folder.write(
      "b.xml",
      "<submissions><submission partner='b'><response id='r' period='2023' territory='33'><value indicator='social.volunteers'>2</value><value indicator='social.beneficiaries'>"
    )
    let (result, events) = try ingest([good, bad])
    #expect(events.map(\.reason) == [.malformedFile])
    #expect(result.counts.accepted == 1)
    #expect(result.counts.read == 2)
    #expect(result.inputs[1].problem != nil)
    #expect(result.rejections[.malformedFile] == 1)
  }

  @Test func convertsAcceptedUnits() throws {
    let text =
      canonicalHeader + """
        a,r1,2023,33,environmental.co2_avoided,1.5,t_co2e
        a,r1,2023,33,environmental.waste_diverted,2,t
        a,r1,2023,33,digital_inclusion.mediation_hours,45,min
        a,r1,2023,33,environmental.km_avoided,12,km

        """
    let (result, events) = try ingest([folder.write("units.csv", text)])
    #expect(events.isEmpty)
    #expect(
      result.ledger.records.map(\.value) == [
        Quantity(units: 1500), Quantity(units: 2000), Quantity(micros: 750_000), Quantity(units: 12),
      ])
  }

  @Test func lastSubmissionWinsAcrossAndWithinFiles() throws {
    let first = folder.write(
      "2023-a.csv",
      canonicalHeader
        + "p,r1,2023,33,social.volunteers,1,\np,r1,2023,33,social.volunteers,2,\np,r2,2023,33,social.volunteers,5,\n")
    let second = folder.write(
      "2023-b.csv", canonicalHeader + "p,r1,2023,33,social.volunteers,3,\nq,r1,2023,33,social.volunteers,9,\n")
    let (result, events) = try ingest([first, second])
    #expect(events.map(\.reason) == [.superseded, .superseded])
    #expect(events.map(\.line) == [2, 3])
    #expect(events.allSatisfy { $0.file == first })
    let accepted = result.ledger.records.filter { !$0.superseded }.map(\.value)
    #expect(accepted == [Quantity(units: 5), Quantity(units: 3), Quantity(units: 9)])
    #expect(result.counts.superseded == 2 && result.counts.accepted == 3 && result.counts.read == 5)
    #expect(result.inputs[0].superseded == 2 && result.inputs[0].accepted == 1)
  }

  @Test func ordersInputsByPathWhateverTheOrderGiven() throws {
    let late = folder.write("b/z.csv", canonicalHeader + "p,r1,2023,33,social.volunteers,7,\n")
    let early = folder.write("a/a.csv", canonicalHeader + "p,r1,2023,33,social.volunteers,4,\n")
    let discovery = try InputDiscovery(paths: [late, folder.path])
    #expect(discovery.files == [early, late])
    let (result, _) = try ingest(discovery.files)
    #expect(result.ledger.records.filter { !$0.superseded }.map(\.value) == [Quantity(units: 7)])
  }

  /// Two files whose names differ only in their Unicode normalization (as a Mac and a
  /// Linux tool may write `café`) are two inputs: neither is dropped, whichever the order.
  @Test func readsFilesWhoseNamesDifferOnlyInNormalization() throws {
    let composed = "caf\u{E9}.csv"
    let decomposed = "cafe\u{301}.csv"
    #expect(composed == decomposed, "String equality folds the two names")
    let first = folder.write(composed, canonicalHeader + "p,r1,2023,33,social.volunteers,4,\n")
    let second = folder.write(decomposed, canonicalHeader + "q,r2,2023,33,social.volunteers,7,\n")
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).map { Array($0.utf8) }).count == 2)
    for paths in [[folder.path], [first, second], [second, first]] {
      let discovery = try InputDiscovery(paths: paths)
      #expect(discovery.files.count == 2, "\(paths)")
      let (result, _) = try ingest(discovery.files)
      #expect(result.counts.read == 2 && result.counts.accepted == 2, "\(paths)")
    }
  }
}
