import Foundation

/// A validated episode identifier (`ep_id`), safe to use as a single path component.
///
/// It matches `^[a-z0-9][a-z0-9._-]{0,127}$` and never contains `..`, so it can never name a
/// parent directory, an absolute path or a hidden file. Construct it before touching any file.
public struct EpisodeID: ValidatedIdentifier {
  /// The most characters an episode id may have.
  public static let maximumLength = 128

  /// The identifier exactly as given, for example `rhobh-s05e02`.
  public let rawValue: String

  /// Validates `raw` and wraps it.
  ///
  /// - Throws: `ArtifactError.invalidEpisodeID` naming the first rule `raw` breaks.
  public init(_ raw: String) throws {
    if let reason = Self.problem(with: raw) {
      throw ArtifactError.invalidEpisodeID(raw, reason: reason)
    }
    rawValue = raw
  }

  /// Whether `raw` is a valid episode id.
  public static func isValid(_ raw: String) -> Bool { problem(with: raw) == nil }

  /// The first rule `raw` breaks, or `nil` when it is a valid id.
  static func problem(with raw: String) -> String? {
    let pattern = "must match ^[a-z0-9][a-z0-9._-]{0,127}$"
    guard let first = raw.unicodeScalars.first else { return "must not be empty" }
    if !isLowerAlphanumeric(first) {
      return "must start with a lowercase letter or a digit (\(pattern))"
    }
    for scalar in raw.unicodeScalars
    where !isLowerAlphanumeric(scalar) && scalar != "." && scalar != "_" && scalar != "-" {
      return "character '\(scalar.escaped(asASCII: true))' is not allowed (\(pattern))"
    }
    if raw.unicodeScalars.count > maximumLength {
      return "must be at most \(maximumLength) characters, found \(raw.unicodeScalars.count)"
    }
    if raw.contains("..") { return "must not contain '..'" }
    return nil
  }

  private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
  }
}

/// An identifier under the episode-id rules (`EpisodeID`, `ShowID`): a JSON string validated
/// on decoding, printed and ordered by its text.
public protocol ValidatedIdentifier: Hashable, Sendable, Comparable, Codable,
  CustomStringConvertible
{
  /// The identifier exactly as given.
  var rawValue: String { get }
  /// Validates `raw` and wraps it.
  init(_ raw: String) throws
}

extension ValidatedIdentifier {
  /// Decodes a JSON string and validates it like `init(_:)`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let raw = try container.decode(String.self)
    do {
      try self.init(raw)
    } catch {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
    }
  }

  /// Encodes the identifier as a JSON string.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }

  /// The raw identifier.
  public var description: String { rawValue }

  /// Orders identifiers by their raw text.
  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
