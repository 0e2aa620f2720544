import Foundation
import HTTPTypes
import Hummingbird
import ImpactReports

/// The read-only HTTP server over an output folder, and the partner upload endpoint.
///
/// Routes: `/` lists the runs, `/api/runs` the same as JSON, `/runs/<id>/` shows a run's
/// report, `/runs/<id>/<file>` downloads one of its files, `/latest/...` is the newest
/// complete run, `/healthz` answers, `POST /submissions` takes a partner's file.
public struct ReportServer: Sendable {
  public let archive: RunArchive
  public let tokens: AccessTokens?
  public let inbox: SubmissionInbox?

  public init(archive: RunArchive, tokens: AccessTokens?, inbox: SubmissionInbox?) {
    self.archive = archive
    self.tokens = tokens
    self.inbox = inbox
  }

  /// The router with every route, for the application or for in-process tests.
  public func router() -> Router<ImpactRequestContext> {
    let router = Router(context: ImpactRequestContext.self, options: .autoGenerateHeadEndpoints)
    if let tokens { router.add(middleware: TokenMiddleware(tokens: tokens)) }
    let server = self
    router.get("healthz") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    router.get("/") { _, _ in server.index() }
    router.get("api/runs") { _, _ in server.runsJSON() }
    router.get("runs/:run") { _, context in try server.runPage(context.parameters.get("run") ?? "", context) }
    router.get("runs/:run/:file") { request, context in
      try server.download(context.parameters.get("run") ?? "", context.parameters.get("file") ?? "", request, context)
    }
    router.get("latest") { _, context in
      guard let run = server.archive.latestRunID() else { throw HTTPError(.notFound, message: "no published run yet") }
      return try server.runPage(run, context)
    }
    router.get("latest/:file") { request, context in
      guard let run = server.archive.latestRunID() else { throw HTTPError(.notFound, message: "no published run yet") }
      return try server.download(run, context.parameters.get("file") ?? "", request, context)
    }
    router.post("submissions") { request, context in
      guard let inbox = server.inbox else { throw HTTPError(.notFound, message: "uploads are not enabled") }
      guard case .partner(let partner) = context.scope, server.tokens != nil else {
        throw HTTPError(.forbidden, message: "uploads need a partner's token")
      }
      return try await inbox.receive(request, partner: partner)
    }
    return router
  }

  /// Runs the server until SIGINT or SIGTERM.
  public func run(host: String, port: Int) async throws {
    let application = Application(
      router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "impact"))
    try await application.runService()
  }

  // MARK: - Pages and downloads

  private func index() -> Response {
    let runs = archive.runs()
    var rows = ""
    for run in runs {
      let counts = ["read", "accepted", "rejected", "superseded"].map { "<td class=n>\(run.counts[$0] ?? 0)</td>" }
      rows +=
        "<tr><td><a href=\"/runs/\(escape(run.id))/\">\(escape(run.id))</a></td><td>\(escape(run.startedAt))</td>"
        + counts.joined() + "</tr>\n"
    }
    let latest =
      archive.latestRunID().map { "<p>Dernier run / latest: <a href=\"/latest/\">\(escape($0))</a></p>" } ?? ""
    let html = """
      <!doctype html><html lang=fr><meta charset=utf-8><title>impact: runs</title>
      <style>body{font:15px system-ui,sans-serif;margin:2rem;color:#1d2733}table{border-collapse:collapse}
      td,th{padding:.35rem .8rem;border-bottom:1px solid #dde3ea;text-align:left}.n{text-align:right;font-variant-numeric:tabular-nums}</style>
      <h1>Runs</h1>\(latest)
      <table><thead><tr><th>run</th><th>début / started</th><th class=n>lus / read</th><th class=n>acceptés / accepted</th>
      <th class=n>rejetés / rejected</th><th class=n>remplacés / superseded</th></tr></thead><tbody>
      \(rows)</tbody></table></html>
      """
    return Response(
      status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: html)))
  }

  private func runsJSON() -> Response {
    let runs = archive.runs().map { run -> JSONValue in
      .object([
        ("id", .string(run.id)), ("started_at", .string(run.startedAt)), ("url", .string("/runs/\(run.id)/")),
        (
          "counts",
          .object(["read", "accepted", "rejected", "superseded"].map { ($0, .integer(run.counts[$0] ?? 0)) })
        ),
      ])
    }
    let json = JSONValue.object([
      ("latest", archive.latestRunID().map { .string($0) } ?? .null), ("runs", .array(runs)),
    ])
    return Response(
      status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: json.serialized())))
  }

  private func runPage(_ run: String, _ context: ImpactRequestContext) throws -> Response {
    guard archive.file(run: run, name: "summary.json") != nil else { throw HTTPError(.notFound) }
    if context.scope == .all, archive.file(run: run, name: "report.html") != nil {
      let download = FileDownload(
        path: archive.file(run: run, name: "report.html")!, mediaType: RunArchive.servedFiles["report.html"]!,
        downloadName: "impact-\(run)-report.html", transform: nil, variant: "")
      return try download.response(to: Request.emptyGet)
    }
    let links = RunArchive.servedFiles.keys.sorted().filter { archive.file(run: run, name: $0) != nil }
      .filter { allowed($0, context.scope) }
      .map { "<li><a href=\"/runs/\(escape(run))/\($0)\">\($0)</a></li>" }.joined()
    let html =
      "<!doctype html><meta charset=utf-8><title>\(escape(run))</title><h1>\(escape(run))</h1><ul>\(links)</ul>"
    return Response(
      status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: html)))
  }

  /// The files a partner's token sees filtered on their `partner_id` column, and whether
  /// rows without a partner are kept.
  private static let partnerFiltered: [String: (columns: [String], orEmpty: Bool)] = [
    "records.csv": (RecordsCSVReport.columns, false), "rejects.csv": (RejectsCSVWriter.columns, false),
    "aggregates.csv": (AggregatesCSVReport.columns, true),
  ]

  /// What a scope may download: a partner sees the aggregates (the rows of other partners
  /// left out) and its own rows.
  private func allowed(_ name: String, _ scope: AccessScope) -> Bool {
    switch scope {
    case .all: true
    case .partner: ["aggregates.csv", "trends.csv", "rejects.csv", "records.csv"].contains(name)
    }
  }

  private func download(_ run: String, _ name: String, _ request: Request, _ context: ImpactRequestContext) throws
    -> Response
  {
    guard let path = archive.file(run: run, name: name), let mediaType = RunArchive.servedFiles[name] else {
      throw HTTPError(.notFound)
    }
    guard allowed(name, context.scope) else {
      throw HTTPError(.forbidden, message: "this token sees the aggregates and its own rows only")
    }
    var transform: CSVRowStream.Options?
    var variant = ""
    if name.hasSuffix(".csv") {
      var options = CSVRowStream.Options()
      if let dialect = request.uri.queryParameters["dialect"] {
        guard dialect == "excel-fr" else { throw HTTPError(.badRequest, message: "the only dialect is excel-fr") }
        options.excelFrench = true
        variant += "excel-fr"
      }
      // A partner sees its own rows, and of the aggregates those of no partner or its own.
      if case .partner(let partner) = context.scope, let (columns, orEmpty) = Self.partnerFiltered[name],
        let column = columns.firstIndex(of: "partner_id")
      {
        options.keepColumn = (column, Array(partner.utf8), orEmpty)
        variant += "p-" + partner
      }
      if options.excelFrench || options.keepColumn != nil { transform = options }
    }
    let stem = (name as NSString).deletingPathExtension
    let suffix = transform?.excelFrench == true ? "-excel-fr" : ""
    let download = FileDownload(
      path: path, mediaType: mediaType,
      downloadName: "impact-\(run)-\(stem)\(suffix).\((name as NSString).pathExtension)",
      transform: transform, variant: variant)
    return try download.response(to: request)
  }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}

extension Request {
  /// A bare GET, for serving a file with no conditions attached.
  static var emptyGet: Request {
    Request(
      head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/"), body: RequestBody(buffer: ByteBuffer()))
  }
}
