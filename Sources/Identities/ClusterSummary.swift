import Artifacts
import Foundation

/// What a clustering run did.
public struct ClusterSummary: Sendable, Codable, Equatable {
  /// The episode.
  public var episode: String
  /// The identities written, in file order: id, tracks, faces, labels, locked.
  public var identities: [IdentityLine]
  /// The `cluster_thresh` used.
  public var threshold: Double
  /// Tracks clustered.
  public var tracks: Int
  /// Identities whose labels came from the previous file.
  public var labelsCarried: Int
  /// Locked identities kept as they were.
  public var lockedKept: Int
  /// Merges the cannot-link rule prevented (pairs of tracks sharing a frame).
  public var cannotLinkPairs: Int
  /// Tracks in no identity, by reason (`metadata.unidentified_tracks`).
  public var unidentified: [String: Int]
  /// Wall-clock seconds.
  public var seconds: Double
  /// Artifacts written.
  public var artifacts: [String]

  /// One identity, for the summary.
  public struct IdentityLine: Sendable, Codable, Equatable {
    /// `identity_id`.
    public var identityID: String
    /// Tracks.
    public var tracks: Int
    /// Faces.
    public var faces: Int
    /// `labels.name`, when set.
    public var name: String?
    /// Locked.
    public var locked: Bool
    /// `true` when the name is a people-registry suggestion (docs/people.md).
    public var suggested: Bool? = nil
  }

  /// Multi-line text for the terminal.
  public func text() -> String {
    var lines = [
      "identities \(episode): \(identities.count) identities from \(tracks) tracks "
        + String(format: "(cluster_thresh %.3f", threshold) + ", \(lockedKept) locked kept, "
        + "\(labelsCarried) labels carried, \(cannotLinkPairs) cannot-link pairs)"
    ]
    let unplaced = unidentified.values.reduce(0, +)
    if unplaced > 0 {
      lines.append(
        "  unidentified tracks: \(unplaced) ("
          + unidentified.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
          .map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
    }
    for identity in identities {
      lines.append(
        "  \(identity.identityID)  \(identity.tracks) track\(identity.tracks == 1 ? "" : "s"), "
          + "\(identity.faces) faces" + (identity.name.map { "  \"\($0)\"" } ?? "")
          + (identity.suggested == true ? " (suggested)" : "")
          + (identity.locked ? "  [locked]" : ""))
    }
    lines.append("  wrote: " + artifacts.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}

/// A row of `embeds/{ep_id}/track_embeddings.jsonl`: what row i of `track_embeddings.npy` is.
public struct TrackEmbeddingRow: Codable, Hashable, Sendable {
  /// The track.
  public var trackID: String
  /// Faces of the track in `faces.jsonl`.
  public var numFaces: Int
  /// Faces the pooled vector used (after trimming).
  public var facesUsed: Int
  /// Largest pairwise cosine distance between the track's faces.
  public var spread: Double
  /// `true` when the vector pools probe faces (the track has no accepted face); absent otherwise.
  public var probe: Bool?

  enum CodingKeys: String, CodingKey {
    case trackID = "track_id"
    case numFaces = "num_faces"
    case facesUsed = "faces_used"
    case spread
    case probe
  }
}
