import Foundation
import HTTPTypes
import Hummingbird
import ImpactModel
import ImpactPipeline
import ImpactReports

#if canImport(Glibc)
  import Glibc
#endif

/// Where partners' uploads land, one folder per partner, for the next scheduled run.
///
/// An upload is written under `.incoming/` and renamed into place only once complete and
/// on disk, so a cut-off upload leaves nothing in the inbox; a stored file is never
/// overwritten.
public struct SubmissionInbox: Sendable {
  public let folder: String
  public let maxBytes: Int
  public let runner: PipelineRunner

  public init(folder: String, maxBytes: Int, runner: PipelineRunner) throws {
    self.folder = folder
    self.maxBytes = maxBytes
    self.runner = runner
    do {
      try FileManager.default.createDirectory(atPath: folder + "/.incoming", withIntermediateDirectories: true)
    } catch {
      throw ServerError(message: "cannot create the inbox \(folder): \(error)")
    }
  }

  /// Accepted extensions.
  static let extensions = ["csv", "tsv", "txt", "xml"]

  /// A file name reduced to letters, digits, `.`, `-` and `_`, without leading dots.
  static func safeName(_ name: String) -> String? {
    let base = (name as NSString).lastPathComponent
    var safe = String(
      base.unicodeScalars.map { scalar -> Character in
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
          ? Character(scalar) : "_"
      })
    while safe.hasPrefix(".") { safe.removeFirst() }
    safe = String(safe.suffix(100))
    let ext = (safe as NSString).pathExtension.lowercased()
    guard !safe.isEmpty, extensions.contains(ext) else { return nil }
    return safe
  }

  /// Stores an upload for `partner` and validates it; the JSON answer says what a run will
  /// make of it.
  func receive(_ request: Request, partner: String) async throws -> Response {
    guard
      let requested = request.uri.queryParameters["filename"].map(String.init)
        ?? request.headers[HTTPField.Name("X-Filename")!],
      let name = Self.safeName(requested)
    else {
      return Self.answer(.badRequest, ["error": "name the file with ?filename=NAME.csv (or .xml): CSV or XML only"])
    }
    if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
      return Self.answer(.contentTooLarge, ["error": "the file is larger than \(maxBytes) bytes"])
    }
    let partial = folder + "/.incoming/" + UUID().uuidString + ".part"
    let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw HTTPError(.internalServerError, message: "cannot write to the inbox") }
    var closed = false
    defer {
      if !closed { _ = close(descriptor) }
    }
    var received = 0
    var head: [UInt8] = []
    do {
      for try await buffer in request.body {
        received += buffer.readableBytes
        if received > maxBytes {
          unlink(partial)
          return Self.answer(.contentTooLarge, ["error": "the file is larger than \(maxBytes) bytes"])
        }
        try buffer.withUnsafeReadableBytes { bytes in
          if head.count < 512 { head += bytes.prefix(512 - head.count) }
          var offset = 0
          while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
              if errno == EINTR { continue }
              throw HTTPError(
                .init(code: 507, reasonPhrase: "Insufficient Storage"), message: "the inbox cannot take the file")
            }
            offset += written
          }
        }
      }
    } catch {
      // Cut off, or the disk is full: nothing stays.
      unlink(partial)
      throw error
    }
    guard received > 0 else {
      unlink(partial)
      return Self.answer(.badRequest, ["error": "the upload is empty"])
    }
    if let problem = Self.contentProblem(head: head, name: name) {
      unlink(partial)
      return Self.answer(.unsupportedMediaType, ["error": problem])
    }
    fsync(descriptor)
    _ = close(descriptor)
    closed = true
    let destination = try place(partial, partner: partner, name: name)
    return validation(of: destination, partner: partner, bytes: received)
  }

  /// CSV is text, XML starts with `<`: anything else is refused before it is stored.
  static func contentProblem(head: [UInt8], name: String) -> String? {
    let isXML = (name as NSString).pathExtension.lowercased() == "xml"
    var bytes = head[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    if isXML {
      let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
      return first == UInt8(ascii: "<") ? nil : "an .xml file must hold XML"
    }
    return bytes.contains(0) ? "a CSV file is text: this one holds binary data (a spreadsheet? save it as CSV)" : nil
  }

  /// Moves the finished upload to `partner/<upload folder>/<name>` (see `UploadFolder`),
  /// never over another file.
  private func place(_ partial: String, partner: String, name: String) throws -> String {
    let partnerFolder = folder + "/" + partner
    try FileManager.default.createDirectory(atPath: partnerFolder, withIntermediateDirectories: true)
    let arrived = Date()
    for sequence in 0..<1000 {
      let upload = partnerFolder + "/" + UploadFolder.name(arrivedAt: arrived, sequence: sequence)
      // mkdir(2) fails when the folder exists: no upload replaces another.
      guard mkdir(upload, 0o755) == 0 else {
        if errno == EEXIST { continue }
        break
      }
      let candidate = upload + "/" + name
      if link(partial, candidate) == 0 {
        unlink(partial)
        return candidate
      }
      rmdir(upload)
      break
    }
    unlink(partial)
    throw HTTPError(.internalServerError, message: "cannot store the file in the inbox")
  }

  private func validation(of path: String, partner: String, bytes: Int) -> Response {
    var rejects: [JSONValue] = []
    var otherPartners: Set<String> = []
    let result: IngestionResult
    do {
      result = try runner.validate(file: path) { event in
        if !event.partner.isEmpty && event.partner != partner { otherPartners.insert(event.partner) }
        if rejects.count < 1000 {
          rejects.append(
            .object([
              ("line", .integer(event.line)), ("reason", .string(event.reason.code)), ("field", .string(event.field)),
              ("value", .string(event.value)), ("message", .string(event.message)),
              ("hint_fr", .string(event.reason.hintFrench)), ("hint_en", .string(event.reason.hintEnglish)),
            ]))
        }
      }
    } catch {
      return Self.answer(.internalServerError, ["error": "the file was stored but could not be validated: \(error)"])
    }
    let input = result.inputs.first
    for record in result.ledger.records {
      let id = result.ledger.partners.string(of: record.partner)
      if id != partner { otherPartners.insert(id) }
    }
    var members: [(String, JSONValue)] = [
      ("stored_as", .string(String(path.dropFirst(folder.count + partner.count + 2)))), ("partner", .string(partner)),
      ("bytes", .integer(bytes)), ("format", .string(input?.format ?? "")),
      ("source", input?.source.map { .string($0) } ?? .null),
      ("read", .integer(result.counts.read)), ("accepted", .integer(result.counts.accepted)),
      ("rejected", .integer(result.counts.rejected)), ("superseded", .integer(result.counts.superseded)),
    ]
    if let problem = input?.problem {
      members.append(
        ("malformed", .object([("message", .string(problem)), ("line", .integer(input?.problemLine ?? 0))])))
    }
    if !otherPartners.isEmpty {
      members.append(
        (
          "warning",
          .string("the file speaks for other partners too: \(otherPartners.sorted().joined(separator: ", "))")
        ))
    }
    members.append(("rejects", .array(rejects)))
    return Response(
      status: .created, headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(members).serialized())))
  }

  static func answer(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
    let json = JSONValue.object(fields.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    return Response(
      status: status, headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: json.serialized())))
  }
}
