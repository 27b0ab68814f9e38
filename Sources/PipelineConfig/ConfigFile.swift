public import Foundation
import Yams

/// An error in a YAML config file: the file, the line and the key are always named.
public struct ConfigError: Error, CustomStringConvertible, LocalizedError, Equatable {
  /// The config file.
  public let file: String
  /// 1-based line, when known.
  public let line: Int?
  /// The key at fault, when there is one.
  public let key: String?
  /// What is wrong.
  public let message: String

  /// Creates an error.
  public init(file: String, line: Int?, key: String?, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  public var description: String {
    var location = file
    if let line { location += ":\(line)" }
    if let key { return "\(location): \(key): \(message)" }
    return "\(location): \(message)"
  }

  public var errorDescription: String? { description }
}

/// A flat YAML mapping of scalar settings, read with line numbers so that every error names
/// the file, the line and the key. Unknown keys are errors (DECISIONS.md): call
/// `rejectUnknownKeys` after reading the known ones.
public struct ConfigFile {
  /// The path the values came from (for messages).
  public let path: String
  private let entries: [String: (node: Node, line: Int?)]
  /// How each key is spelled where it came from, for messages (`--det-thresh` for a flag).
  private var spellings: [String: String] = [:]

  /// Settings given as text, not read from a file (command-line flags): `values` maps each
  /// key to its text, `spellings` maps a key to how the user wrote it (its flag), and `source`
  /// names them all in messages (`command line`).
  public init(values: [String: String], spellings: [String: String], source: String) {
    path = source
    entries = values.mapValues { (Node.scalar(Node.Scalar($0)), nil) }
    self.spellings = spellings
  }

  /// Reads `url`. An empty file is an empty mapping.
  public init(url: URL) throws {
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw ConfigError(file: url.path, line: nil, key: nil, message: "cannot read the file")
    }
    try self.init(yaml: text, path: url.path)
  }

  /// Parses YAML text; `path` is used in messages.
  public init(yaml: String, path: String) throws {
    self.path = path
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch let error as YamlError {
      throw ConfigError(
        file: path, line: Self.line(of: error), key: nil, message: "not valid YAML: \(error)")
    } catch {
      throw ConfigError(file: path, line: nil, key: nil, message: "not valid YAML: \(error)")
    }
    guard let root else {
      entries = [:]
      return
    }
    guard case .mapping(let mapping) = root else {
      throw ConfigError(
        file: path, line: root.mark?.line, key: nil, message: "expected a mapping of key: value")
    }
    // Yams refuses duplicated keys while parsing (a YAML error naming the key).
    var entries: [String: (node: Node, line: Int?)] = [:]
    for (keyNode, valueNode) in mapping {
      guard let key = keyNode.string else {
        throw ConfigError(
          file: path, line: keyNode.mark?.line, key: nil, message: "keys must be strings")
      }
      entries[key] = (valueNode, keyNode.mark?.line)
    }
    self.entries = entries
  }

  private static func line(of error: YamlError) -> Int? {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
    default: return nil
    }
  }

  /// The keys present in the file.
  public var keys: Set<String> { Set(entries.keys) }

  private func scalar(_ key: String) throws -> (Node.Scalar, Int?)? {
    guard let entry = entries[key] else { return nil }
    guard case .scalar(let scalar) = entry.node else {
      throw ConfigError(
        file: path, line: entry.line, key: spelling(key), message: "expected a single value")
    }
    return (scalar, entry.line)
  }

  /// An integer value, checked against `range`.
  public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
    guard let (scalar, line) = try scalar(key) else { return nil }
    guard let value = Int(scalar.string) else {
      throw ConfigError(
        file: path, line: line, key: spelling(key),
        message: "expected an integer, found '\(scalar.string)'")
    }
    guard range.contains(value) else {
      throw ConfigError(
        file: path, line: line, key: spelling(key), message: "\(value) is outside \(range)")
    }
    return value
  }

  /// A finite number, checked against `range`.
  public func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
    guard let (scalar, line) = try scalar(key) else { return nil }
    guard let value = Double(scalar.string), value.isFinite else {
      throw ConfigError(
        file: path, line: line, key: spelling(key),
        message: "expected a number, found '\(scalar.string)'")
    }
    guard range.contains(value) else {
      throw ConfigError(
        file: path, line: line, key: spelling(key), message: "\(value) is outside \(range)")
    }
    return value
  }

  /// A boolean (`true`/`false`, YAML 1.1 spellings such as yes/no included).
  public func bool(_ key: String) throws -> Bool? {
    guard let (scalar, line) = try scalar(key) else { return nil }
    switch scalar.string.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default:
      throw ConfigError(
        file: path, line: line, key: spelling(key),
        message: "expected true or false, found '\(scalar.string)'")
    }
  }

  /// A string value.
  public func string(_ key: String) throws -> String? {
    guard let (scalar, _) = try scalar(key) else { return nil }
    return scalar.string
  }

  /// A value from a fixed set of choices.
  public func choice<Value: RawRepresentable>(_ key: String, as type: Value.Type) throws -> Value?
  where Value.RawValue == String, Value: CaseIterable {
    guard let (scalar, line) = try scalar(key) else { return nil }
    guard let value = Value(rawValue: scalar.string) else {
      let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
      throw ConfigError(
        file: path, line: line, key: spelling(key),
        message: "'\(scalar.string)' is not one of \(allowed)")
    }
    return value
  }

  /// The line `key` is on, when the file has it.
  public func line(of key: String) -> Int? { entries[key]?.line ?? nil }

  /// How the user wrote `key` (its flag on the command line), for messages.
  public func spelling(_ key: String) -> String { spellings[key] ?? key }

  /// An error about `key` of this file, at its line.
  public func error(_ key: String, _ message: String) -> ConfigError {
    ConfigError(file: path, line: line(of: key), key: spelling(key), message: message)
  }

  /// Which of several stages this file configures, judged by its keys: the one stage whose
  /// keys include every key of the file (nil for an empty file). A key no stage knows, or a
  /// file that mixes keys of two stages, is an error naming the file and line.
  public func stage(among stages: [(name: String, keys: Set<String>)]) throws -> String? {
    let byLine = entries.keys.sorted { (line(of: $0) ?? 0) < (line(of: $1) ?? 0) }
    guard let first = byLine.first else { return nil }
    let all = stages.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
    try rejectUnknownKeys(all)
    guard let owner = stages.first(where: { $0.keys.contains(first) }) else { return nil }
    if let stranger = byLine.first(where: { !owner.keys.contains($0) }) {
      let other = stages.first { $0.keys.contains(stranger) }?.name ?? "another stage"
      throw ConfigError(
        file: path, line: line(of: stranger), key: stranger,
        message:
          "this file configures \(owner.name) ('\(first)' on line \(line(of: first) ?? 0)) but "
          + "'\(stranger)' belongs to \(other): use one file per stage")
    }
    return owner.name
  }

  /// Throws for the first key (by line) that is not in `known`.
  public func rejectUnknownKeys(_ known: Set<String>) throws {
    let unknown = entries.filter { !known.contains($0.key) }.sorted {
      ($0.value.line ?? 0) < ($1.value.line ?? 0)
    }
    if let (key, entry) = unknown.first {
      throw ConfigError(
        file: path, line: entry.line, key: spelling(key),
        message: "unknown key (known: \(known.sorted().joined(separator: ", ")))")
    }
  }
}
