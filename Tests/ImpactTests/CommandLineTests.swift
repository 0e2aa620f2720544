import Foundation
import Testing

/// The `impact` executable end to end: arguments, exit codes, outputs.
@Suite struct CommandLineTests {
  struct Outcome {
    let status: Int32
    let standardOutput: String
    let standardError: String
  }

  /// The executable built beside the test bundle.
  static let executable: String = {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidate = folder.appendingPathComponent("impact").path
    if !FileManager.default.isExecutableFile(atPath: candidate) {
      candidate = folder.deletingLastPathComponent().appendingPathComponent("impact").path
    }
    return candidate
  }()

  func impact(_ arguments: [String]) throws -> Outcome {
    #expect(FileManager.default.isExecutableFile(atPath: Self.executable), "build the impact product first")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus, standardOutput: String(decoding: out, as: UTF8.self),
      standardError: String(decoding: err, as: UTF8.self))
  }

  @Test func runsTheSamplesAndPublishesLatest() throws {
    let output = TemporaryDirectory()
    let outcome = try impact([
      "run", "--pipeline", "pipelines/canonical.yml", "--output", output.path, "samples/canonical",
    ])
    #expect(outcome.status == 0, "\(outcome.standardError)")
    #expect(outcome.standardOutput.contains("read 160, accepted 140, rejected 14, superseded 6"))
    for name in ["summary.json", "aggregates.csv", "records.csv", "rejects.csv"] {
      #expect(FileManager.default.fileExists(atPath: output.path + "/latest/" + name), "\(name)")
    }
  }

  @Test func validatePrintsRejectsAsFileLineReasonFieldMessage() throws {
    let outcome = try impact(["validate", "--pipeline", "pipelines/canonical.yml", "samples/canonical"])
    #expect(outcome.status == 1)
    let lines = outcome.standardOutput.split(separator: "\n")
    #expect(lines.count == 14)
    #expect(lines.contains { $0.hasPrefix("samples/canonical/crea-sol-2023.csv:12: unknown_indicator (Indicator): ") })
    #expect(outcome.standardError.contains("rejected 14"))
    let withSuperseded = try impact([
      "validate", "--pipeline", "pipelines/canonical.yml", "--show-superseded", "samples/canonical",
    ])
    #expect(withSuperseded.standardOutput.split(separator: "\n").count == 20)
  }

  /// One line for a row whose mapped observations are refused for one reason, and no
  /// raw control character from a partner's file reaches the terminal.
  @Test func validateSaysOnceWhatRefusedARowAndEscapesControlCharacters() throws {
    let partners = try impact(["validate", "--pipeline", "pipelines/alliance.yml"])
    let row = partners.standardOutput.split(separator: "\n").filter {
      $0.hasPrefix("samples/partners/emmaus-connect/ateliers-2024-T2.csv:7: invalid_period (Date de l'atelier)")
    }
    #expect(row.count == 1)
    #expect(row.first?.contains("[5 observations: ") == true)
    let folder = TemporaryDirectory()
    let path = folder.write("esc.csv", canonicalHeader + "a,r1,\u{1B}[31m2024,33,social.volunteers,1,\n")
    let outcome = try impact(["validate", "--pipeline", "pipelines/canonical.yml", path])
    #expect(!outcome.standardOutput.contains("\u{1B}"))
    #expect(outcome.standardOutput.contains("\\u{1B}[31m2024"))
  }

  @Test func validateExitsZeroOnCleanInput() throws {
    let folder = TemporaryDirectory()
    let path = folder.write("ok.csv", canonicalHeader + "a,r1,2023,33,social.volunteers,1,\n")
    let outcome = try impact(["validate", "--pipeline", "pipelines/canonical.yml", path])
    #expect(outcome.status == 0, "\(outcome.standardOutput)")
  }

  @Test func usageAndConfigurationErrorsExitTwo() throws {
    #expect(
      try impact(["run", "--pipeline", "pipelines/canonical.yml", "--output", "/tmp/x", "no-such-folder"]).status == 2)
    #expect(try impact(["run", "--no-such-option"]).status == 2)
    #expect(try impact(["frobnicate"]).status == 2)
    let folder = TemporaryDirectory()
    let pipeline = folder.write("p.yml", "catalog: bad.yml\nsurprise: 1\n")
    folder.write("bad.yml", "indicators:\n  - id: social.x\n    transition: nowhere\n  - id: BAD\n    unit: u\n")
    let outcome = try impact(["validate", "--pipeline", pipeline, "samples/canonical"])
    #expect(outcome.status == 2)
    // Every problem is listed, not only the first.
    #expect(outcome.standardError.contains("surprise"))
    #expect(outcome.standardError.contains("nowhere"))
    #expect(outcome.standardError.contains("BAD"))
  }

  @Test func inspectDescribesAFileAndDraftsASource() throws {
    let folder = TemporaryDirectory()
    var bytes =
      Array("Export du 03/04/2024\r\nN".utf8) + [0xB0] + Array(" atelier;Date;Code postal;Nb participants\r\n".utf8)
    bytes += Array("A1;14/03/2024;75011;12\r\nA2;15/03/2024;20000;8\r\nA3;16/03/2024;75011;\"3; 4\"\r\n".utf8)
    let path = folder.write("ateliers.csv", bytes: bytes)
    let outcome = try impact(["inspect", "--pipeline", "pipelines/canonical.yml", path])
    #expect(outcome.status == 0, "\(outcome.standardError)")
    let text = outcome.standardOutput
    #expect(text.contains("encoding: windows-1252"))
    #expect(text.contains("header line: 2"))
    #expect(text.contains("records: 3"))
    #expect(text.contains("period: {column: \"Date\", format: dd/MM/yyyy"))
    #expect(text.contains("territory: {column: \"Code postal\", kind: postal_code}"))
    #expect(text.contains("- {column: \"Nb participants\", indicator: CHANGE-ME}"))
  }

  @Test func helpDocumentsTheExitCodes() throws {
    let outcome = try impact(["--help"])
    #expect(outcome.status == 0)
    #expect(outcome.standardOutput.contains("Exit codes"))
  }

  @Test func aRunThatCannotWriteExitsOneAndPublishesNothing() throws {
    let folder = TemporaryDirectory()
    let blocked = folder.write("output", "a file where the output folder should be")
    let outcome = try impact([
      "run", "--pipeline", "pipelines/canonical.yml", "--output", blocked + "/runs", "samples/canonical",
    ])
    #expect(outcome.status == 1)
    #expect(outcome.standardError.contains("nothing published"))
  }
}
