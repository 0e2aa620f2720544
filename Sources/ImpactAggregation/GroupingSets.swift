import CIntrinsics
import ImpactModel
import ImpactSupport

/// The grouping sets of `aggregates.csv`. Each includes the indicator.
public enum Grouping: String, CaseIterable, Sendable {
  case indicator
  case indicatorYear = "indicator+year"
  case indicatorRegion = "indicator+region"
  case indicatorDepartement = "indicator+departement"
  case indicatorPartner = "indicator+partner_id"
  case indicatorYearRegion = "indicator+year+region"
}

/// Count, exact sum, minimum and maximum of a set of values.
public struct Statistics: Sendable, Equatable {
  public var observations = 0
  /// In micro-units.
  public var sum: Int128 = 0
  public var minimum = Quantity(micros: .max)
  public var maximum = Quantity(micros: .min)
  /// For a stock indicator: how many series (a partner at a territory) the sum adds up;
  /// the mean is per series, not per observation.
  public var series: Int?

  public init() {}

  @inline(__always)
  public mutating func add(_ value: Quantity) {
    observations += 1
    sum += Int128(value.micros)
    if value < minimum { minimum = value }
    if value > maximum { maximum = value }
  }

  public mutating func merge(_ other: Statistics) {
    observations += other.observations
    sum += other.sum
    if other.minimum < minimum { minimum = other.minimum }
    if other.maximum > maximum { maximum = other.maximum }
  }

  /// The mean in micro-units, rounded half to even; nil without observations.
  public var meanMicros: Int128? {
    let count = series ?? observations
    return count == 0 ? nil : Quantity.divideRounded(sum, by: Int128(count))
  }
}

/// One row of `aggregates.csv`. Dimensions outside the grouping are nil.
public struct AggregateRow: Sendable {
  public let grouping: Grouping
  public let indicator: Int
  public let year: Int?
  public let departement: Int16?
  /// A région index in the territory table (`regions.count` for national).
  public let region: Int?
  public let partner: Int32?
  public let statistics: Statistics
  public let responses: Int
  public let partners: Int
}

/// Per transition: distinct partners and responses over its indicators.
public struct TransitionTotals: Sendable {
  public let transition: Transition
  public let partners: Int
  public let responses: Int
}

/// One transition's activity in one year: what its trends compare year to year.
public struct TransitionYear: Sendable, Equatable {
  public let transition: Transition
  public let year: Int
  public let responses: Int
  public let partners: Int
  public let observations: Int
}

/// Rolls accepted records up into the grouping sets.
///
/// Records first land in cells keyed by (indicator, year, département, partner); every
/// grouping set is then a roll-up of the cells, whose number depends on the spread of the
/// data, not on its size. The records are taken partner after partner, so that one
/// partner's cells sit in a small flat table (indicator × year × département) rather
/// than in a hash map of every cell, which data spread thin (two records a cell) makes
/// as large as the ledger and slow to reach.
///
/// `responses` of a group equals its observations: every grouping set includes the
/// indicator, and de-duplication leaves at most one observation per (partner, response,
/// indicator), so no response counts twice within a group. Tests check this against a
/// brute-force count.
public struct GroupingSetAggregator {
  private let ledger: Ledger
  /// This aggregator's cells, partner after partner (each partner's together).
  private var cells: [Cell] = []
  /// The cells of the parts absorbed (see `absorb`), kept as they are: each partner's
  /// cells stay together, which is all the roll-ups need.
  private var absorbedCells: [[Cell]] = []
  /// The partners that have cells, in the order their cells come (see `forEachCell`).
  private var cellPartners: [Int32] = []
  /// For stock indicators (`last`): per (indicator, year, territory, partner), the latest
  /// value by period end, then input order (the record's index in the ledger); a
  /// partner's levels sit together, partners following each other as they were added.
  private var stockLevels: [StockLevel] = []
  /// The level of each (indicator, year, territory) for the partner being added: an entry
  /// of an earlier partner is stale, and replaced (see `add`).
  private var stockSlots = UInt64IndexMap()
  private let isStock: [Bool]
  /// The parts of the partners fed (see `addAll(partners:of:)`), out of `partCount`.
  private var heldParts: Set<Int> = []
  private var partCount = 1
  /// Per transition, a bit per global response.
  private var transitionResponses: ResponseBits
  /// The transition of each indicator, as an index in `Transition.allCases`.
  private let transitionIndex: [Int]
  private let years: [Int]
  private let periodEnds: [Int]
  private let departements: [Int16]
  /// Per (transition, year) slot, a bit per global response (allocated when the slot is
  /// first used) and the observations, for the trends.
  private var transitionYearResponses: ResponseBits
  private var transitionYearObservations: [Int]

  public init(ledger: Ledger) {
    self.ledger = ledger
    transitionIndex = ledger.catalog.indicators.map { Transition.allCases.firstIndex(of: $0.transition)! }
    isStock = ledger.catalog.indicators.map { $0.aggregation == .last }
    years = ledger.periods.map(\.year)
    periodEnds = ledger.periods.map(\.endOrdinal)
    departements = ledger.territories.map(\.departement)
    transitionResponses = ResponseBits(sets: Transition.allCases.count, responses: ledger.responses.count)
    let slots = Transition.allCases.count * Period.years.count
    transitionYearResponses = ResponseBits(sets: slots, responses: ledger.responses.count)
    transitionYearObservations = Array(repeating: 0, count: slots)
  }

  /// The slot of a (transition, year) pair.
  @inline(__always)
  private func slot(transition: Int, year: Int) -> Int {
    transition * Period.years.count + (year - Period.years.lowerBound)
  }

  /// A partner's cells while its records are added: a flat table of cell indexes over
  /// (indicator, year, département), the years being those the ledger's periods use.
  private struct PartnerCells {
    let yearIndex: [Int32]
    let years: Int
    var cellOfSlot: [Int32]
    var used: [Int32] = []

    init(ledger: Ledger) {
      let distinct = Array(Set(ledger.periods.map(\.year))).sorted()
      let position = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
      yearIndex = ledger.periods.map { position[$0.year]! }
      years = max(1, distinct.count)
      cellOfSlot = [Int32](repeating: -1, count: ledger.catalog.indicators.count * years * 256)
    }

    @inline(__always)
    func slot(indicator: Int16, period: Int32, departement: Int16) -> Int {
      (Int(indicator) * years + Int(yearIndex[Int(period)])) << 8 | Int(UInt8(truncatingIfNeeded: departement))
    }

    /// Forgets the partner's cells, before the next partner's.
    mutating func clear() {
      for slot in used { cellOfSlot[Int(slot)] = -1 }
      used.removeAll(keepingCapacity: true)
    }
  }

  /// Adds one accepted record of `partner`, the ledger's record number `order`.
  @inline(__always)
  private mutating func add(_ record: LedgerRecord, order: Int, partner: Int32, into table: inout PartnerCells) {
    let year = years[Int(record.period)]
    let departement = departements[Int(record.territory)]
    let place = table.slot(indicator: record.indicator, period: record.period, departement: departement)
    var cell = table.cellOfSlot[place]
    if cell < 0 {
      cell = Int32(cells.count)
      cells.append(Cell(indicator: record.indicator, year: year, departement: departement, partner: partner))
      table.cellOfSlot[place] = cell
      table.used.append(Int32(place))
    }
    cells[Int(cell)].add(record.value)
    if isStock[Int(record.indicator)] {
      let key = StockLevel.key(indicator: record.indicator, year: year, territory: record.territory)
      let periodEnd = periodEnds[Int(record.period)]
      if let index = stockSlots.value(for: key), stockLevels[Int(index)].partner == partner {
        // An older period read later does not replace a newer level.
        if stockLevels[Int(index)].periodEnd <= periodEnd {
          stockLevels[Int(index)].periodEnd = periodEnd
          stockLevels[Int(index)].order = order
          stockLevels[Int(index)].value = record.value
        }
      } else {
        stockSlots.update(Int32(stockLevels.count), for: key)
        stockLevels.append(
          StockLevel(
            indicator: record.indicator, year: year, territory: record.territory, partner: partner,
            periodEnd: periodEnd, order: order, value: record.value))
      }
    }
  }

  /// Counts an accepted record's response in its transition and its (transition, year)
  /// slot. Done in the pass over the ledger in input order: a response's records follow
  /// each other there and responses are numbered as they first come, so the bits set
  /// follow each other too, where partner after partner they would be scattered over
  /// every set (a cache miss a record).
  @inline(__always)
  private mutating func countResponse(of record: LedgerRecord) {
    let transition = transitionIndex[Int(record.indicator)]
    let response = Int(record.response)
    transitionResponses.insert(response, into: transition)
    let pair = slot(transition: transition, year: years[Int(record.period)])
    transitionYearResponses.insert(response, into: pair)
    transitionYearObservations[pair] += 1
  }

  /// Adds every record of the ledger that was not superseded, or, with `partners: k, of:
  /// n`, those of the partners of part k when the partners are dealt into n parts of about
  /// as many records (see `partOfPartner`).
  ///
  /// Aggregators of the same ledger fed the n different parts combine with `absorb` into
  /// exactly what one aggregator fed every record makes: a cell belongs to one partner, so
  /// the parts' cells are disjoint. Each partner's records are added in input order, which
  /// the stocks' "latest" needs: a counting sort, in one pass over the ledger since the
  /// ledger keeps each partner's count.
  public mutating func addAll(partners part: Int = 0, of parts: Int = 1) {
    precondition(parts > 0 && (0..<parts).contains(part) && heldParts.isEmpty, "an aggregator is fed once")
    heldParts = [part]
    partCount = parts
    ownBitSets()
    let accepted = ledger.acceptedPerPartner
    let partnerCount = accepted.count
    let owner = Self.partOfPartner(accepted: accepted, parts: parts)
    var starts = [Int](repeating: 0, count: partnerCount + 1)
    for partner in 0..<partnerCount {
      starts[partner + 1] = starts[partner] + (owner[partner] == part ? accepted[partner] : 0)
    }
    let total = starts[partnerCount]
    var table = PartnerCells(ledger: ledger)
    ledger.records.withUnsafeBufferPointer { records in
      var next = starts
      var order = [Int32](repeating: 0, count: total)
      for index in records.indices where !records[index].superseded {
        let partner = Int(records[index].partner)
        guard owner[partner] == part else { continue }
        precondition(next[partner] < starts[partner + 1], "the ledger's count of a partner's records")
        order[next[partner]] = Int32(index)
        next[partner] += 1
        countResponse(of: records[index])
      }
      precondition((0..<partnerCount).allSatisfy { next[$0] == starts[$0 + 1] }, "the ledger's counts")
      cells.reserveCapacity(total / 2)
      // The records of a partner are spread over the ledger: each is prefetched some
      // records ahead, so that the cache misses overlap (a load each waited for was a fifth
      // of this loop's time).
      let ahead = 16
      for partner in 0..<partnerCount where starts[partner] < starts[partner + 1] {
        for position in starts[partner]..<starts[partner + 1] {
          if position + ahead < total { impact_prefetch(records.baseAddress! + Int(order[position + ahead])) }
          let index = Int(order[position])
          add(records[index], order: index, partner: Int32(partner), into: &table)
        }
        cellPartners.append(Int32(partner))
        table.clear()
      }
    }
  }

  /// The part of each partner when they are dealt into `parts` parts of about as many
  /// `accepted` records: the largest partner first, each to the part with the fewest
  /// records so far (the lowest on a tie). The same counts always give the same parts.
  public static func partOfPartner(accepted: [Int], parts: Int) -> [Int] {
    guard parts > 1 else { return Array(repeating: 0, count: accepted.count) }
    var owner = Array(repeating: 0, count: accepted.count)
    var load = Array(repeating: 0, count: parts)
    let order = accepted.indices.sorted { (accepted[$0], $1) > (accepted[$1], $0) }
    for partner in order {
      let lightest = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
      owner[partner] = lightest
      load[lightest] += accepted[partner]
    }
    return owner
  }

  /// Adds what `other`, an aggregator of the same ledger fed another part of its
  /// partners, holds. Nothing can be added after.
  public mutating func absorb(_ other: GroupingSetAggregator) {
    precondition(
      partCount == other.partCount && heldParts.isDisjoint(with: other.heldParts),
      "absorbs another part of the partners")
    heldParts.formUnion(other.heldParts)
    ownBitSets()
    absorbedCells.append(other.cells)
    absorbedCells += other.absorbedCells
    cellPartners += other.cellPartners
    stockLevels += other.stockLevels
    transitionResponses.formUnion(other.transitionResponses)
    transitionYearResponses.formUnion(other.transitionYearResponses)
    for pair in transitionYearObservations.indices {
      transitionYearObservations[pair] += other.transitionYearObservations[pair]
    }
  }

  /// Makes the bit sets this aggregator's own before they change: a copy of an aggregator
  /// shares them (they are a class, for speed), and a value must not change another.
  private mutating func ownBitSets() {
    if !isKnownUniquelyReferenced(&transitionResponses) { transitionResponses = transitionResponses.copy() }
    if !isKnownUniquelyReferenced(&transitionYearResponses) {
      transitionYearResponses = transitionYearResponses.copy()
    }
  }

  /// Per transition and year: distinct responses and partners, and observations, in
  /// `Transition.allCases` then year order.
  public func transitionYears() -> [TransitionYear] {
    let partners = distinctPartners(slots: transitionYearObservations.count) {
      slot(transition: transitionIndex[Int($0.indicator)], year: $0.year)
    }
    return transitionYearObservations.indices.filter { transitionYearObservations[$0] > 0 }.map { pair in
      TransitionYear(
        transition: Transition.allCases[pair / Period.years.count],
        year: Period.years.lowerBound + pair % Period.years.count,
        responses: transitionYearResponses.count(in: pair),
        partners: partners[pair],
        observations: transitionYearObservations[pair])
    }
  }

  /// The rows of the grouping sets `groupings`, in a stable order: grouping (in the order
  /// given), indicator (catalog order), year, région, département, partner id.
  ///
  /// Every dimension is a small dense range, so a grouping's groups sit in a flat table
  /// (see `GroupSpace`), and the cells are visited partner after partner, so a group
  /// counts its distinct partners with its last one: no hashing per cell.
  public func rows(of groupings: [Grouping] = Grouping.allCases) -> [AggregateRow] {
    let table = ledger.territoryTable
    // Ranks give the report order without comparing strings per group.
    let partnerRank = rank(count: ledger.partners.count) { ledger.partners.string(of: Int32($0)) }
    let departementRank = rank(count: table.departements.count + 1) {
      sortableDepartement(table.departementCode(Int16($0)))
    }
    let regionRank = rank(count: table.regions.count + 1) { table.regionCode(regionIndex: $0) }
    let densePartner = self.densePartner
    let space = GroupSpace(ledger: ledger, partners: cellPartners.count)
    var result: [AggregateRow] = []
    let stocksOverYears = stockLevels.isEmpty ? [] : latestStockOverYears
    // One pass over the cells rolls them up into every grouping at once: each cell is read
    // once rather than once per grouping.
    var rollups = groupings.map { Rollup(grouping: $0, slots: space.count($0)) }
    defer { for rollup in rollups { rollup.deallocate() } }
    rollups.withUnsafeMutableBufferPointer { rollups in
      forEachCell { cell, statistics in
        let partner = densePartner[Int(cell.partner)]
        for index in rollups.indices {
          let slot = space.slot(
            rollups[index].grouping, indicator: cell.indicator, year: cell.year, departement: cell.departement,
            partner: partner)
          rollups[index].add(statistics, of: cell, at: slot, space: space)
        }
      }
    }
    for rollup in rollups {
      let grouping = rollup.grouping
      var groups = rollup.groups
      let groupOfSlot = rollup.groupOfSlots
      func order(_ key: GroupKey) -> (Int, Int, Int, Int, Int) {
        (
          Int(key.indicator), key.year ?? 0, key.region.map { regionRank[$0] } ?? -1,
          key.departement.map { departementRank[Int($0)] } ?? -1, key.partner.map { partnerRank[Int($0)] } ?? -1
        )
      }
      applyStocks(
        grouping, to: &groups, space: space, densePartner: densePartner, groupOfSlot: groupOfSlot,
        overYears: stocksOverYears)
      groups.sort { order($0.key) < order($1.key) }
      for group in groups {
        result.append(
          AggregateRow(
            grouping: grouping, indicator: Int(group.key.indicator), year: group.key.year,
            departement: group.key.departement, region: group.key.region, partner: group.key.partner,
            statistics: group.statistics, responses: group.statistics.observations, partners: group.partners))
      }
    }
    return result
  }

  /// Each stock series' latest level over all years (with year 0), for the groupings
  /// without a year.
  private var latestStockOverYears: [StockLevel] {
    var series: [StockLevel] = []
    var slots = UInt64IndexMap(capacity: stockLevels.count)
    for level in stockLevels {
      var latest = level
      latest.year = 0
      let key = StockLevel.key(indicator: level.indicator, year: Period.years.lowerBound, territory: level.territory)
      // A partner's levels sit together: a slot holding another partner's is stale.
      if let index = slots.value(for: key), series[Int(index)].partner == level.partner {
        if (series[Int(index)].periodEnd, series[Int(index)].order) < (level.periodEnd, level.order) {
          series[Int(index)] = latest
        }
      } else {
        slots.update(Int32(series.count), for: key)
        series.append(latest)
      }
    }
    return series
  }

  /// For stock indicators, replaces a group's sum, mean, minimum and maximum by those of
  /// each series' latest level, a series being a partner's values at one territory.
  /// Groupings without a year take the latest level over all years.
  private func applyStocks(
    _ grouping: Grouping, to groups: inout [(key: GroupKey, statistics: Statistics, partners: Int)],
    space: GroupSpace, densePartner: [Int32], groupOfSlot: [Int32],
    overYears: [StockLevel]
  ) {
    guard !stockLevels.isEmpty else { return }
    let hasYear = grouping == .indicatorYear || grouping == .indicatorYearRegion
    var levels = [Statistics?](repeating: nil, count: groups.count)
    for latest in hasYear ? stockLevels : overYears {
      // A stock's record made a cell too: its partner has a dense index.
      guard densePartner[Int(latest.partner)] >= 0 else { continue }
      let slot = space.slot(
        grouping, indicator: latest.indicator, year: latest.year, departement: departements[Int(latest.territory)],
        partner: densePartner[Int(latest.partner)])
      let group = Int(groupOfSlot[slot])
      guard group >= 0 else { continue }
      if levels[group] == nil { levels[group] = Statistics() }
      levels[group]!.add(latest.value)
    }
    for (group, level) in levels.enumerated() {
      guard let level else { continue }
      let observations = groups[group].statistics.observations
      groups[group].statistics = level
      groups[group].statistics.observations = observations
      groups[group].statistics.series = level.observations
    }
  }

  /// The position of each of `count` ids when sorted by `name` (byte order).
  private func rank(count: Int, name: (Int) -> String) -> [Int] {
    let names = (0..<count).map(name)
    let sorted = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
    var ranks = [Int](repeating: 0, count: count)
    for (position, id) in sorted.enumerated() { ranks[id] = position }
    return ranks
  }

  /// Distinct partners and responses per transition, in `Transition.allCases` order.
  public func transitionTotals() -> [TransitionTotals] {
    let partners = distinctPartners(slots: Transition.allCases.count) { transitionIndex[Int($0.indicator)] }
    return Transition.allCases.enumerated().map { index, transition in
      let responses = transitionResponses.count(in: index)
      return TransitionTotals(transition: transition, partners: partners[index], responses: responses)
    }
  }

  /// For each of `slots` slots, the distinct partners of the cells `slotOf` puts in it.
  private func distinctPartners(slots: Int, _ slotOf: (CellKey) -> Int) -> [Int] {
    var counts = [Int](repeating: 0, count: slots)
    var lastPartner = [Int32](repeating: -1, count: slots)
    forEachCell { cell, _ in
      let slot = slotOf(cell)
      if lastPartner[slot] != cell.partner {
        lastPartner[slot] = cell.partner
        counts[slot] += 1
      }
    }
    return counts
  }

  /// Calls `body` with every cell, partner after partner: a partner's cells come together
  /// (one part adds them partner after partner, and a partner is in one part), so a
  /// roll-up counts a group's distinct partners by comparing with the last, without a sort.
  @inline(__always)
  private func forEachCell(_ body: (CellKey, Statistics) -> Void) {
    for cell in cells { body(cell.key, cell.statistics) }
    for part in absorbedCells {
      for cell in part { body(cell.key, cell.statistics) }
    }
  }

  /// For each ledger partner, its index among the partners that have cells (-1 for none):
  /// memory follows the partners with accepted observations, not every id the inputs held.
  private var densePartner: [Int32] {
    var dense = [Int32](repeating: -1, count: ledger.partners.count)
    for (index, partner) in cellPartners.enumerated() { dense[Int(partner)] = Int32(index) }
    return dense
  }

  /// A cell's dimensions.
  private typealias CellKey = (indicator: Int16, year: Int, departement: Int16, partner: Int32)

  /// A cell: its dimensions and the statistics of its values, in 48 bytes where a
  /// `CellKey` and a `Statistics` take 88 (an `Int128` sum is 16-byte aligned, years are
  /// small). There are about half as many cells as records when data are spread thin: at
  /// 2M records, 21 MB less to write and read back.
  private struct Cell {
    var sumLow: UInt64 = 0
    var sumHigh: Int64 = 0
    var minimum = Int64.max
    var maximum = Int64.min
    var observations: Int32 = 0
    let partner: Int32
    let indicator: Int16
    let year: Int16
    let departement: Int16

    init(indicator: Int16, year: Int, departement: Int16, partner: Int32) {
      self.indicator = indicator
      self.year = Int16(year)
      self.departement = departement
      self.partner = partner
    }

    @inline(__always)
    mutating func add(_ value: Quantity) {
      observations += 1
      let (low, carry) = sumLow.addingReportingOverflow(UInt64(bitPattern: value.micros))
      sumLow = low
      sumHigh &+= (value.micros < 0 ? -1 : 0) &+ (carry ? 1 : 0)
      if value.micros < minimum { minimum = value.micros }
      if value.micros > maximum { maximum = value.micros }
    }

    var key: CellKey { (indicator, Int(year), departement, partner) }

    var statistics: Statistics {
      var statistics = Statistics()
      statistics.observations = Int(observations)
      statistics.sum = Int128(sumHigh) << 64 | Int128(sumLow)
      statistics.minimum = Quantity(micros: minimum)
      statistics.maximum = Quantity(micros: maximum)
      return statistics
    }
  }

  /// A stock series' latest level in a year (or over all years, year 0).
  private struct StockLevel {
    var indicator: Int16
    var year: Int
    var territory: Int32
    var partner: Int32
    var periodEnd: Int
    var order: Int
    var value: Quantity

    /// The (indicator, year, territory) of a level in one word, the partner left out.
    @inline(__always)
    static func key(indicator: Int16, year: Int, territory: Int32) -> UInt64 {
      UInt64(UInt32(bitPattern: territory)) << 32 | UInt64(UInt16(bitPattern: indicator)) << 16
        | UInt64(UInt16(truncatingIfNeeded: year - Period.years.lowerBound))
    }
  }

  /// One grouping's groups while the cells are rolled up (see `rows(of:)`): a group per
  /// slot first met, in memory of its own, changed in place without the uniqueness checks
  /// of arrays held in an array. The owner frees it with `deallocate()`.
  private struct Rollup {
    let grouping: Grouping
    private let slots: Int
    /// The group of each slot, -1 for none yet.
    private let groupOfSlot: UnsafeMutablePointer<Int32>
    private var keys: UnsafeMutablePointer<GroupKey>
    private var statistics: UnsafeMutablePointer<Statistics>
    private var partners: UnsafeMutablePointer<Int>
    /// The partner of the last cell added to each group: the cells come partner after
    /// partner, so a group counts a partner when its last one was another.
    private var lastPartner: UnsafeMutablePointer<Int32>
    private var count = 0
    private var capacity = 64

    init(grouping: Grouping, slots: Int) {
      self.grouping = grouping
      self.slots = slots
      groupOfSlot = .allocate(capacity: max(1, slots))
      groupOfSlot.initialize(repeating: -1, count: max(1, slots))
      keys = .allocate(capacity: capacity)
      statistics = .allocate(capacity: capacity)
      partners = .allocate(capacity: capacity)
      lastPartner = .allocate(capacity: capacity)
    }

    func deallocate() {
      groupOfSlot.deallocate()
      keys.deallocate()
      statistics.deallocate()
      partners.deallocate()
      lastPartner.deallocate()
    }

    @inline(__always)
    mutating func add(_ cellStatistics: Statistics, of cell: CellKey, at slot: Int, space: GroupSpace) {
      precondition(slot >= 0 && slot < slots, "a slot of the grouping")
      var group = Int(groupOfSlot[slot])
      if group < 0 {
        if count == capacity { grow() }
        group = count
        count += 1
        groupOfSlot[slot] = Int32(group)
        (keys + group).initialize(
          to: space.key(
            grouping, indicator: cell.indicator, year: cell.year, departement: cell.departement, partner: cell.partner)
        )
        (statistics + group).initialize(to: Statistics())
        (partners + group).initialize(to: 0)
        (lastPartner + group).initialize(to: -1)
      }
      statistics[group].merge(cellStatistics)
      if lastPartner[group] != cell.partner {
        lastPartner[group] = cell.partner
        partners[group] += 1
      }
    }

    private mutating func grow() {
      capacity *= 2
      func moved<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
        let new = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        new.moveInitialize(from: old, count: count)
        old.deallocate()
        return new
      }
      keys = moved(keys)
      statistics = moved(statistics)
      partners = moved(partners)
      lastPartner = moved(lastPartner)
    }

    /// The groups, in the order their slots were first met.
    var groups: [(key: GroupKey, statistics: Statistics, partners: Int)] {
      (0..<count).map { (keys[$0], statistics[$0], partners[$0]) }
    }

    /// The group of each slot, -1 for none.
    var groupOfSlots: [Int32] { Array(UnsafeBufferPointer(start: groupOfSlot, count: slots)) }
  }

  /// The groups a grouping can have, as one flat range of slots: indicator × year ×
  /// région or département or partner, each dimension a dense index.
  private struct GroupSpace {
    let indicators: Int
    let years = Period.years.count
    let regions: Int
    /// Département indexes fit a byte (see `PartnerCells`).
    let departements = 256
    /// The partners that have cells, numbered densely (see `densePartner`).
    let partners: Int
    /// The région of each département index.
    let regionOf: [Int]

    init(ledger: Ledger, partners: Int) {
      let table = ledger.territoryTable
      indicators = ledger.catalog.indicators.count
      regions = table.regions.count + 1
      self.partners = max(1, partners)
      regionOf = (0..<256).map { $0 <= table.departements.count ? table.regionIndex(Int16($0)) : 0 }
    }

    func count(_ grouping: Grouping) -> Int {
      switch grouping {
      case .indicator: indicators
      case .indicatorYear: indicators * years
      case .indicatorRegion: indicators * regions
      case .indicatorDepartement: indicators * departements
      case .indicatorPartner: indicators * partners
      case .indicatorYearRegion: indicators * years * regions
      }
    }

    /// The slot of a group; `year` matters only to the groupings that have one.
    @inline(__always)
    func slot(_ grouping: Grouping, indicator: Int16, year: Int, departement: Int16, partner: Int32) -> Int {
      let indicator = Int(indicator)
      let place = Int(UInt8(truncatingIfNeeded: departement))
      switch grouping {
      case .indicator: return indicator
      case .indicatorYear: return indicator * years + (year - Period.years.lowerBound)
      case .indicatorRegion: return indicator * regions + regionOf[place]
      case .indicatorDepartement: return indicator * departements + place
      case .indicatorPartner: return indicator * partners + Int(partner)
      case .indicatorYearRegion:
        return (indicator * years + (year - Period.years.lowerBound)) * regions + regionOf[place]
      }
    }

    /// The dimensions of a grouping's group, the others nil.
    func key(_ grouping: Grouping, indicator: Int16, year: Int, departement: Int16, partner: Int32) -> GroupKey {
      var key = GroupKey(indicator: indicator)
      switch grouping {
      case .indicator: break
      case .indicatorYear: key.year = year
      case .indicatorRegion: key.region = regionOf[Int(UInt8(truncatingIfNeeded: departement))]
      case .indicatorDepartement: key.departement = departement
      case .indicatorPartner: key.partner = partner
      case .indicatorYearRegion:
        key.year = year
        key.region = regionOf[Int(UInt8(truncatingIfNeeded: departement))]
      }
      return key
    }
  }

  private struct GroupKey {
    var indicator: Int16
    var year: Int? = nil
    var region: Int? = nil
    var departement: Int16? = nil
    var partner: Int32? = nil
  }

  /// `2A` and `2B` sort between `19` and `21`, as INSEE lists them.
  private func sortableDepartement(_ code: String) -> String {
    code == "2A" ? "20A" : code == "2B" ? "20B" : code.count == 2 ? code + " " : code
  }
}

/// Sets of global response ids, a bit per response, each allocated when first used.
///
/// Set bit by bit for every record the aggregation adds: its words are reached through
/// plain pointers, which arrays of arrays would check for uniqueness at every bit. An
/// aggregator copies them before changing them when another holds them too.
private final class ResponseBits: @unchecked Sendable {
  private let words: Int
  private let sets: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
  private let setCount: Int

  init(sets count: Int, responses: Int) {
    words = (responses + 63) / 64
    setCount = count
    sets = UnsafeMutablePointer.allocate(capacity: count)
    sets.initialize(repeating: nil, count: count)
  }

  deinit {
    for index in 0..<setCount { sets[index]?.deallocate() }
    sets.deallocate()
  }

  /// Set `index`, allocated (empty) if it was not.
  @inline(__always)
  private func storage(of index: Int) -> UnsafeMutablePointer<UInt64> {
    if let storage = sets[index] { return storage }
    let new = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, words))
    new.initialize(repeating: 0, count: max(1, words))
    sets[index] = new
    return new
  }

  @inline(__always)
  func insert(_ response: Int, into index: Int) {
    precondition(index >= 0 && index < setCount && response >= 0 && response < words * 64, "a response of a set")
    storage(of: index)[response >> 6] |= 1 << UInt64(response & 63)
  }

  /// The responses in set `index`.
  func count(in index: Int) -> Int {
    guard let storage = sets[index] else { return 0 }
    return (0..<words).reduce(0) { $0 + storage[$1].nonzeroBitCount }
  }

  /// A new set of the same responses.
  func copy() -> ResponseBits {
    let copy = ResponseBits(sets: setCount, responses: words * 64)
    copy.formUnion(self)
    return copy
  }

  /// Adds the responses of `other`, made with as many sets and responses.
  func formUnion(_ other: ResponseBits) {
    precondition(other.setCount == setCount && other.words == words, "sets of the same responses")
    for index in 0..<setCount {
      guard let more = other.sets[index] else { continue }
      let target = storage(of: index)
      for word in 0..<words { target[word] |= more[word] }
    }
  }
}
