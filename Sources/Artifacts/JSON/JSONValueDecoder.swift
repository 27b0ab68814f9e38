import Foundation

/// Decodes `Decodable` types from a parsed `JSONValue`.
///
/// Used instead of `JSONDecoder` because its errors say exactly what is wrong and where: every
/// `DecodingError` it throws has the full coding path and a message such as
/// `expected a number, found string` or `expected an integer, found number 1.5` (integer fields
/// must be written as integer literals; a `Float` field rejects numbers beyond `Float` range).
enum JSONValueDecoder {
  static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
    try ValueDecoder(value: value, codingPath: []).decodeValue(type)
  }

  /// The field and reason a `DecodingError` describes, the field rendered like `bbox[2]`
  /// (`nil` when the error is about the value as a whole).
  static func explain(_ error: DecodingError) -> (field: String?, reason: String) {
    let path: [any CodingKey]
    let reason: String
    switch error {
    case .keyNotFound(let key, let context):
      path = context.codingPath + [key]
      reason = "missing required field"
    case .typeMismatch(_, let context), .valueNotFound(_, let context),
      .dataCorrupted(let context):
      path = context.codingPath
      reason = context.debugDescription
    @unknown default:
      return (nil, "\(error)")
    }
    let field = JSONPathComponent.render(codingPath: path)
    return (field.isEmpty ? nil : field, reason)
  }
}

/// A coding key for array elements (`intValue` set) or arbitrary object members.
struct AnyCodingKey: CodingKey {
  var stringValue: String
  var intValue: Int?

  init(stringValue: String) {
    self.stringValue = stringValue
    intValue = nil
  }

  init(intValue: Int) {
    stringValue = "Index \(intValue)"
    self.intValue = intValue
  }
}

private struct ValueDecoder: Decoder {
  let value: JSONValue
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let members) = value else {
      throw mismatch(Any.self, expected: "an object", found: value, path: codingPath)
    }
    return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .array(let elements) = value else {
      throw mismatch([Any].self, expected: "an array", found: value, path: codingPath)
    }
    return UnkeyedContainer(elements: elements, codingPath: codingPath)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    SingleValueContainer(value: value, codingPath: codingPath)
  }

  /// Decodes `T` from `value`, with fast paths for the primitive and array types artifacts use
  /// most (embeddings are `[Float]`).
  func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
    if let result = try Primitive.decode(type, from: value, path: codingPath) { return result }
    return try T(from: self)
  }
}

/// Unboxing of JSON scalars into Swift scalars, with precise messages.
private enum Primitive {
  static func decode<T>(_ type: T.Type, from value: JSONValue, path: [any CodingKey]) throws -> T? {
    switch type {
    case is String.Type: return try string(value, path) as? T
    case is Double.Type: return try double(value, path) as? T
    case is Float.Type: return try float(value, path) as? T
    case is Int.Type: return try integer(Int.self, value, path) as? T
    case is Bool.Type: return try bool(value, path) as? T
    case is [Float].Type: return try array(value, path, float) as? T
    case is [Double].Type: return try array(value, path, double) as? T
    case is [Int].Type: return try array(value, path) { try integer(Int.self, $0, $1) } as? T
    case is [String].Type: return try array(value, path, string) as? T
    default: return nil
    }
  }

  static func array<Element>(
    _ value: JSONValue, _ path: [any CodingKey],
    _ element: (JSONValue, [any CodingKey]) throws -> Element
  ) throws -> [Element] {
    guard case .array(let elements) = value else {
      throw mismatch([Element].self, expected: "an array", found: value, path: path)
    }
    var result: [Element] = []
    result.reserveCapacity(elements.count)
    for (index, item) in elements.enumerated() {
      // Build the element's path only when there is an error to report.
      do {
        result.append(try element(item, []))
      } catch let error as DecodingError {
        throw rebase(error, onto: path + [AnyCodingKey(intValue: index)])
      }
    }
    return result
  }

  static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
    guard case .string(let string) = value else {
      throw mismatch(String.self, expected: "a string", found: value, path: path)
    }
    return string
  }

  static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
    guard case .bool(let bool) = value else {
      throw mismatch(Bool.self, expected: "a boolean", found: value, path: path)
    }
    return bool
  }

  static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
    guard let double = value.doubleValue else {
      throw mismatch(Double.self, expected: "a number", found: value, path: path)
    }
    return double
  }

  static func float(_ value: JSONValue, _ path: [any CodingKey]) throws -> Float {
    let double = try Self.double(value, path)
    let float = Float(double)
    guard float.isFinite else {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: path,
          debugDescription: "number \(JSONValue.format(double)) is out of range for a 32-bit float"
        ))
    }
    return float
  }

  static func integer<I: FixedWidthInteger>(
    _ type: I.Type, _ value: JSONValue, _ path: [any CodingKey]
  )
    throws -> I
  {
    guard case .integer(let integer) = value else {
      throw mismatch(I.self, expected: "an integer", found: value, path: path)
    }
    guard let result = I(exactly: integer) else {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: path, debugDescription: "integer \(integer) is out of range for \(I.self)")
      )
    }
    return result
  }

  static func rebase(_ error: DecodingError, onto prefix: [any CodingKey]) -> DecodingError {
    switch error {
    case .typeMismatch(let type, let context):
      return .typeMismatch(type, context.rebased(onto: prefix))
    case .valueNotFound(let type, let context):
      return .valueNotFound(type, context.rebased(onto: prefix))
    case .keyNotFound(let key, let context):
      return .keyNotFound(key, context.rebased(onto: prefix))
    case .dataCorrupted(let context):
      return .dataCorrupted(context.rebased(onto: prefix))
    @unknown default:
      return error
    }
  }
}

extension DecodingError.Context {
  fileprivate func rebased(onto prefix: [any CodingKey]) -> DecodingError.Context {
    .init(
      codingPath: prefix + codingPath, debugDescription: debugDescription,
      underlyingError: underlyingError)
  }
}

/// `expected X, found Y` — with the found value shown when it is a short scalar.
private func mismatch(
  _ type: Any.Type, expected: String, found value: JSONValue, path: [any CodingKey]
) -> DecodingError {
  let found: String
  switch value {
  case .integer, .number, .bool: found = "\(value.typeName) \(value.compactText(limit: 30))"
  default: found = value.typeName
  }
  let context = DecodingError.Context(
    codingPath: path, debugDescription: "expected \(expected), found \(found)")
  if case .null = value { return .valueNotFound(type, context) }
  return .typeMismatch(type, context)
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let members: [String: JSONValue]
  let codingPath: [any CodingKey]

  var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

  func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

  private func value(for key: Key) throws -> JSONValue {
    guard let value = members[key.stringValue] else {
      throw DecodingError.keyNotFound(
        key,
        .init(
          codingPath: codingPath, debugDescription: "missing required field '\(key.stringValue)'"))
    }
    return value
  }

  func decodeNil(forKey key: Key) throws -> Bool {
    if case .null = try value(for: key) { return true }
    return false
  }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    let value = try value(for: key)
    return try ValueDecoder(value: value, codingPath: codingPath + [key]).decodeValue(type)
  }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard let value = members[key.stringValue] else { return nil }
    if case .null = value { return nil }
    return try ValueDecoder(value: value, codingPath: codingPath + [key]).decodeValue(type)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try ValueDecoder(value: try value(for: key), codingPath: codingPath + [key])
      .container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try ValueDecoder(value: try value(for: key), codingPath: codingPath + [key]).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder {
    ValueDecoder(value: members["super"] ?? .null, codingPath: codingPath)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    ValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
  }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
  let elements: [JSONValue]
  let codingPath: [any CodingKey]
  var currentIndex = 0

  init(elements: [JSONValue], codingPath: [any CodingKey]) {
    self.elements = elements
    self.codingPath = codingPath
  }

  var count: Int? { elements.count }
  var isAtEnd: Bool { currentIndex >= elements.count }

  private var currentPath: [any CodingKey] { codingPath + [AnyCodingKey(intValue: currentIndex)] }

  private func current(_ type: Any.Type) throws -> JSONValue {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(
        type,
        .init(
          codingPath: currentPath,
          debugDescription: "expected another element, the array has only \(elements.count)"))
    }
    return elements[currentIndex]
  }

  mutating func decodeNil() throws -> Bool {
    if case .null = try current(Never.self) {
      currentIndex += 1
      return true
    }
    return false
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    let value = try current(type)
    let result = try ValueDecoder(value: value, codingPath: currentPath).decodeValue(type)
    currentIndex += 1
    return result
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    let value = try current([String: Any].self)
    let container = try ValueDecoder(value: value, codingPath: currentPath).container(keyedBy: type)
    currentIndex += 1
    return container
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    let value = try current([Any].self)
    let container = try ValueDecoder(value: value, codingPath: currentPath).unkeyedContainer()
    currentIndex += 1
    return container
  }

  mutating func superDecoder() throws -> any Decoder {
    let value = try current(Any.self)
    defer { currentIndex += 1 }
    return ValueDecoder(value: value, codingPath: currentPath)
  }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
  let value: JSONValue
  let codingPath: [any CodingKey]

  func decodeNil() -> Bool {
    if case .null = value { return true }
    return false
  }

  func decode(_ type: Bool.Type) throws -> Bool { try Primitive.bool(value, codingPath) }
  func decode(_ type: String.Type) throws -> String { try Primitive.string(value, codingPath) }
  func decode(_ type: Double.Type) throws -> Double { try Primitive.double(value, codingPath) }
  func decode(_ type: Float.Type) throws -> Float { try Primitive.float(value, codingPath) }
  func decode(_ type: Int.Type) throws -> Int { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: Int8.Type) throws -> Int8 { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: Int16.Type) throws -> Int16 { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: Int32.Type) throws -> Int32 { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: Int64.Type) throws -> Int64 { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: UInt.Type) throws -> UInt { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: UInt8.Type) throws -> UInt8 { try Primitive.integer(type, value, codingPath) }
  func decode(_ type: UInt16.Type) throws -> UInt16 {
    try Primitive.integer(type, value, codingPath)
  }
  func decode(_ type: UInt32.Type) throws -> UInt32 {
    try Primitive.integer(type, value, codingPath)
  }
  func decode(_ type: UInt64.Type) throws -> UInt64 {
    try Primitive.integer(type, value, codingPath)
  }

  func decode<T: Decodable>(_ type: T.Type) throws -> T {
    try ValueDecoder(value: value, codingPath: codingPath).decodeValue(type)
  }
}
