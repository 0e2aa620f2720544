import Foundation
import ImpactModel
import ImpactReaders
import Testing

@Suite struct XMLReaderTests {
  let folder = TemporaryDirectory()

  static let canonical = """
    <?xml version="1.0" encoding="UTF-8"?>
    <submissions>
      <submission partner="emmaus-connect">
        <response id="bc-0001" period="2022-Q3" territory="75056">
          <value indicator="digital_inclusion.people_trained" unit="person">12</value>
          <value indicator="digital_inclusion.mediation_hours" unit="min">90</value>
        </response>
      </submission>
      <submission partner="crea-sol">
        <response id="cs-1" period="2023" territory="2A004">
          <value indicator="social.microcredit_amount">1 234,50</value>
        </response>
      </submission>
    </submissions>
    """

  @Test func readsCanonicalSubmissions() {
    let result = readFile(folder.write("ok.xml", Self.canonical))
    #expect(result.outcome.problem == nil)
    #expect(result.batch.rejects.isEmpty, "\(result.batch.rejects)")
    #expect(
      result.batch.records.map(\.value) == [
        Quantity(units: 12), Quantity(micros: 1_500_000), Quantity(micros: 1_234_500_000),
      ])
    #expect(result.batch.records.map(\.line) == [5, 6, 11])
    #expect(result.batch.partners.string(of: 1) == "crea-sol")
  }

  @Test func readsASingleSubmissionAsRoot() {
    let text = """
      <submission partner="tiers-lieux"><response id="t1" period="2024-05" territory="31555">
      <value indicator="territorial.places_opened">2</value></response></submission>
      """
    let result = readFile(folder.write("single.xml", text))
    #expect(result.batch.records.count == 1)
    #expect(result.outcome.problem == nil)
  }

  @Test func reportsMissingAttributesAsMissingFields() {
    let text = """
      <submissions><submission><response id="r" period="2024" territory="33">
      <value indicator="social.volunteers">2</value></response></submission>
      <submission partner="p"><response id="r" territory="33"><value indicator="social.volunteers"/></response></submission>
      </submissions>
      """
    let result = readFile(folder.write("missing.xml", text))
    #expect(result.reasons == [.missingField, .missingField])
    #expect(result.batch.rejects.map(\.field) == ["submission/@partner", "response/@period"])
  }

  @Test func refusesATruncatedFileWhole() {
    let truncated = String(Self.canonical.prefix(Self.canonical.count - 40))
    let result = readFile(folder.write("truncated.xml", truncated))
    #expect(result.outcome.problem?.message.contains("cut short") == true)
    #expect(result.batch.records.isEmpty)
    // The three values read before the break are rejected, not lost.
    #expect(result.reasons == [.malformedFile, .malformedFile, .malformedFile])
    // Cut between two elements, the file says where it ends.
    let cut = Self.canonical.replacingOccurrences(of: "</submissions>", with: "")
    let message = readFile(folder.write("cut.xml", cut)).outcome.problem?.message ?? ""
    #expect(message.contains("ends inside <submissions>") && message.contains("cut short"), "\(message)")
  }

  /// A complete small file with an error in its middle is not called cut short: the
  /// message is libxml2's, at the line of the error.
  @Test func anErrorInsideACompleteFileIsNotACut() {
    for (good, bad) in [("</value>", "</valeu>"), (">12<", ">&foo;<")] {
      let text = Self.canonical.replacingOccurrences(of: good, with: bad)
      let problem = readFile(folder.write("mid.xml", text)).outcome.problem
      #expect(problem != nil)
      #expect(problem?.message.contains("cut short") == false, "\(String(describing: problem))")
      #expect((problem?.line ?? 0) < text.split(separator: "\n").count - 1)
    }
  }

  @Test func refusesAnotherRootAndBrokenMarkup() {
    #expect(readFile(folder.write("root.xml", "<html><body/></html>")).outcome.problem != nil)
    #expect(
      readFile(folder.write("broken.xml", "<submissions><submission partner='a'></submissions>")).outcome.problem != nil
    )
    #expect(readFile(folder.write("empty.xml", "")).outcome.problem?.message.contains("no element") == true)
    let invalidUTF8 =
      Array("<submissions><submission partner=\"".utf8) + [0xFF, 0xFE] + Array("\"/></submissions>".utf8)
    #expect(readFile(folder.write("bytes.xml", bytes: invalidUTF8)).outcome.problem != nil)
  }

  @Test func neverReadsAnExternalEntity() throws {
    let secret = folder.write("secret.txt", "TOP-SECRET-CONTENT")
    let text = """
      <?xml version="1.0"?>
      <!DOCTYPE submissions [ <!ENTITY leak SYSTEM "file://\(secret)"> ]>
      <submissions><submission partner="p"><response id="&leak;" period="2023" territory="33">
      <value indicator="social.volunteers" unit="&leak;">&leak;</value></response></submission></submissions>
      """
    let path = folder.write("xxe.xml", text)
    let result = readFile(path)
    #expect(result.outcome.problem != nil)
    #expect(result.batch.records.isEmpty)
    let everything =
      result.batch.rejects.map { "\($0.value) \($0.response) \($0.message)" }.joined()
      + (result.outcome.problem?.description ?? "")
    #expect(!everything.contains("TOP-SECRET"))
  }

  @Test func failsFastOnABillionLaughs() {
    var text = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
    for level in 1...9 {
      let previous = level == 1 ? "lol" : "lol\(level - 1)"
      text += " <!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">\n"
    }
    text += "]>\n<submissions><submission partner=\"p\"><response id=\"r\" period=\"2023\" territory=\"33\">"
    text += "<value indicator=\"social.volunteers\">&lol9;</value></response></submission></submissions>"
    let started = Date()
    let result = readFile(folder.write("lolz.xml", text))
    #expect(result.outcome.problem != nil)
    #expect(result.batch.records.isEmpty)
    #expect(Date().timeIntervalSince(started) < 2)
  }

  @Test func refusesDeepNesting() {
    let depth = 5000
    let text =
      "<submissions>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
      + "</submissions>"
    let result = readFile(folder.write("deep.xml", text))
    #expect(result.outcome.problem != nil)
  }

  @Test func refusesAnEntityDeclaredWithoutADoctypeTrick() {
    // An undefined entity: libxml2 reports it; the file must not pass as valid.
    let text =
      "<submissions><submission partner=\"p\"><response id=\"r\" period=\"2023\" territory=\"33\"><value indicator=\"social.volunteers\">&undefined;</value></response></submission></submissions>"
    let result = readFile(folder.write("undefined.xml", text))
    #expect(result.outcome.problem != nil)
    #expect(result.batch.records.isEmpty)
  }

  @Test func readsEscapedCharactersInAttributesAndText() {
    let text = """
      <submissions><submission partner="p"><response id="R&amp;D-&#38;-&amp;#38;" period="2023" territory="33">
      <value indicator="social.volunteers" unit="person">&#52;2</value></response></submission></submissions>
      """
    let result = readFile(folder.write("escaped.xml", text))
    #expect(result.outcome.problem == nil)
    #expect(result.batch.responses.string(of: 0) == "R&D-&-&#38;")
    #expect(result.batch.records.map(\.value) == [Quantity(units: 42)])
  }

  @Test func refusesAValueWithTooMuchText() {
    let text =
      "<submissions><submission partner=\"p\"><response id=\"r\" period=\"2023\" territory=\"33\"><value indicator=\"social.volunteers\">"
      + String(repeating: "1", count: XMLFormat.maxValueBytes + 1) + "</value></response></submission></submissions>"
    let result = readFile(folder.write("long-value.xml", text))
    #expect(result.outcome.problem?.message.contains("KiB of text") == true)
  }

  @Test func warnsAboutIgnoredElementsAndAttributes() {
    let text = """
      <submissions><meta>x</meta><submission partner="p" region="sud"><response id="r" period="2023" territory="33">
      <value indicator="social.volunteers">2</value><note>ok</note></response></submission></submissions>
      """
    let result = readFile(folder.write("extra.xml", text))
    #expect(result.batch.records.count == 1)
    #expect(result.outcome.warnings.contains { $0.contains("/submissions/meta") })
    #expect(result.outcome.warnings.contains { $0.contains("@region") })
  }
}
