/// One broken rule in one place of one artifact.
public struct Violation: Codable, Hashable, Sendable, CustomStringConvertible {
  /// The artifact, as a path relative to the data root (`manifests/x/tracks.jsonl`).
  public var artifact: String
  /// The 1-based line of a JSON Lines file or row of a `.npy` file; `nil` for a JSON document
  /// or a problem with the file as a whole.
  public var line: Int?
  /// The field, dotted and indexed (`stats.detections`, `bbox[2]`,
  /// `identities[0].track_ids[1]`); empty when the problem is the line or file as a whole.
  public var field: String
  /// The offending value as compact JSON (cut short when long); empty when there is none
  /// (a missing field, a missing file).
  public var value: String
  /// What rule the value breaks, e.g. `must be ≥ 1`.
  public var message: String

  enum CodingKeys: String, CodingKey {
    case artifact, line, field, value, message
  }

  /// A violation.
  public init(artifact: String, line: Int?, field: String, value: String, message: String) {
    self.artifact = artifact
    self.line = line
    self.field = field
    self.value = value
    self.message = message
  }

  /// Decodes a violation (`line` may be `null` or absent).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    artifact = try container.decode(String.self, forKey: .artifact)
    line = try container.decodeIfPresent(Int.self, forKey: .line)
    field = try container.decode(String.self, forKey: .field)
    value = try container.decode(String.self, forKey: .value)
    message = try container.decode(String.self, forKey: .message)
  }

  /// Encodes the violation, writing `line: null` when there is no line.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(artifact, forKey: .artifact)
    if let line {
      try container.encode(line, forKey: .line)
    } else {
      try container.encodeNil(forKey: .line)
    }
    try container.encode(field, forKey: .field)
    try container.encode(value, forKey: .value)
    try container.encode(message, forKey: .message)
  }

  /// `artifact:line: field = value: message`, leaving out what is absent, e.g.
  /// `manifests/x/tracks.jsonl:3: stats.detections = 0: must be ≥ 1`.
  public var description: String {
    var text = artifact
    if let line { text += ":\(line)" }
    text += ": "
    if !field.isEmpty {
      text += field
      if !value.isEmpty { text += " = \(value)" }
      text += ": "
    }
    return text + message
  }
}

/// The outcome of validating one episode: every violation found, and what was looked at.
public struct ValidationReport: Codable, Hashable, Sendable {
  /// Every violation, in the order found (artifact by artifact, line by line).
  public var violations: [Violation]
  /// Rows checked per artifact present (JSON Lines lines, `.npy` rows, 1 per JSON document),
  /// keyed by the path relative to the data root.
  public var checked: [String: Int]
  /// The artifacts that do not exist and were skipped, relative to the data root.
  public var absent: [String]
  /// Information that is not a violation (for example how many tracks an `identities.json`
  /// written to the spec's schema leaves in no identity), one line each.
  public var notes: [String]

  /// Whether there is no violation.
  public var isClean: Bool { violations.isEmpty }

  enum CodingKeys: String, CodingKey {
    case violations, checked, absent, notes
    case isClean = "is_clean"
  }

  /// A report.
  public init(
    violations: [Violation] = [], checked: [String: Int] = [:], absent: [String] = [],
    notes: [String] = []
  ) {
    self.violations = violations
    self.checked = checked
    self.absent = absent
    self.notes = notes
  }

  /// Decodes a report (`is_clean` is recomputed, not read).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    violations = try container.decode([Violation].self, forKey: .violations)
    checked = try container.decode([String: Int].self, forKey: .checked)
    absent = try container.decodeIfPresent([String].self, forKey: .absent) ?? []
    notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
  }

  /// Encodes the report with an `is_clean` flag for machine readers.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(violations, forKey: .violations)
    try container.encode(checked, forKey: .checked)
    try container.encode(absent, forKey: .absent)
    try container.encode(notes, forKey: .notes)
    try container.encode(isClean, forKey: .isClean)
  }
}
