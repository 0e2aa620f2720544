import Foundation
import ImpactModel
import ImpactPipeline
import ImpactReports
import Testing

/// `report.html` on the bundled samples: content, escaping of partner text, no network,
/// and a real browser rendering it.
@Suite struct HTMLReportTests {
  /// A published run: its result, folder and `report.html`.
  struct Run {
    let result: RunResult
    let folder: String
    let html: String
  }

  /// A partner file with hostile text: a response id that is a script, a partner id with
  /// markup, a value with markup, all rejected, so that they reach the report's examples.
  static let hostileCSV =
    canonicalHeader
    + "evil-partner,<script>alert(1)</script>,2023,33,social.volunteers,abc,\n"
    + "<i>bad&co</i>,r-2,2023,33,social.volunteers,4,\n"
    + "evil-partner,\"r-3\"\"'\",2023,33,social.volunteers,<b>12</b>,\n"
    + "evil-partner,r-4,2023,33,social.volunteers,5,\n"

  func run(pipeline: String, paths: [String]?, output: TemporaryDirectory) throws -> Run {
    let definition = try PipelineDefinition.load(path: repositoryRoot + "/pipelines/" + pipeline).get()
    let runner = PipelineRunner(pipeline: definition)
    let inputs = try paths.map { try InputDiscovery(paths: $0) } ?? runner.discover([])
    let (result, folder) = try runner.run(inputs: inputs, outputDirectory: output.path + "/out")
    let path = folder.latestPath + "/report.html"
    #expect(FileManager.default.fileExists(atPath: path))
    return Run(result: result, folder: folder.latestPath, html: try String(contentsOfFile: path, encoding: .utf8))
  }

  /// What every report must hold, whatever the inputs.
  func checkCommonContent(_ run: Run) {
    let html = run.html
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<meta charset=\"utf-8\">"))
    #expect(html.contains("name=\"viewport\""))
    #expect(html.contains(run.result.runID))
    #expect(html.contains("impact " + run.result.toolVersion))
    for (kind, value) in [
      ("read", run.result.counts.read), ("accepted", run.result.counts.accepted),
      ("rejected", run.result.counts.rejected), ("superseded", run.result.counts.superseded),
    ] {
      #expect(html.contains("data-count=\"\(kind)\""), "\(kind)")
      #expect(html.contains("<div class=\"v\">" + Self.shown(value)), "\(kind) \(value)")
    }
    #expect(html.contains("✓ équilibré"))
    for transition in Transition.allCases {
      #expect(html.contains("id=\"t-\(transition.id)\""), "\(transition.id)")
    }
    for heading in ["Transition sociale", "Transition environnementale", "Inclusion numérique"] {
      #expect(html.contains(heading))
    }
    #expect(html.contains("Social transition"))
    #expect(Self.count("<svg", in: html) >= 5)
    #expect(Self.count("<svg", in: html) == Self.count("role=\"img\"", in: html))
    #expect(Self.count("<svg", in: html) <= Self.count("<title id=", in: html))
    #expect(html.contains("<rect"))
    #expect(!html.contains("http://") && !html.contains("https://"), "the page must not reference the network")
    #expect(!html.contains("src="), "the page must load nothing")
    #expect(Self.count("<script", in: html) == 1)
    #expect(html.contains("default-src 'none'"))
  }

  @Test func canonicalSamples() throws {
    let output = TemporaryDirectory()
    let run = try run(pipeline: "canonical.yml", paths: [repositoryRoot + "/samples/canonical"], output: output)
    checkCommonContent(run)
    let html = run.html
    #expect(run.result.counts.read == 160)
    // Every input, with its per-file counts.
    for input in run.result.inputs {
      #expect(html.contains((input.path as NSString).lastPathComponent), "\(input.path)")
    }
    // The indicators of each transition, with their exact sums.
    let catalog = run.result.ledger.catalog
    for row in run.result.rows where row.grouping == .indicator {
      let indicator = catalog.indicators[row.indicator]
      #expect(html.contains(HTMLEscaping.escape(indicator.labelFrench)), "\(indicator.id)")
      #expect(html.contains(indicator.id))
    }
    #expect(html.contains("Île-de-France") || html.contains("Provence-Alpes-Côte d&#39;Azur"))
    // Rejects by reason, with the hints in both languages, and by partner.
    #expect(html.contains("<a href=\"rejects.csv\"><code>rejects.csv</code></a>"))
    #expect(html.contains(" 20 <span class=\"fr\" lang=\"fr\">lignes</span>"))
    for reason in ["unknown_indicator", "out_of_range", "malformed_row", "superseded"] {
      let code = try #require(RejectReason(rawValue: reason))
      #expect(html.contains("id=\"r-\(reason.replacingOccurrences(of: "_", with: "-"))\""), "\(reason)")
      #expect(html.contains(HTMLEscaping.escape(code.hintFrench)), "\(reason)")
      #expect(html.contains(HTMLEscaping.escape(code.hintEnglish)), "\(reason)")
    }
    #expect(html.contains("crea-sol"))
    #expect(html.contains("emmaus-connect"))
  }

  @Test func alliancePipeline() throws {
    let output = TemporaryDirectory()
    let run = try run(pipeline: "alliance.yml", paths: nil, output: output)
    checkCommonContent(run)
    #expect(run.result.counts.read == 793)
    #expect(run.html.contains("kobo"))
    #expect(run.html.contains("tiers-lieux-occitanie"))
    // Many charts: by région, year and partner for every indicator with data.
    let indicators = Set(run.result.rows.map(\.indicator)).count
    #expect(Self.count("<svg class=\"chart\"", in: run.html) >= indicators * 3)
  }

  @Test func hostilePartnerTextIsEscaped() throws {
    let output = TemporaryDirectory()
    let path = output.write("<img src=x onerror=alert(2)>.csv", Self.hostileCSV)
    let run = try run(pipeline: "canonical.yml", paths: [path], output: output)
    let html = run.html
    #expect(run.result.counts.rejected == 3)
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!html.contains("<script>alert"))
    #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;.csv"))
    #expect(!html.contains("<img"))
    #expect(html.contains("&lt;i&gt;bad&amp;co&lt;/i&gt;"))
    #expect(!html.contains("<i>bad"))
    #expect(html.contains("r-3&quot;&#39;"))
    #expect(html.contains("&lt;b&gt;12&lt;/b&gt;"))
    #expect(!html.contains("<b>12"))
    #expect(Self.count("<script", in: html) == 1)
    #expect(!html.contains("http://") && !html.contains("https://"))
  }

  @Test func aMissingRejectsFileIsReportedNotFatal() throws {
    let output = TemporaryDirectory()
    let run = try run(pipeline: "canonical.yml", paths: [repositoryRoot + "/samples/canonical"], output: output)
    let alone = output.path + "/alone"
    try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
    // Without the runner's tally the report reads rejects.csv, which is not there.
    var result = run.result
    result.rejectsTally = nil
    try HTMLReport().write(result, to: alone + "/report.html")
    let html = try String(contentsOfFile: alone + "/report.html", encoding: .utf8)
    #expect(html.contains("rejects.csv cannot be read"))
    #expect(html.contains("unknown_indicator"))
    #expect(html.contains("<div class=\"v\">160</div>"))
  }

  /// Headless Chromium loads the report of the samples plus the hostile file and must
  /// build the tables and the charts' bars; a second load at `#en` must run the language
  /// script, which the page's Content-Security-Policy allows by hash only. Skipped, with
  /// a message, where no Chromium is installed.
  @Test func rendersInHeadlessChromium() throws {
    guard let chromium = Self.chromium() else {
      print("skipped: rendersInHeadlessChromium: no Chromium found (install the Debian package chromium)")
      return
    }
    let output = TemporaryDirectory()
    let hostile = output.write("hostile.csv", Self.hostileCSV)
    let run = try run(
      pipeline: "canonical.yml", paths: [repositoryRoot + "/samples/canonical", hostile], output: output)
    let url = URL(fileURLWithPath: run.folder + "/report.html").resolvingSymlinksInPath().absoluteString
    let profile = output.path + "/chromium-profile"
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile]

    let dump = try Self.launch(chromium, common + ["--dump-dom", url])
    #expect(dump.status == 0, "chromium failed: \(dump.error)")
    let dom = dump.output
    #expect(dom.contains("<html lang=\"fr\">"), "the page did not load")
    #expect(Self.count("<table", in: dom) >= 8, "tables missing from the rendered page")
    #expect(Self.count("<svg", in: dom) >= 10, "charts missing from the rendered page")
    #expect(Self.count("<rect", in: dom) >= 20, "bars missing from the rendered page")
    #expect(dom.contains("id=\"t-demographic\""))
    #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!dom.contains("<script>alert"))
    #expect(Self.count("<script", in: dom) == 1)

    let english = try Self.launch(chromium, common + ["--dump-dom", url + "#en"])
    #expect(english.status == 0, "chromium failed: \(english.error)")
    #expect(english.output.contains("<html lang=\"en\" class=\"lang-en\">"), "the language script did not run")
    #expect(english.output.contains("<button id=\"lang\" class=\"lang\" type=\"button\">"))

    // Screenshots in both languages: a page that builds its DOM but shows nothing (a
    // style sheet hiding everything, say) gives a nearly uniform, tiny PNG.
    for (suffix, language) in [("", "fr"), ("#en", "en")] {
      let screenshot = NSTemporaryDirectory() + "impact-report-\(UUID().uuidString).png"
      defer { try? FileManager.default.removeItem(atPath: screenshot) }
      let shot = try Self.launch(
        chromium,
        common + ["--hide-scrollbars", "--screenshot=" + screenshot, "--window-size=1280,2000", url + suffix])
      #expect(shot.status == 0, "chromium failed: \(shot.error)")
      let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot written")
      #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "the screenshot is not a PNG")
      #expect(png.count > 50_000, "the \(language) screenshot is nearly empty: \(png.count) bytes")
      // IMPACT_REPORT_SCREENSHOT=/path/shot keeps /path/shot-fr.png and /path/shot-en.png to look at.
      if let keep = ProcessInfo.processInfo.environment["IMPACT_REPORT_SCREENSHOT"] {
        let path = keep + "-" + language + ".png"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: screenshot, toPath: path)
      }
    }
  }

  /// The Chromium binary: `$CHROMIUM`, else the first found on the usual paths.
  static func chromium() -> String? {
    let candidates =
      [ProcessInfo.processInfo.environment["CHROMIUM"]].compactMap { $0 } + [
        "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable",
      ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Runs a program; kills it after `timeout` seconds, which counts as a failure.
  static func launch(_ program: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> (
    status: Int32, output: String, error: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
    let errorData = ErrorCollector(error.fileHandleForReading)
    let out = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), errorData.text())
  }

  /// Standard error read on another thread, so that neither pipe fills while the other
  /// is drained.
  final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
      DispatchQueue.global().async {
        self.data = handle.readDataToEndOfFile()
        self.done.signal()
      }
    }

    func text() -> String {
      done.wait()
      return String(decoding: data, as: UTF8.self)
    }
  }

  static func count(_ needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
  }

  /// How the page starts a count of at most 999,999: as is below 1,000, else grouped
  /// in French first.
  static func shown(_ value: Int) -> String {
    value < 1000
      ? "\(value)</div>"
      : "<span class=\"fr\" lang=\"fr\">\(value / 1000)\u{202F}\(String(format: "%03d", value % 1000))</span>"
  }
}

/// The escaping the report applies, restated for the assertions.
enum HTMLEscaping {
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
      .replacingOccurrences(of: "'", with: "&#39;")
  }
}
