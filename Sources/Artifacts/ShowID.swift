import Foundation

/// A validated show identifier (docs/people.md): the same rules as an `EpisodeID`, so it is safe
/// as one path component (`shows/{show_id}/people.json`).
public struct ShowID: ValidatedIdentifier {
  /// The identifier exactly as given, for example `rhobh`.
  public let rawValue: String

  /// Validates `raw` and wraps it.
  ///
  /// - Throws: `ArtifactError.invalidShowID` naming the first rule `raw` breaks.
  public init(_ raw: String) throws {
    if let reason = EpisodeID.problem(with: raw) {
      throw ArtifactError.invalidShowID(raw, reason: reason)
    }
    rawValue = raw
  }

  /// The show of `episode` by the naming convention `{show}-s{N}e{N}…`: the part before the
  /// last `-s<digits>e<digits>`; `nil` when the id does not follow it (docs/people.md).
  public static func derived(from episode: EpisodeID) -> ShowID? {
    let raw = episode.rawValue
    guard let match = raw.ranges(of: /-s[0-9]+e[0-9]+/).last, match.lowerBound > raw.startIndex
    else { return nil }
    return try? ShowID(String(raw[..<match.lowerBound]))
  }
}
