/// A région (INSEE code and name).
public struct Region: Sendable, Equatable {
  public let code: String
  public let name: String
}

/// A département (INSEE code, name and the code of its région).
public struct Departement: Sendable, Equatable {
  public let code: String
  public let name: String
  public let regionCode: String
}

/// The départements and régions territories roll up to.
///
/// Départements are addressed by a small index (`DepartementIndex`) so that observations
/// carry two bytes, not a string; the index `national` stands for `FR`.
public struct TerritoryTable: Sendable {
  public let regions: [Region]
  public let departements: [Departement]
  /// For each département index, the index of its région in `regions`.
  public let regionOfDepartement: [Int]
  /// Département index by numeric code 1...99 (metropolitan), or -1.
  private let byNumber: [Int16]
  private let corsicaA: Int16
  private let corsicaB: Int16
  /// Département index by overseas code 971...979, offset by 971, or -1.
  private let overseas: [Int16]

  public init(regions: [Region], departements: [Departement]) {
    self.regions = regions
    self.departements = departements
    regionOfDepartement = departements.map { dep in
      regions.firstIndex { $0.code == dep.regionCode } ?? -1
    }
    var byNumber = [Int16](repeating: -1, count: 100)
    var overseas = [Int16](repeating: -1, count: 9)
    var corsicaA: Int16 = -1
    var corsicaB: Int16 = -1
    for (index, dep) in departements.enumerated() {
      if dep.code == "2A" {
        corsicaA = Int16(index)
      } else if dep.code == "2B" {
        corsicaB = Int16(index)
      } else if let number = Int(dep.code) {
        if number < 100 {
          byNumber[number] = Int16(index)
        } else if (971...979).contains(number) {
          overseas[number - 971] = Int16(index)
        }
      }
    }
    self.byNumber = byNumber
    self.overseas = overseas
    self.corsicaA = corsicaA
    self.corsicaB = corsicaB
  }

  /// The index that stands for national (`FR`) observations.
  public var national: Int16 { Int16(departements.count) }

  /// The département code for an index (`FR` for `national`).
  public func departementCode(_ index: Int16) -> String {
    index == national ? "FR" : departements[Int(index)].code
  }

  /// The région code for a département index (`FR` for `national`).
  public func regionCode(_ index: Int16) -> String {
    index == national ? "FR" : regions[regionOfDepartement[Int(index)]].code
  }

  /// The région index for a département index (`regions.count` for national).
  public func regionIndex(_ index: Int16) -> Int {
    index == national ? regions.count : regionOfDepartement[Int(index)]
  }

  /// The région code for a région index (`FR` for `regions.count`).
  public func regionCode(regionIndex: Int) -> String {
    regionIndex == regions.count ? "FR" : regions[regionIndex].code
  }

  /// The index of a metropolitan département by its two-character code, or -1.
  func metropolitan(_ first: UInt8, _ second: UInt8) -> Int16 {
    if first == UInt8(ascii: "2") && (second == UInt8(ascii: "A") || second == UInt8(ascii: "a")) {
      return corsicaA
    }
    if first == UInt8(ascii: "2") && (second == UInt8(ascii: "B") || second == UInt8(ascii: "b")) {
      return corsicaB
    }
    guard isDigit(first), isDigit(second) else { return -1 }
    return byNumber[Int(first - 48) * 10 + Int(second - 48)]
  }

  /// The index of an overseas département by its three digits (`97x`), or -1.
  func overseas(_ third: UInt8) -> Int16 {
    guard isDigit(third), third != UInt8(ascii: "0") else { return -1 }
    return overseas[Int(third - 49)]
  }
}

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
