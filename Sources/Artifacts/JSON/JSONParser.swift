import Foundation

/// A strict RFC 8259 parser over UTF-8 bytes, producing `JSONValue`.
///
/// Stricter than `JSONSerialization` where artifacts need it: `NaN`, `Infinity` and numbers
/// that overflow a `Double` (`1e999`) are errors, and so are duplicate object keys. Errors carry
/// the field path being parsed, so a message can say `bbox[2]` rather than a column alone.
struct JSONParser {
  /// Deeper nesting than this is refused rather than risking the stack.
  static let maximumDepth = 256

  private let bytes: UnsafeBufferPointer<UInt8>
  private var position = 0
  private var depth = 0
  /// Members of the top-level object whose values are skipped, checked for structure only
  /// (strings closed, brackets balanced) and left out of the result.
  private let skipping: Set<String>

  init(_ bytes: UnsafeBufferPointer<UInt8>, skipping: Set<String> = []) {
    self.bytes = bytes
    self.skipping = skipping
  }

  mutating func parseDocument() throws -> JSONValue {
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    if position < bytes.count {
      throw error("unexpected \(describe(bytes[position])) after the JSON value")
    }
    return value
  }

  // MARK: Values

  private mutating func parseValue() throws -> JSONValue {
    guard position < bytes.count else { throw truncated("where a value was expected") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    case UInt8(ascii: "N"), UInt8(ascii: "I"):
      throw error("\(word()) is not a JSON number (JSON numbers are finite)")
    default:
      throw error("unexpected \(describe(bytes[position])), expected a value")
    }
  }

  private mutating func parseObject() throws -> JSONValue {
    try enter()
    defer { depth -= 1 }
    position += 1
    var members: [String: JSONValue] = [:]
    skipWhitespace()
    if try peek("an object key or '}'") == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard try peek("an object key") == UInt8(ascii: "\"") else {
        throw error("unexpected \(describe(bytes[position])), expected an object key string")
      }
      let keyStart = position
      let key = try parseString()
      skipWhitespace()
      guard try peek("':' after key '\(key)'") == UInt8(ascii: ":") else {
        throw error("unexpected \(describe(bytes[position])), expected ':' after key '\(key)'")
      }
      position += 1
      skipWhitespace()
      if depth == 1 && skipping.contains(key) {
        try skipValue()
      } else {
        try parseMember(key, at: keyStart, into: &members)
      }
      skipWhitespace()
      let next = try peek("',' or '}'")
      position += 1
      if next == UInt8(ascii: "}") { return .object(members) }
      guard next == UInt8(ascii: ",") else {
        position -= 1
        throw error("unexpected \(describe(next)), expected ',' or '}'")
      }
    }
  }

  private mutating func parseMember(
    _ key: String, at keyStart: Int, into members: inout [String: JSONValue]
  ) throws {
    do {
      let value = try parseValue()
      if members.updateValue(value, forKey: key) != nil {
        throw JSONSyntaxError(
          offset: keyStart, reason: "duplicate key '\(key)'", path: [], truncated: false)
      }
    } catch var nested as JSONSyntaxError {
      nested.path.insert(.key(key), at: 0)
      throw nested
    }
  }

  /// Moves past one value without building it: strings are closed, brackets balanced.
  private mutating func skipValue() throws {
    guard position < bytes.count else { throw truncated("where a value was expected") }
    let first = bytes[position]
    if first == UInt8(ascii: "\"") { return try skipString() }
    guard first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else {
      while position < bytes.count, !Self.endsScalar(bytes[position]) { position += 1 }
      return
    }
    var nesting = 0
    while position < bytes.count {
      switch bytes[position] {
      case UInt8(ascii: "\""):
        try skipString()
        continue
      case UInt8(ascii: "["), UInt8(ascii: "{"): nesting += 1
      case UInt8(ascii: "]"), UInt8(ascii: "}"):
        nesting -= 1
        if nesting == 0 {
          position += 1
          return
        }
      default: break
      }
      position += 1
    }
    throw truncated("inside a skipped value")
  }

  private mutating func skipString() throws {
    position += 1
    while position < bytes.count {
      switch bytes[position] {
      case UInt8(ascii: "\\"): position += 2
      case UInt8(ascii: "\""):
        position += 1
        return
      default: position += 1
      }
    }
    throw truncated("inside a string")
  }

  private static func endsScalar(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
      || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }

  private mutating func parseArray() throws -> JSONValue {
    try enter()
    defer { depth -= 1 }
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if try peek("a value or ']'") == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      do {
        elements.append(try parseValue())
      } catch var nested as JSONSyntaxError {
        nested.path.insert(.index(elements.count), at: 0)
        throw nested
      }
      skipWhitespace()
      let next = try peek("',' or ']'")
      position += 1
      if next == UInt8(ascii: "]") { return .array(elements) }
      guard next == UInt8(ascii: ",") else {
        position -= 1
        throw error("unexpected \(describe(next)), expected ',' or ']'")
      }
    }
  }

  private mutating func parseLiteral(_ literal: StaticString, _ value: JSONValue) throws
    -> JSONValue
  {
    let count = literal.utf8CodeUnitCount
    let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
    for offset in 0..<count {
      guard position + offset < bytes.count else { throw truncated("inside '\(literal)'") }
      if bytes[position + offset] != expected[offset] {
        throw error("unexpected '\(word())', expected a value")
      }
    }
    position += count
    return value
  }

  // MARK: Numbers

  private mutating func parseNumber() throws -> JSONValue {
    let start = position
    var integral = true
    if bytes[position] == UInt8(ascii: "-") {
      position += 1
      guard position < bytes.count else { throw truncated("inside a number") }
      if bytes[position] == UInt8(ascii: "I") {
        position = start
        throw error("\(word()) is not a JSON number (JSON numbers are finite)")
      }
    }
    guard position < bytes.count, isDigit(bytes[position]) else {
      throw error("expected a digit in number")
    }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
      if position < bytes.count, isDigit(bytes[position]) {
        throw error("leading zeros are not allowed in JSON numbers")
      }
    } else {
      skipDigits()
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      integral = false
      position += 1
      guard position < bytes.count else { throw truncated("inside a number") }
      guard isDigit(bytes[position]) else { throw error("expected a digit after '.'") }
      skipDigits()
    }
    if position < bytes.count,
      bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")
    {
      integral = false
      position += 1
      if position < bytes.count,
        bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
      {
        position += 1
      }
      guard position < bytes.count else { throw truncated("inside a number") }
      guard isDigit(bytes[position]) else { throw error("expected a digit in exponent") }
      skipDigits()
    }
    let text = String(
      decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    // `-0` stays a (negative-zero) number so float fields keep their sign bit.
    if integral, text != "-0", let value = Int(text) { return .integer(value) }
    guard let value = Double(text), value.isFinite else {
      position = start
      throw error("number \(text) is out of range (JSON numbers are finite)")
    }
    return .number(value)
  }

  private mutating func skipDigits() {
    while position < bytes.count, isDigit(bytes[position]) { position += 1 }
  }

  private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  // MARK: Strings

  private mutating func parseString() throws -> String {
    position += 1
    let start = position
    // Fast path: no escapes.
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        guard let string = String(validating: slice, as: UTF8.self) else {
          throw JSONSyntaxError(
            offset: start, reason: "string is not valid UTF-8", path: [], truncated: false)
        }
        position += 1
        return string
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("control character \(describe(byte)) inside a string") }
      position += 1
    }
    guard position < bytes.count else { throw truncated("inside a string") }
    return try parseEscapedString(from: start)
  }

  private mutating func parseEscapedString(from start: Int) throws -> String {
    var utf8: [UInt8] = Array(bytes[start..<position])
    while true {
      guard position < bytes.count else { throw truncated("inside a string") }
      let byte = bytes[position]
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        guard let string = String(validating: utf8, as: UTF8.self) else {
          throw JSONSyntaxError(
            offset: start, reason: "string is not valid UTF-8", path: [], truncated: false)
        }
        return string
      case UInt8(ascii: "\\"):
        position += 1
        guard position < bytes.count else { throw truncated("inside a string") }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"): utf8.append(contentsOf: try parseUnicodeEscape())
        default:
          position -= 2
          throw error("invalid escape '\\\(describe(escape))' in string")
        }
      default:
        if byte < 0x20 { throw error("control character \(describe(byte)) inside a string") }
        utf8.append(byte)
        position += 1
      }
    }
  }

  /// Reads the four hex digits after `\u` (and a following low surrogate escape when the first
  /// is a high surrogate); returns the scalar's UTF-8 bytes.
  private mutating func parseUnicodeEscape() throws -> [UInt8] {
    let first = try parseHex4()
    var scalarValue = first
    if (0xD800...0xDBFF).contains(first) {
      guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
        bytes[position + 1] == UInt8(ascii: "u")
      else { throw error("unpaired surrogate \\u\(String(first, radix: 16)) in string") }
      position += 2
      let second = try parseHex4()
      guard (0xDC00...0xDFFF).contains(second) else {
        throw error("invalid low surrogate \\u\(String(second, radix: 16)) in string")
      }
      scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
    } else if (0xDC00...0xDFFF).contains(first) {
      throw error("unpaired surrogate \\u\(String(first, radix: 16)) in string")
    }
    guard let scalar = Unicode.Scalar(scalarValue) else {
      throw error("invalid unicode escape in string")
    }
    return Array(String(Character(scalar)).utf8)
  }

  private mutating func parseHex4() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard position < bytes.count else { throw truncated("inside a string") }
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw error("invalid hex digit \(describe(byte)) in \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }

  // MARK: Helpers

  private mutating func enter() throws {
    depth += 1
    if depth > Self.maximumDepth {
      throw error("nesting deeper than \(Self.maximumDepth) levels")
    }
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  /// The byte at the current position, or a truncation error naming what was expected.
  private func peek(_ expected: String) throws -> UInt8 {
    guard position < bytes.count else { throw truncated("where \(expected) was expected") }
    return bytes[position]
  }

  /// The run of letters at the current position, for messages (`NaN`, `Infinity`, `tru`).
  private func word() -> String {
    var end = position
    if end < bytes.count, bytes[end] == UInt8(ascii: "-") { end += 1 }
    while end < bytes.count, end - position < 20,
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[end] | 0x20)
    {
      end += 1
    }
    return String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
  }

  private func describe(_ byte: UInt8) -> String {
    if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x" + String(byte, radix: 16)
  }

  private func error(_ reason: String) -> JSONSyntaxError {
    JSONSyntaxError(offset: position, reason: reason, path: [], truncated: false)
  }

  /// The text ended early; `place` says where (`inside a string`, `where ',' or '}' was
  /// expected`).
  private func truncated(_ place: String) -> JSONSyntaxError {
    JSONSyntaxError(
      offset: position, reason: "truncated JSON: the text ends \(place)", path: [],
      truncated: true)
  }
}
