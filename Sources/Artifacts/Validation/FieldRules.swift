import Foundation

/// The JSON type a field must have. Objects carry the rules of their members, arrays the type
/// of their elements, so one table describes a whole artifact.
indirect enum FieldType: Sendable {
  case string
  /// A number written as an integer literal (`42`, not `42.0`).
  case integer
  /// Any finite number.
  case number
  case boolean
  /// An object whose members follow `rules` (unknown members are allowed).
  case object([FieldRule])
  /// An array of `element`s, of exactly `count` elements when given.
  case array(FieldType, count: Int?)
  /// `null` or the wrapped type.
  case nullable(FieldType)
  /// An object whose every value is a string (`labels`).
  case stringMap

  var expected: String {
    switch self {
    case .string: return "a string"
    case .integer: return "an integer"
    case .number: return "a number"
    case .boolean: return "a boolean"
    case .object, .stringMap: return "an object"
    case .array: return "an array"
    case .nullable(let wrapped): return "\(wrapped.expected) or null"
    }
  }
}

/// A value rule beyond the type. Element-wise checks apply to each element of an array (or to
/// a scalar); the others apply to the whole (well-typed) array.
enum FieldCheck: Sendable {
  /// A number in [0, 1].
  case unitInterval
  /// A number ≥ the bound.
  case atLeast(Double)
  /// A number in the closed range.
  case within(Double, Double)
  /// A string equal to the literal (`schema_version`).
  case equals(String)
  /// A string equal to the episode being validated.
  case episode
  /// A string that is a well-formed identifier.
  case identifier(IdentifierKind)
  /// An ISO-8601 date-time string.
  case timestamp
  /// A non-empty string or array.
  case nonEmpty
  /// `[x1, y1, x2, y2]` with `x1 ≤ x2` and `y1 ≤ y2`.
  case orderedBox
  /// `[start, end]` with `start ≤ end`.
  case orderedPair
  /// A vector of Euclidean norm 1 ± `ArtifactValidator.normTolerance`.
  case unitNorm

  var isElementwise: Bool {
    switch self {
    case .orderedBox, .orderedPair, .unitNorm, .nonEmpty: return false
    default: return true
    }
  }
}

/// The identifier families of the artifacts.
enum IdentifierKind: Sendable {
  case track, face, identity

  func isValid(_ id: String) -> Bool {
    switch self {
    case .track: return ArtifactID.isValidTrackID(id)
    case .face: return ArtifactID.isValidFaceID(id)
    case .identity: return ArtifactID.isValidIdentityID(id)
    }
  }

  var pattern: String {
    switch self {
    case .track: return "track-NNNNN"
    case .face: return "face-NNNNN"
    case .identity: return "identity-NNNNN"
    }
  }
}

/// One member of an object: its name, type, whether it must be present, and value checks.
struct FieldRule: Sendable {
  var name: String
  var type: FieldType
  var required: Bool
  var checks: [FieldCheck]

  init(_ name: String, _ type: FieldType, required: Bool = true, _ checks: [FieldCheck] = []) {
    self.name = name
    self.type = type
    self.required = required
    self.checks = checks
  }
}

/// Where a value sits: artifact (relative path) and line (for JSON Lines and `.npy` rows).
struct Location: Sendable {
  var artifact: String
  var line: Int?
}

/// Checks JSON values against field tables and collects every violation.
struct RuleChecker {
  let episode: String
  private(set) var violations: [Violation] = []

  init(episode: String) {
    self.episode = episode
  }

  /// Records a violation.
  mutating func report(_ location: Location, field: String, value: String = "", _ message: String) {
    violations.append(
      Violation(
        artifact: location.artifact, line: location.line, field: field, value: value,
        message: message))
  }

  /// Records a violation showing `value`.
  mutating func report(_ location: Location, field: String, value: JSONValue, _ message: String) {
    report(location, field: field, value: value.compactText(), message)
  }

  /// Checks a row or document that must be an object; returns its members when it is one.
  mutating func checkObject(_ value: JSONValue, rules: [FieldRule], at location: Location)
    -> [String: JSONValue]?
  {
    guard case .object(let members) = value else {
      report(location, field: "", "expected a JSON object, found \(value.typeName)")
      return nil
    }
    checkMembers(members, rules: rules, prefix: "", at: location)
    return members
  }

  private mutating func checkMembers(
    _ members: [String: JSONValue], rules: [FieldRule], prefix: String, at location: Location
  ) {
    for rule in rules {
      let field = prefix.isEmpty ? rule.name : "\(prefix).\(rule.name)"
      check(members[rule.name], rule: rule, field: field, at: location)
    }
  }

  private mutating func check(
    _ value: JSONValue?, rule: FieldRule, field: String, at location: Location
  ) {
    guard let value else {
      if rule.required { report(location, field: field, "required field is missing") }
      return
    }
    let wellTyped = checkType(value, rule.type, field: field, at: location)
    for check in rule.checks {
      if check.isElementwise, case .array(let elements) = value {
        for (index, element) in elements.enumerated() {
          apply(check, to: element, field: "\(field)[\(index)]", at: location)
        }
      } else if check.isElementwise || wellTyped {
        apply(check, to: value, field: field, at: location)
      }
    }
  }

  /// Reports every type mismatch in `value` (recursing into objects and arrays); returns
  /// whether `value` itself and all its elements have the right types and counts.
  @discardableResult
  private mutating func checkType(
    _ value: JSONValue, _ type: FieldType, field: String, at location: Location,
    expected: String? = nil
  ) -> Bool {
    switch (type, value) {
    case (.nullable, .null):
      return true
    case (.nullable(let wrapped), _):
      return checkType(value, wrapped, field: field, at: location, expected: type.expected)
    case (.string, .string), (.integer, .integer), (.boolean, .bool),
      (.number, .integer), (.number, .number):
      return true
    case (.object(let rules), .object(let members)):
      checkMembers(members, rules: rules, prefix: field, at: location)
      return true
    case (.stringMap, .object(let members)):
      var allStrings = true
      for key in members.keys.sorted() {
        guard let member = members[key], member.stringValue == nil else { continue }
        allStrings = false
        report(
          location, field: "\(field).\(key)", value: member,
          "expected a string, found \(member.typeName)")
      }
      return allStrings
    case (.array(let element, let count), .array(let elements)):
      var wellTyped = true
      if let count, elements.count != count {
        wellTyped = false
        report(
          location, field: field, value: value,
          "must have \(count) elements, found \(elements.count)")
      }
      for (index, item) in elements.enumerated()
      where !checkType(item, element, field: "\(field)[\(index)]", at: location) {
        wellTyped = false
      }
      return wellTyped
    case (.integer, .number):
      report(
        location, field: field, value: value,
        "expected an integer, found a number with a fraction or exponent")
      return false
    default:
      report(
        location, field: field, value: value,
        "expected \(expected ?? type.expected), found \(value.typeName)")
      return false
    }
  }

  private mutating func apply(
    _ check: FieldCheck, to value: JSONValue, field: String, at location: Location
  ) {
    if let message = problem(check, value) {
      report(location, field: field, value: value, message)
    }
  }

  /// The message when `value` fails `check`; `nil` when it passes or is not of the type the
  /// check is about (type errors are reported separately).
  private func problem(_ check: FieldCheck, _ value: JSONValue) -> String? {
    switch check {
    case .unitInterval:
      guard let number = value.doubleValue else { return nil }
      return (0...1).contains(number) ? nil : "must be in [0, 1]"
    case .atLeast(let bound):
      guard let number = value.doubleValue else { return nil }
      return number >= bound ? nil : "must be ≥ \(JSONValue.format(bound))"
    case .within(let low, let high):
      guard let number = value.doubleValue else { return nil }
      return (low...high).contains(number)
        ? nil : "must be in [\(JSONValue.format(low)), \(JSONValue.format(high))]"
    case .equals(let expected):
      guard let string = value.stringValue else { return nil }
      return string == expected ? nil : "must be \"\(expected)\""
    case .episode:
      guard let string = value.stringValue else { return nil }
      return string == episode ? nil : "must equal the episode id \"\(episode)\""
    case .identifier(let kind):
      guard let string = value.stringValue else { return nil }
      return kind.isValid(string) ? nil : "must match \(kind.pattern) (five or more digits)"
    case .timestamp:
      guard let string = value.stringValue else { return nil }
      return ArtifactTimestamp.date(from: string) != nil
        ? nil : "must be an ISO-8601 date-time such as 2025-11-18T12:34:56Z"
    case .nonEmpty:
      switch value {
      case .string(let string): return string.isEmpty ? "must not be empty" : nil
      case .array(let elements): return elements.isEmpty ? "must not be empty" : nil
      default: return nil
      }
    case .orderedBox:
      guard let box = value.numbers, box.count == 4 else { return nil }
      if box[0] > box[2] { return "x1 must be ≤ x2" }
      if box[1] > box[3] { return "y1 must be ≤ y2" }
      return nil
    case .orderedPair:
      guard let pair = value.numbers, pair.count == 2 else { return nil }
      return pair[0] <= pair[1] ? nil : "must be ordered (start ≤ end)"
    case .unitNorm:
      guard let vector = value.numbers, !vector.isEmpty else { return nil }
      let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return abs(norm - 1) <= ArtifactValidator.normTolerance
        ? nil
        : "must be unit-norm (‖v‖ = 1 ± \(ArtifactValidator.normTolerance)), found ‖v‖ = "
          + String(format: "%.4f", norm)
    }
  }
}

extension JSONValue {
  /// The elements as numbers when this is an array of numbers only.
  var numbers: [Double]? {
    guard case .array(let elements) = self else { return nil }
    var result: [Double] = []
    result.reserveCapacity(elements.count)
    for element in elements {
      guard let number = element.doubleValue else { return nil }
      result.append(number)
    }
    return result
  }
}
