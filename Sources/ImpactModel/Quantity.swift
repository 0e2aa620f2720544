/// An exact decimal amount, held as a whole number of micro-units (10⁻⁶).
///
/// Values are read from decimal text and reported as decimal text, so they are never
/// binary floating point: sums of money stay exact to the cent over any number of rows
/// and printed figures carry no `0.30000000000000004` noise. Inputs with more than six
/// decimals are rounded half to even; sums are accumulated in `Int128`.
public struct Quantity: Hashable, Comparable, Sendable, CustomStringConvertible {
  public static let scale: Int64 = 1_000_000
  public static let zero = Quantity(micros: 0)

  public var micros: Int64

  public init(micros: Int64) { self.micros = micros }

  /// `units` whole units.
  public init(units: Int64) { micros = units * Self.scale }

  public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.micros < rhs.micros }

  /// Whether the amount has no fractional part.
  public var isWhole: Bool { micros % Self.scale == 0 }

  public var description: String {
    var bytes: [UInt8] = []
    appendText(to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends the amount as `format(micros:)` writes it, in 64-bit arithmetic (an `Int128`
  /// division a digit cost more than the rest of a rejected row's text).
  public func appendText(to bytes: inout [UInt8]) {
    if micros < 0 { bytes.append(UInt8(ascii: "-")) }
    let magnitude = micros.magnitude
    var whole = magnitude / UInt64(Self.scale)
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      repeat {
        count += 1
        buffer[buffer.count - count] = UInt8(ascii: "0") + UInt8(whole % 10)
        whole /= 10
      } while whole > 0
      bytes.append(contentsOf: buffer[(buffer.count - count)...])
    }
    var fraction = magnitude % UInt64(Self.scale)
    guard fraction != 0 else { return }
    var places = 6
    while fraction % 10 == 0 {
      fraction /= 10
      places -= 1
    }
    bytes.append(UInt8(ascii: "."))
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: places))
    for position in stride(from: start + places - 1, through: start, by: -1) {
      bytes[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
      fraction /= 10
    }
  }

  /// This amount times `numerator / denominator`, rounded half to even; nil on overflow.
  public func scaled(numerator: Int64, denominator: Int64) -> Quantity? {
    if numerator == 1 && denominator == 1 { return self }
    let result = Quantity.divideRounded(Int128(micros) * Int128(numerator), by: Int128(denominator))
    guard let exact = Int64(exactly: result) else { return nil }
    return Quantity(micros: exact)
  }

  /// `dividend / divisor` rounded half to even (`divisor` > 0).
  public static func divideRounded(_ dividend: Int128, by divisor: Int128) -> Int128 {
    var quotient = dividend / divisor
    let remainder = dividend % divisor
    let twice = (remainder < 0 ? -remainder : remainder) * 2
    if twice > divisor || (twice == divisor && quotient % 2 != 0) {
      quotient += dividend < 0 ? -1 : 1
    }
    return quotient
  }

  /// A micro-unit amount as plain decimal text: no exponent, no trailing zeros.
  public static func format(micros: Int128) -> String {
    var bytes: [UInt8] = []
    append(micros: micros, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends a micro-unit amount as plain decimal text to `bytes`.
  public static func append(micros: Int128, to bytes: inout [UInt8]) {
    var magnitude = micros.magnitude
    if micros < 0 { bytes.append(UInt8(ascii: "-")) }
    let whole = magnitude / UInt128(scale)
    magnitude %= UInt128(scale)
    appendDigits(whole, to: &bytes)
    if magnitude != 0 {
      bytes.append(UInt8(ascii: "."))
      var fraction = Int(magnitude)
      var digits = 6
      while fraction % 10 == 0 {
        fraction /= 10
        digits -= 1
      }
      var divisor = 1
      for _ in 1..<digits { divisor *= 10 }
      while divisor > 0 {
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
        divisor /= 10
      }
    }
  }

  private static func appendDigits(_ value: UInt128, to bytes: inout [UInt8]) {
    if value < 10 {
      bytes.append(UInt8(ascii: "0") + UInt8(value))
      return
    }
    appendDigits(value / 10, to: &bytes)
    bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
  }
}
