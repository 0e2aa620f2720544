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

  /// Appends the amount as `format(micros:)` writes it.
  public func appendText(to bytes: inout [UInt8]) { Quantity.append(micros: Int128(micros), to: &bytes) }

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

  /// Appends a micro-unit amount as plain decimal text to `bytes`, in 64-bit arithmetic
  /// when its magnitude fits (an `Int128` division a digit cost more than the rest of a
  /// rejected row's text).
  public static func append(micros: Int128, to bytes: inout [UInt8]) {
    if micros < 0 { bytes.append(UInt8(ascii: "-")) }
    let magnitude = micros.magnitude
    let fraction: UInt64
    if let small = UInt64(exactly: magnitude) {
      appendDigits(small / UInt64(scale), to: &bytes)
      fraction = small % UInt64(scale)
    } else {
      appendDigits(magnitude / UInt128(scale), to: &bytes)
      fraction = UInt64(magnitude % UInt128(scale))
    }
    guard fraction != 0 else { return }
    var rest = fraction
    var places = 6
    while rest % 10 == 0 {
      rest /= 10
      places -= 1
    }
    bytes.append(UInt8(ascii: "."))
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: places))
    for position in stride(from: start + places - 1, through: start, by: -1) {
      bytes[position] = UInt8(ascii: "0") + UInt8(rest % 10)
      rest /= 10
    }
  }

  /// Appends the decimal digits of `value`.
  private static func appendDigits<Integer: FixedWidthInteger & UnsignedInteger>(
    _ value: Integer, to bytes: inout [UInt8]
  ) {
    let start = bytes.count
    var rest = value
    repeat {
      bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    bytes[start...].reverse()
  }
}
