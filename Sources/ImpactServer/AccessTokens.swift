import Foundation

/// Who a request speaks for.
public enum AccessScope: Sendable, Equatable {
  /// Everything: the group's delegates, the operators.
  case all
  /// One partner: the aggregates, and only its own records and rejects.
  case partner(String)
}

/// The bearer tokens a server accepts, read from a file: one `TOKEN SCOPE` per line,
/// `SCOPE` being `*` or a partner id; blank lines and `#` comments are skipped.
public struct AccessTokens: Sendable {
  private let scopes: [String: AccessScope]

  public init(path: String) throws {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw ServerError(message: "cannot read the tokens file \(path)")
    }
    var scopes: [String: AccessScope] = [:]
    var problems: [String] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard parts.count == 2, parts[0].count >= 16 else {
        problems.append("\(path):\(index + 1): write TOKEN SCOPE, with a token of at least 16 characters")
        continue
      }
      let scope = parts[1]
      guard scope == "*" || scope.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
        problems.append("\(path):\(index + 1): the scope is * or a partner id, not '\(scope)'")
        continue
      }
      if scopes[parts[0]] != nil { problems.append("\(path):\(index + 1): this token is listed twice") }
      scopes[parts[0]] = scope == "*" ? .all : .partner(scope)
    }
    guard problems.isEmpty else { throw ServerError(message: problems.joined(separator: "\n")) }
    guard !scopes.isEmpty else { throw ServerError(message: "the tokens file \(path) lists no token") }
    self.scopes = scopes
  }

  /// The scope of an `Authorization` header value, or nil when it grants nothing.
  public func scope(forAuthorization header: String?) -> AccessScope? {
    guard let header, header.lowercased().hasPrefix("bearer ") else { return nil }
    let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    // Compare every token in constant time, so that timing tells nothing.
    var found: AccessScope?
    for (candidate, scope) in scopes where Self.constantTimeEquals(candidate, token) { found = scope }
    return found
  }

  static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let left = Array(a.utf8)
    let right = Array(b.utf8)
    var difference = UInt8(left.count == right.count ? 0 : 1)
    for index in 0..<max(left.count, right.count) {
      difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
    }
    return difference == 0
  }
}
