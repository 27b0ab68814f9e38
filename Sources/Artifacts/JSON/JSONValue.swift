import Foundation

/// A parsed JSON value, keeping the one distinction the artifacts need beyond JSON's own types:
/// whether a number was written as an integer literal (`42`) or not (`42.0`, `4.2e1`).
///
/// Produced by `JSONValue.parse(_:)`, which accepts strict RFC 8259 JSON only: no `NaN`, no
/// `Infinity`, no number that overflows a `Double`, no duplicate keys.
public enum JSONValue: Hashable, Sendable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number written without fraction or exponent that fits in an `Int`.
  case integer(Int)
  /// Any other finite number.
  case number(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object.
  case object([String: JSONValue])

  /// Parses one JSON text (a whole line of a JSON Lines file, or a whole document).
  ///
  /// - Throws: `JSONSyntaxError` with the byte offset, the field path where parsing stopped
  ///   and the reason.
  public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> JSONValue {
    try parse(bytes, skippingMembers: [])
  }

  /// Parses one JSON text, leaving out the members of its top-level object named in
  /// `skipping` without building their values (only their structure is checked): a face row
  /// without its embedding costs a fraction of a full parse.
  public static func parse<Bytes: Collection<UInt8>>(
    _ bytes: Bytes, skippingMembers skipping: Set<String>
  ) throws -> JSONValue {
    let fast = try bytes.withContiguousStorageIfAvailable { buffer in
      var parser = JSONParser(buffer, skipping: skipping)
      return try parser.parseDocument()
    }
    if let fast { return fast }
    return try Array(bytes).withUnsafeBufferPointer { buffer in
      var parser = JSONParser(buffer, skipping: skipping)
      return try parser.parseDocument()
    }
  }

  /// The JSON type name used in messages: `null`, `boolean`, `number`, `string`, `array`,
  /// `object`.
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "boolean"
    case .integer, .number: return "number"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    }
  }

  /// The number as a `Double` when this is a number.
  public var doubleValue: Double? {
    switch self {
    case .integer(let value): return Double(value)
    case .number(let value): return value
    default: return nil
    }
  }

  /// The integer when this is a number written as an integer literal.
  public var intValue: Int? {
    if case .integer(let value) = self { return value }
    return nil
  }

  /// The string when this is a string.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The elements when this is an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  /// The members when this is an object.
  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }

  /// The member `key` when this is an object that has it.
  public subscript(key: String) -> JSONValue? {
    objectValue?[key]
  }

  /// Compact JSON text with sorted keys, cut to about `limit` characters (with `…`) so long
  /// embeddings stay readable in messages.
  public func compactText(limit: Int = 80) -> String {
    var text = ""
    write(to: &text, limit: limit)
    if text.count > limit { return String(text.prefix(limit)) + "…" }
    return text
  }

  private func write(to text: inout String, limit: Int) {
    guard text.count <= limit else { return }
    switch self {
    case .null: text += "null"
    case .bool(let value): text += value ? "true" : "false"
    case .integer(let value): text += String(value)
    case .number(let value): text += JSONValue.format(value)
    case .string(let value): text += JSONValue.quoted(value)
    case .array(let elements):
      text += "["
      for (index, element) in elements.enumerated() {
        if index > 0 { text += "," }
        element.write(to: &text, limit: limit)
        if text.count > limit { return }
      }
      text += "]"
    case .object(let members):
      text += "{"
      for (index, key) in members.keys.sorted().enumerated() {
        if index > 0 { text += "," }
        text += JSONValue.quoted(key) + ":"
        members[key]?.write(to: &text, limit: limit)
        if text.count > limit { return }
      }
      text += "}"
    }
  }

  /// A number in the shortest form that reads back to the same `Double`; integral values
  /// print without a fraction (`1`, not `1.0`).
  static func format(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
      return String(Int(value))
    }
    return "\(value)"
  }

  static func quoted(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}

extension JSONValue: Codable {
  /// Decodes any JSON value. Through `JSONDecoder` an integral number always becomes
  /// `.integer` (the decoder does not say how it was written); `JSONValue.parse` keeps the
  /// distinction.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Encodes the value as the JSON it came from.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .integer(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

/// One step of a path into a JSON value: an object key or an array index.
public enum JSONPathComponent: Hashable, Sendable {
  /// An object member.
  case key(String)
  /// An array element (0-based).
  case index(Int)

  /// Renders a path as `stats.detections`, `bbox[2]` or `identities[0].track_ids[1]`.
  public static func render(_ path: [JSONPathComponent]) -> String {
    var text = ""
    for component in path {
      switch component {
      case .key(let key): text += text.isEmpty ? key : "." + key
      case .index(let index): text += "[\(index)]"
      }
    }
    return text
  }

  /// Renders a coding path (as in `DecodingError`/`EncodingError`) the same way: keys with an
  /// integer value are array indices.
  static func render(codingPath: [any CodingKey]) -> String {
    render(
      codingPath.map { key in
        if let index = key.intValue { return .index(index) }
        return .key(key.stringValue)
      })
  }
}

/// Why a JSON text could not be parsed, where (0-based byte offset) and inside which field.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The 0-based byte offset where parsing stopped.
  public var offset: Int
  /// What was wrong, e.g. `NaN is not a JSON number`.
  public var reason: String
  /// The field being parsed when it stopped; empty at the top level.
  public var path: [JSONPathComponent]
  /// Whether the text ended before the value was complete.
  public var truncated: Bool

  /// `reason at column N`, with the field when there is one.
  public var description: String {
    let field = JSONPathComponent.render(path)
    return (field.isEmpty ? "" : "field '\(field)': ") + message
  }

  /// The reason with its 1-based column, without the field.
  public var message: String { "\(reason) (column \(offset + 1))" }
}
