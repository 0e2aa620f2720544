import Foundation
import HTTPTypes
import Hummingbird

#if canImport(Glibc)
  import Glibc
#endif

/// A file of a run sent to a client: content type and charset, a download name, a
/// validator (`ETag`, answered with 304), byte ranges, gzip when the client accepts it,
/// and the row transforms (partner filter, French Excel dialect).
struct FileDownload {
  let path: String
  let mediaType: String
  /// The name a browser saves the file under.
  let downloadName: String
  /// Rows kept and how they are written; nil sends the bytes as they are.
  let transform: CSVRowStream.Options?
  /// Distinguishes the variants of one file in its `ETag`.
  let variant: String

  func response(to request: Request) throws -> Response {
    var info = stat()
    guard stat(path, &info) == 0 else { throw HTTPError(.notFound) }
    let size = Int(info.st_size)
    let tag =
      "\"" + String(UInt64(info.st_ino), radix: 16) + "-" + String(size, radix: 16) + "-"
      + String(Int(info.st_mtim.tv_sec), radix: 16) + "." + String(Int(info.st_mtim.tv_nsec), radix: 16)
      + (variant.isEmpty ? "" : "-" + variant) + "\""
    var headers = HTTPFields()
    headers[.contentType] = mediaType
    headers[.eTag] = tag
    headers[.cacheControl] = "no-cache"
    headers[.vary] = "Accept-Encoding"
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    let inline = mediaType.hasPrefix("text/html")
    headers[.contentDisposition] = (inline ? "inline" : "attachment") + "; filename=\"\(downloadName)\""
    if inline {
      headers[.contentSecurityPolicy] =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    }
    if let condition = request.headers[.ifNoneMatch], Self.matches(condition, tag) {
      return Response(status: .notModified, headers: headers)
    }
    let raw = transform == nil
    if raw { headers[.acceptRanges] = "bytes" }
    // A single byte range of the file as stored; other requests get the whole file.
    // Several ranges are answered with the whole file, as HTTP allows.
    if raw, let header = request.headers[.range], !header.contains(",") {
      guard let range = Self.byteRange(header, size: size) else {
        headers[.contentRange] = "bytes */\(size)"
        return Response(status: .rangeNotSatisfiable, headers: headers)
      }
      headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
      headers[.contentLength] = String(range.count)
      return Response(status: .partialContent, headers: headers, body: body(range: range, gzip: false))
    }
    let gzip = Self.acceptsGzip(request.headers[.acceptEncoding])
    if gzip {
      // Another representation, so another validator.
      headers[.eTag] = String(tag.dropLast()) + "-gz\""
      headers[.contentEncoding] = "gzip"
    } else if raw {
      headers[.contentLength] = String(size)
    }
    return Response(status: .ok, headers: headers, body: body(range: 0..<size, gzip: gzip))
  }

  private func body(range: Range<Int>, gzip: Bool) -> ResponseBody {
    let path = self.path
    let transform = self.transform
    return ResponseBody { writer in
      guard let handle = FileHandle(forReadingAtPath: path) else { throw HTTPError(.notFound) }
      defer { try? handle.close() }
      try handle.seek(toOffset: UInt64(range.lowerBound))
      var remaining = range.count
      var rows = transform.map { CSVRowStream(options: $0) }
      let compressor = gzip ? try GzipStream() : nil
      if transform?.excelFrench == true {
        // A byte order mark, so that Excel reads the file as UTF-8.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        try await writer.write(ByteBuffer(bytes: compressor.map { bom.withUnsafeBytes($0.compressNoFinish) } ?? bom))
      }
      while remaining > 0 {
        let data = handle.readData(ofLength: min(remaining, 256 * 1024))
        if data.isEmpty { break }
        remaining -= data.count
        var chunk = [UInt8](data)
        if rows != nil {
          var output: [UInt8] = []
          chunk.withUnsafeBytes { rows!.feed($0, into: &output) }
          if remaining == 0 { rows!.finish(into: &output) }
          chunk = output
        }
        if let compressor { chunk = chunk.withUnsafeBytes { compressor.compress($0, last: false) } }
        if !chunk.isEmpty { try await writer.write(ByteBuffer(bytes: chunk)) }
      }
      if let compressor {
        let tail = compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), last: true)
        try await writer.write(ByteBuffer(bytes: tail))
      }
      try await writer.finish(nil)
    }
  }

  /// Whether an `If-None-Match` value names `tag` (weak comparison, as RFC 9110 asks).
  static func matches(_ condition: String, _ tag: String) -> Bool {
    if condition.trimmingCharacters(in: .whitespaces) == "*" { return true }
    let strong = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    return condition.split(separator: ",").contains { candidate in
      var value = candidate.trimmingCharacters(in: .whitespaces)
      if value.hasPrefix("W/") { value.removeFirst(2) }
      return value == strong
    }
  }

  /// The range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; nil when it cannot be satisfied.
  static func byteRange(_ header: String, size: Int) -> Range<Int>? {
    guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
    let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
    let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 else { return nil }
    if parts[0].isEmpty {
      guard let suffix = Int(parts[1]), suffix > 0, size > 0 else { return nil }
      return max(0, size - suffix)..<size
    }
    guard let start = Int(parts[0]), start >= 0, start < size else { return nil }
    if parts[1].isEmpty { return start..<size }
    guard let end = Int(parts[1]), end >= start else { return nil }
    return start..<min(end + 1, size)
  }

  /// Whether `Accept-Encoding` allows gzip (not with `q=0`).
  static func acceptsGzip(_ header: String?) -> Bool {
    guard let header else { return false }
    return header.lowercased().split(separator: ",").contains { item in
      let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.first == "gzip" || parts.first == "*" else { return false }
      return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" || $0 == "q=0.0" }
    }
  }
}

extension GzipStream {
  /// Compresses without ending the stream.
  func compressNoFinish(_ input: UnsafeRawBufferPointer) -> [UInt8] { compress(input, last: false) }
}
