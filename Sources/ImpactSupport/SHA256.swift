import CLibCrypto

/// SHA-256, fed incrementally while an input is read, computed by OpenSSL's libcrypto
/// (which uses the processor's SHA instructions where there are some).
///
/// Inputs are identified by content (`summary.json`'s `sha256`), so the digest is computed
/// on the same blocks the readers parse rather than in a second pass over the file.
public final class SHA256 {
  private let context: OpaquePointer
  private var digest: String?

  public init() {
    guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
      fatalError("libcrypto cannot start a SHA-256 digest")
    }
    self.context = context
  }

  deinit { EVP_MD_CTX_free(context) }

  /// Adds `bytes` to the message; ignored once the digest was taken.
  public func update(_ bytes: UnsafeRawBufferPointer) {
    guard digest == nil, let base = bytes.baseAddress, !bytes.isEmpty else { return }
    EVP_DigestUpdate(context, base, bytes.count)
  }

  /// Adds `bytes` to the message.
  public func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The digest of everything added, as 64 lowercase hexadecimal characters. The first
  /// call ends the message.
  public func hexDigest() -> String {
    if let digest { return digest }
    var raw = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    EVP_DigestFinal_ex(context, &raw, &length)
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in raw.prefix(Int(length)) {
      out.append(hex[Int(byte >> 4)])
      out.append(hex[Int(byte & 15)])
    }
    digest = String(decoding: out, as: UTF8.self)
    return digest!
  }
}
