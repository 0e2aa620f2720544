extension String {
  /// The text cut to at most `limit` characters, saying how long it was: what a hostile or
  /// broken file puts in a cell or a header (megabytes on one line) is quoted in messages
  /// and reports, not copied whole.
  public func shortened(to limit: Int) -> String {
    guard utf8.count > limit, count > limit else { return self }
    return String(prefix(limit)) + "… (\(count) characters)"
  }
}
