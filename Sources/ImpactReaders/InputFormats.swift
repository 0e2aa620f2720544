/// The registered input formats. Adding a format is one line here.
public enum InputFormats {
  public static let all: [any InputFormat] = [
    CSVFormat(),
    XMLFormat(),
  ]

  /// The format for a file: by extension first, then by its first bytes; nil when none
  /// claims it.
  public static func format(forPath path: String, prefix: UnsafeRawBufferPointer) -> (any InputFormat)? {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    if let dot = name.lastIndex(of: ".") {
      let ext = name[name.index(after: dot)...].lowercased()
      if let format = all.first(where: { $0.fileExtensions.contains(ext) }) { return format }
    }
    return all.first { $0.recognizes(prefix: prefix) }
  }

  /// Whether a file name has an extension some format claims.
  public static func claims(fileName: String) -> Bool {
    guard let dot = fileName.lastIndex(of: ".") else { return false }
    let ext = fileName[fileName.index(after: dot)...].lowercased()
    return all.contains { $0.fileExtensions.contains(ext) }
  }
}
