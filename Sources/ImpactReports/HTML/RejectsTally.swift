import ImpactModel

/// The rows of a run's `rejects.csv`, counted by reason and by partner.
///
/// `RunResult` has the rejections by reason but not by partner, and no reject text; the
/// runner closes `rejects.csv` before the other reports, so it is read back here. Only
/// counts, the first hints of each reason and a few examples per reason are kept, so
/// memory does not grow with the rejects; past `maximumPartners` distinct partner
/// values (invalid ids each count as one), the rest are counted together.
public struct RejectsTally: Sendable {
  /// A rejected or superseded observation shown as an example of its reason.
  struct Example {
    var file = ""
    var line = ""
    var partner = ""
    var response = ""
    var indicator = ""
    var field = ""
    var value = ""
    var message = ""
  }

  /// The rows of one reason code.
  struct Reason {
    let code: String
    var count = 0
    var hintFrench = ""
    var hintEnglish = ""
    var examples: [Example] = []
  }

  /// The rows of one partner value, by reason code.
  struct Partner {
    let id: String
    /// The partners past `maximumPartners`, together.
    var isRest = false
    var rejected = 0
    var superseded = 0
    var reasons: [String: Int] = [:]

    /// The reason code with the most rows, other than `superseded`; ties go to the code
    /// listed first in `RejectReason`.
    var mainReason: String? {
      reasons.filter { $0.key != RejectReason.superseded.code }.max {
        $0.value != $1.value ? $0.value < $1.value : RejectsTally.order(of: $0.key) > RejectsTally.order(of: $1.key)
      }?.key
    }
  }

  static let maximumPartners = 5000
  static let examplesPerReason = 3
  static let columns = [
    "source_file", "source_line", "partner_id", "response_id", "indicator", "field", "value", "reason", "message",
    "hint_fr", "hint_en",
  ]

  /// Rows read, the header excluded.
  private(set) var rows = 0
  private(set) var reasons: [String: Reason] = [:]
  private(set) var partners: [String: Partner] = [:]
  /// Partners past `maximumPartners`, together.
  private(set) var otherPartners = Partner(id: "", isRest: true)
  /// Why the file could not be read, when it could not.
  private(set) var problem: String?

  /// An empty tally, fed with `add` while the run writes `rejects.csv`, which spares
  /// reading the file back.
  public init() {}

  /// Counts one reject, with the cells `rejects.csv` gets.
  public mutating func add(_ cells: RejectCells) {
    func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    count(
      code: cells.reason.code, partner: text(cells.partner), hintFrench: cells.reason.hintFrench,
      hintEnglish: cells.reason.hintEnglish,
      example: Example(
        file: text(cells.file), line: String(cells.line), partner: text(cells.partner), response: text(cells.response),
        indicator: text(cells.indicator), field: text(cells.field), value: text(cells.value),
        message: text(cells.message)))
  }

  /// Reads `path`, a `rejects.csv` with the columns of `columns` in any order.
  init(path: String) {
    var positions: [Int] = []
    do {
      try RFC4180Reader(path: path).forEachRow { fields in
        if positions.isEmpty {
          positions = Self.columns.map { name in fields.firstIndex(of: name) ?? -1 }
          if positions.contains(-1) {
            problem = "rejects.csv lacks a column of \(Self.columns.joined(separator: ","))"
          }
          return
        }
        guard problem == nil else { return }
        add(Self.columns.indices.map { positions[$0] < fields.count ? fields[positions[$0]] : "" })
      }
      if positions.isEmpty && problem == nil { problem = "rejects.csv is empty" }
    } catch {
      problem = "rejects.csv cannot be read: \(error.localizedDescription)"
    }
  }

  /// Counts one row, its cells in the order of `columns`.
  private mutating func add(_ cells: [String]) {
    count(
      code: cells[7], partner: cells[2], hintFrench: cells[9], hintEnglish: cells[10],
      example: Example(
        file: cells[0], line: cells[1], partner: cells[2], response: cells[3], indicator: cells[4], field: cells[5],
        value: cells[6], message: cells[8]))
  }

  /// Counts one row of reason `code`; `example` is made only while the reason wants
  /// examples. The tables are changed in place: a row costs a lookup in each.
  private mutating func count(
    code: String, partner id: String, hintFrench: String, hintEnglish: String, example: @autoclosure () -> Example
  ) {
    rows += 1
    func note(_ reason: inout Reason) {
      reason.count += 1
      if reason.hintFrench.isEmpty { reason.hintFrench = hintFrench }
      if reason.hintEnglish.isEmpty { reason.hintEnglish = hintEnglish }
      if reason.examples.count < Self.examplesPerReason { reason.examples.append(example()) }
    }
    if let last = lastReason, last.code == code {
      note(&reasons.values[last.index])
    } else {
      note(&reasons[code, default: Reason(code: code)])
      lastReason = (code, reasons.index(forKey: code)!)
    }
    if let last = lastPartner, last.id == id {
      Self.count(code, in: &partners.values[last.index])
    } else if let known = partners.index(forKey: id) {
      Self.count(code, in: &partners.values[known])
      lastPartner = (id, known)
    } else if partners.count >= Self.maximumPartners {
      Self.count(code, in: &otherPartners)
    } else {
      var partner = Partner(id: id)
      Self.count(code, in: &partner)
      partners[id] = partner
      // Adding a key moves the others: the index kept is the new one's.
      lastPartner = (id, partners.index(forKey: id)!)
    }
  }

  /// The reason and partner entries of the row before, found again by comparing their
  /// keys: rows come file by file and partner by partner, and a comparison spares hashing.
  private var lastReason: (code: String, index: Dictionary<String, Reason>.Index)?
  private var lastPartner: (id: String, index: Dictionary<String, Partner>.Index)?

  private static func count(_ code: String, in partner: inout Partner) {
    if code == RejectReason.superseded.code { partner.superseded += 1 } else { partner.rejected += 1 }
    partner.reasons[code, default: 0] += 1
  }

  /// The reasons, most rows first, then in the order of `RejectReason`.
  var reasonsByCount: [Reason] {
    reasons.values.sorted {
      $0.count != $1.count ? $0.count > $1.count : Self.order(of: $0.code) < Self.order(of: $1.code)
    }
  }

  /// The partners, most rejected rows first, then most superseded, then by id.
  var partnersByCount: [Partner] {
    partners.values.sorted {
      ($0.rejected, $0.superseded) != ($1.rejected, $1.superseded)
        ? ($0.rejected, $0.superseded) > ($1.rejected, $1.superseded)
        : $0.id.utf8.lexicographicallyPrecedes($1.id.utf8)
    }
  }

  /// The position of a reason code in `RejectReason`; unknown codes go last.
  static func order(of code: String) -> Int {
    RejectReason.allCases.firstIndex { $0.code == code } ?? RejectReason.allCases.count
  }
}
