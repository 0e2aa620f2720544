import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImpactPipeline
import Testing

@testable import ImpactServer

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

/// An output folder with two published runs of the canonical samples, a tokens file and
/// an inbox, removed afterwards.
final class ServerFixture: @unchecked Sendable {
  let folder = NSTemporaryDirectory() + "impact-server-" + UUID().uuidString
  var output: String { folder + "/output" }
  var inbox: String { folder + "/inbox" }
  let runner: PipelineRunner
  private(set) var runIDs: [String] = []
  static let admin = "admin-token-0123456789abcdef"
  static let partner = "crea-sol-token-0123456789abcd"

  init() throws {
    runner = PipelineRunner(
      pipeline: try PipelineDefinition.load(path: repositoryRoot + "/pipelines/canonical.yml").get())
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for _ in 0..<2 {
      let (result, _) = try runner.run(
        inputs: try InputDiscovery(paths: [repositoryRoot + "/samples/canonical"]), outputDirectory: output)
      runIDs.append(result.runID)
      Thread.sleep(forTimeInterval: 1.05)  // run ids carry the second
    }
    try "# admin\n\(Self.admin) *\n\(Self.partner) crea-sol\n".write(
      toFile: folder + "/tokens", atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(atPath: folder) }

  func application(tokens: Bool = false, uploads: Bool = false, maxBytes: Int = 1 << 20) throws
    -> some ApplicationProtocol
  {
    let server = ReportServer(
      archive: try RunArchive(outputDirectory: output),
      tokens: tokens ? try AccessTokens(path: folder + "/tokens") : nil,
      inbox: uploads ? try SubmissionInbox(folder: inbox, maxBytes: maxBytes, runner: runner) : nil)
    return Application(router: server.router())
  }
}

func text(_ response: TestResponse) -> String { String(buffer: response.body) }

func gunzip(_ data: [UInt8]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/gzip")
  process.arguments = ["-dc"]
  let input = Pipe()
  let output = Pipe()
  process.standardInput = input
  process.standardOutput = output
  try process.run()
  input.fileHandleForWriting.write(Data(data))
  try input.fileHandleForWriting.close()
  let result = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return String(decoding: result, as: UTF8.self)
}

@Suite(.serialized) struct ReportServerTests {
  let fixture: ServerFixture

  init() throws { fixture = try ServerFixture() }

  @Test func listsRunsNewestFirstAndAnswersHealthChecks() async throws {
    let latest = fixture.runIDs[1]
    try await fixture.application().test(.router) { client in
      try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/api/runs", method: .get) { response in
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        #expect(json?["latest"] as? String == latest)
        let runs = json?["runs"] as? [[String: Any]]
        #expect(runs?.compactMap { $0["id"] as? String } == fixture.runIDs.reversed())
        #expect((runs?.first?["counts"] as? [String: Int])?["read"] == 160)
      }
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok)
        let page = text(response)
        #expect(page.range(of: fixture.runIDs[1])!.lowerBound < page.range(of: fixture.runIDs[0])!.lowerBound)
      }
      try await client.execute(uri: "/runs/\(latest)/", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/latest/", method: .get) { #expect($0.status == .ok) }
    }
  }

  @Test func downloadsCarryTypesNamesValidatorsAndRanges() async throws {
    let run = fixture.runIDs[0]
    try await fixture.application().test(.router) { client in
      let full = try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get)
      #expect(full.status == .ok)
      #expect(full.headers[.contentType] == "text/csv; charset=utf-8")
      #expect(full.headers[.contentDisposition] == "attachment; filename=\"impact-\(run)-aggregates.csv\"")
      #expect(full.headers[.acceptRanges] == "bytes")
      let tag = try #require(full.headers[.eTag])
      let onDisk = try String(contentsOfFile: fixture.output + "/\(run)/aggregates.csv", encoding: .utf8)
      #expect(text(full) == onDisk)
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.ifNoneMatch: tag]) {
        #expect($0.status == .notModified)
        #expect($0.body.readableBytes == 0)
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.range: "bytes=0-8"]) {
        #expect($0.status == .partialContent)
        #expect(text($0) == "grouping,")
        #expect($0.headers[.contentRange] == "bytes 0-8/\(onDisk.utf8.count)")
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.range: "bytes=-4"]) {
        #expect(text($0) == String(onDisk.suffix(4)))
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.range: "bytes=0-1,5-6"]) {
        #expect($0.status == .ok)
        #expect(text($0) == onDisk)
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.acceptEncoding: "gzip"]) {
        #expect($0.headers[.eTag] != tag)
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: [.range: "bytes=999999-"]) {
        #expect($0.status == .rangeNotSatisfiable)
      }
      try await client.execute(uri: "/runs/\(run)/summary.json", method: .get) {
        #expect($0.headers[.contentType] == "application/json; charset=utf-8")
      }
      try await client.execute(uri: "/latest/records.csv", method: .head) {
        #expect($0.status == .ok)
        #expect($0.body.readableBytes == 0)
      }
    }
  }

  @Test func compressesWhenTheClientAcceptsGzip() async throws {
    let run = fixture.runIDs[0]
    let onDisk = try String(contentsOfFile: fixture.output + "/\(run)/records.csv", encoding: .utf8)
    try await fixture.application().test(.router) { client in
      try await client.execute(uri: "/runs/\(run)/records.csv", method: .get, headers: [.acceptEncoding: "br, gzip"]) {
        #expect($0.headers[.contentEncoding] == "gzip")
        #expect($0.body.readableBytes < onDisk.utf8.count)
        let unzipped = try gunzip(Array(buffer: $0.body))
        #expect(unzipped == onDisk)
      }
      try await client.execute(uri: "/runs/\(run)/records.csv", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) {
        #expect($0.headers[.contentEncoding] == nil)
        #expect(text($0) == onDisk)
      }
    }
  }

  @Test func servesCSVAsFrenchExcelOpensIt() async throws {
    let run = fixture.runIDs[0]
    try await fixture.application().test(.router) { client in
      try await client.execute(uri: "/runs/\(run)/aggregates.csv?dialect=excel-fr", method: .get) { response in
        let bytes = Array(buffer: response.body)
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        let body = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let lines = body.components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("grouping;indicator;transition;unit;year"))
        // social.beneficiaries: mean 414.25 becomes 414,25.
        #expect(lines[1].contains(";414,25;"))
        #expect(response.headers[.contentDisposition]?.contains("-excel-fr.csv") == true)
      }
      try await client.execute(uri: "/runs/\(run)/aggregates.csv?dialect=word", method: .get) {
        #expect($0.status == .badRequest)
      }
    }
  }

  @Test func readsNothingOutsidePublishedRuns() async throws {
    let run = fixture.runIDs[0]
    // A link planted in a run folder that leaves it, and an unpublished folder.
    try FileManager.default.removeItem(atPath: fixture.output + "/\(run)/rejects.csv")
    try FileManager.default.createSymbolicLink(
      atPath: fixture.output + "/\(run)/rejects.csv", withDestinationPath: "/etc/passwd")
    try FileManager.default.createDirectory(
      atPath: fixture.output + "/.partial-20991231T000000Z-0000", withIntermediateDirectories: true)
    try await fixture.application().test(.router) { client in
      for uri in [
        "/runs/\(run)/rejects.csv", "/runs/../summary.json", "/runs/%2e%2e/summary.json",
        "/runs/\(run)/..%2f..%2fetc%2fpasswd",
        "/runs/\(run)/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/runs//etc/passwd", "/runs/\(run)/README.md",
        "/runs/.partial-20991231T000000Z-0000/summary.json", "/runs/latest/summary.json", "/etc/passwd",
        "/runs/\(run)/%2Fetc%2Fpasswd",
      ] {
        let response = try await client.execute(uri: uri, method: .get)
        #expect(response.status == .notFound, "\(uri)")
        #expect(!text(response).contains("root:"), "\(uri)")
      }
    }
  }

  @Test func tokensGateEveryRequestAndScopePartners() async throws {
    let run = fixture.runIDs[0]
    try await fixture.application(tokens: true).test(.router) { client in
      try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/api/runs", method: .get) {
        #expect($0.status == .unauthorized)
        #expect($0.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
      }
      try await client.execute(
        uri: "/api/runs", method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]
      ) {
        #expect($0.status == .unauthorized)
      }
      let admin: HTTPFields = [.authorization: "Bearer \(ServerFixture.admin)"]
      let partner: HTTPFields = [.authorization: "Bearer \(ServerFixture.partner)"]
      try await client.execute(uri: "/runs/\(run)/summary.json", method: .get, headers: admin) {
        #expect($0.status == .ok)
      }
      try await client.execute(uri: "/runs/\(run)/summary.json", method: .get, headers: partner) {
        #expect($0.status == .forbidden)
      }
      // The aggregates over every partner, but of the per-partner rows only its own.
      let everyone = try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: admin)
      #expect(text(everyone).contains("emmaus-connect"))
      try await client.execute(uri: "/runs/\(run)/aggregates.csv", method: .get, headers: partner) {
        #expect($0.status == .ok)
        let rows = text($0).split(separator: "\n").dropFirst().map {
          $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        #expect(!text($0).contains("emmaus-connect"))
        #expect(rows.contains { $0[0] == "indicator+partner_id" && $0[7] == "crea-sol" })
        #expect(rows.contains { $0[0] == "indicator+region" })
        #expect(rows.allSatisfy { $0[7].isEmpty || $0[7] == "crea-sol" })
      }
      let all = try await client.execute(uri: "/runs/\(run)/rejects.csv", method: .get, headers: admin)
      let own = try await client.execute(uri: "/runs/\(run)/rejects.csv", method: .get, headers: partner)
      let ownRows = text(own).split(separator: "\n").dropFirst()
      #expect(ownRows.count == 3)
      #expect(ownRows.allSatisfy { $0.split(separator: ",")[2] == "crea-sol" })
      #expect(text(all).split(separator: "\n").count > ownRows.count + 1)
      try await client.execute(uri: "/runs/\(run)/records.csv", method: .get, headers: partner) {
        #expect(text($0).split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("crea-sol,") })
      }
    }
  }

  @Test func takesAPartnersUploadAndValidatesIt() async throws {
    let partner: HTTPFields = [.authorization: "Bearer \(ServerFixture.partner)"]
    let file =
      "partner_id,response_id,period,territory,indicator,value\ncrea-sol,u1,2024-Q1,13055,social.beneficiaries,12\ncrea-sol,u2,2024-13,13055,social.beneficiaries,3\n"
    try await fixture.application(tokens: true, uploads: true).test(.router) { client in
      try await client.execute(
        uri: "/submissions?filename=../../octrois%20mars.csv", method: .post, headers: partner,
        body: ByteBuffer(string: file)
      ) { response in
        #expect(response.status == .created)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        #expect(json?["read"] as? Int == 2)
        #expect(json?["accepted"] as? Int == 1)
        let rejects = json?["rejects"] as? [[String: Any]]
        #expect(rejects?.first?["reason"] as? String == "invalid_period")
        #expect(rejects?.first?["line"] as? Int == 3)
        #expect((rejects?.first?["hint_fr"] as? String)?.isEmpty == false)
        let stored = try #require(json?["stored_as"] as? String)
        #expect(stored.hasSuffix("-000/octrois_mars.csv"))
        #expect(FileManager.default.fileExists(atPath: fixture.inbox + "/crea-sol/" + stored))
      }
      // The same name twice: never overwritten.
      try await client.execute(
        uri: "/submissions?filename=octrois_mars.csv", method: .post, headers: partner, body: ByteBuffer(string: file)
      ) {
        #expect($0.status == .created)
      }
      #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.inbox + "/crea-sol").count == 2)
      try await client.execute(
        uri: "/submissions?filename=x.xlsx", method: .post, headers: partner, body: ByteBuffer(string: file)
      ) {
        #expect($0.status == .badRequest)
      }
      try await client.execute(
        uri: "/submissions?filename=x.csv", method: .post, headers: partner,
        body: ByteBuffer(bytes: [0x50, 0x4B, 0, 0])
      ) {
        #expect($0.status == .unsupportedMediaType)
      }
      try await client.execute(
        uri: "/submissions?filename=x.csv", method: .post, headers: [.authorization: "Bearer \(ServerFixture.admin)"],
        body: ByteBuffer(string: file)
      ) {
        #expect($0.status == .forbidden)
      }
      try await client.execute(uri: "/submissions?filename=x.csv", method: .post, body: ByteBuffer(string: file)) {
        #expect($0.status == .unauthorized)
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.inbox + "/crea-sol").count == 2)
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.inbox + "/.incoming").isEmpty)
  }

  /// An upload keeps its name, in a folder of its own: the source whose glob and file-name
  /// pattern fit the name reads it at once and in the next run.
  @Test func anUploadedExportIsReadWithItsSource() async throws {
    let pipelinePath = fixture.folder + "/mapped.yml"
    try """
    catalog: \(repositoryRoot)/pipelines/catalog.yml
    output: out
    sources:
      - name: octrois
        files: ["inbox/crea-sol/octrois-*.csv"]
        format: csv
        csv: {delimiter: ";"}
        partner: {file: "^octrois-([a-z-]+)-[0-9]{4}\\\\.csv$"}
        response: {column: Code}
        period: {value: "2024"}
        territory: {value: "13055"}
        indicators:
          - {column: Montant, indicator: social.microcredit_amount}

    """.write(toFile: pipelinePath, atomically: true, encoding: .utf8)
    let runner = PipelineRunner(pipeline: try PipelineDefinition.load(path: pipelinePath).get())
    let server = ReportServer(
      archive: try RunArchive(outputDirectory: fixture.output),
      tokens: try AccessTokens(path: fixture.folder + "/tokens"),
      inbox: try SubmissionInbox(folder: fixture.inbox, maxBytes: 1 << 20, runner: runner))
    let partner: HTTPFields = [.authorization: "Bearer \(ServerFixture.partner)"]
    try await Application(router: server.router()).test(.router) { client in
      for _ in 0..<2 {
        try await client.execute(
          uri: "/submissions?filename=octrois-crea-sol-2024.csv", method: .post, headers: partner,
          body: ByteBuffer(string: "Code;Montant\nA1;1 200\nA2;300\n")
        ) { response in
          #expect(response.status == .created)
          let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
          #expect(json?["source"] as? String == "octrois", "\(json ?? [:])")
          #expect(json?["accepted"] as? Int == 2)
        }
      }
    }
    let discovery = try InputDiscovery(paths: [], sources: runner.pipeline.sources, includeSourceFiles: true)
    #expect(discovery.inputs.count == 2)
    #expect(
      discovery.inputs.allSatisfy { $0.source?.name == "octrois" && $0.path.hasSuffix("/octrois-crea-sol-2024.csv") })
    #expect(discovery.files == discovery.files.sorted())
  }

  @Test func refusesUploadsAboveTheLimitAndKeepsNothingOfThem() async throws {
    let partner: HTTPFields = [.authorization: "Bearer \(ServerFixture.partner)"]
    let big = String(repeating: "x", count: 5000)
    try await fixture.application(tokens: true, uploads: true, maxBytes: 1000).test(.router) { client in
      try await client.execute(
        uri: "/submissions?filename=big.csv", method: .post, headers: partner, body: ByteBuffer(string: big)
      ) {
        #expect($0.status == .contentTooLarge)
      }
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.inbox + "/crea-sol"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.inbox + "/.incoming").isEmpty)
  }

  @Test func aCutOffUploadLeavesNothing() async throws {
    let inbox = try SubmissionInbox(folder: fixture.inbox, maxBytes: 1 << 20, runner: fixture.runner)
    let (body, source) = RequestBody.makeStream()
    let request = Request(
      head: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/submissions?filename=cut.csv"), body: body)
    struct ConnectionLost: Error {}
    let feeder = Task {
      await source.yield(ByteBuffer(string: "partner_id,response_id,period,territory,indicator,value\n"))
      await source.yield(ByteBuffer(string: "crea-sol,u1,2024-Q1,13055,social.benef"))
      source.finish(ConnectionLost())
    }
    await #expect(throws: ConnectionLost.self) { _ = try await inbox.receive(request, partner: "crea-sol") }
    await feeder.value
    #expect(!FileManager.default.fileExists(atPath: fixture.inbox + "/crea-sol"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.inbox + "/.incoming").isEmpty)
  }
}
