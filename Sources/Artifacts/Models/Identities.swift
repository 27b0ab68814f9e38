public import Foundation

/// `identities.json`: the identities of one episode and how they were clustered.
public struct IdentitiesDocument: Codable, Hashable, Sendable {
  /// `identities`.
  public var identities: [Identity]
  /// `metadata`.
  public var metadata: IdentitiesMetadata

  enum CodingKeys: String, CodingKey {
    case identities
    case metadata
  }

  /// An identities document.
  public init(identities: [Identity], metadata: IdentitiesMetadata) {
    self.identities = identities
    self.metadata = metadata
  }
}

/// One identity: a set of tracks judged to be the same person.
public struct Identity: Codable, Hashable, Sendable {
  /// `identity_id`: `identity-{N:05d}`.
  public var identityID: String
  /// `cluster_id`: the cluster number, or `nil` (written as JSON `null`) for singletons.
  public var clusterID: Int?
  /// `track_ids`: the tracks of this identity; a track belongs to at most one identity.
  public var trackIDs: [String]
  /// `canonical_face_path`: representative thumbnail, relative to `frames/{ep_id}/`
  /// (`thumbs/{identity_id}/rep.jpg`).
  public var canonicalFacePath: String
  /// `embedding_stats`.
  public var embeddingStats: EmbeddingStats
  /// `labels`: human labels (`person_id`, `name`, …); empty for unlabeled (also when absent).
  public var labels: [String: String]
  /// `locked`: confirmed by a human, protected from automatic merge/split.
  public var locked: Bool
  /// `created_at`: ISO-8601 timestamp (see `ArtifactTimestamp`).
  public var createdAt: String
  /// `updated_at`: ISO-8601 timestamp.
  public var updatedAt: String

  enum CodingKeys: String, CodingKey {
    case identityID = "identity_id"
    case clusterID = "cluster_id"
    case trackIDs = "track_ids"
    case canonicalFacePath = "canonical_face_path"
    case embeddingStats = "embedding_stats"
    case labels
    case locked
    case createdAt = "created_at"
    case updatedAt = "updated_at"
  }

  /// An identity.
  public init(
    identityID: String, clusterID: Int?, trackIDs: [String], canonicalFacePath: String,
    embeddingStats: EmbeddingStats, labels: [String: String] = [:], locked: Bool = false,
    createdAt: String, updatedAt: String
  ) {
    self.identityID = identityID
    self.clusterID = clusterID
    self.trackIDs = trackIDs
    self.canonicalFacePath = canonicalFacePath
    self.embeddingStats = embeddingStats
    self.labels = labels
    self.locked = locked
    self.createdAt = createdAt
    self.updatedAt = updatedAt
  }

  /// Decodes an identity: `cluster_id` must be present (a number or `null`); a missing `labels`
  /// becomes `[:]`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    identityID = try container.decode(String.self, forKey: .identityID)
    clusterID = try container.decode(Int?.self, forKey: .clusterID)
    trackIDs = try container.decode([String].self, forKey: .trackIDs)
    canonicalFacePath = try container.decode(String.self, forKey: .canonicalFacePath)
    embeddingStats = try container.decode(EmbeddingStats.self, forKey: .embeddingStats)
    labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    locked = try container.decode(Bool.self, forKey: .locked)
    createdAt = try container.decode(String.self, forKey: .createdAt)
    updatedAt = try container.decode(String.self, forKey: .updatedAt)
  }

  /// Encodes the identity, writing `cluster_id: null` for singletons.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(identityID, forKey: .identityID)
    if let clusterID {
      try container.encode(clusterID, forKey: .clusterID)
    } else {
      try container.encodeNil(forKey: .clusterID)
    }
    try container.encode(trackIDs, forKey: .trackIDs)
    try container.encode(canonicalFacePath, forKey: .canonicalFacePath)
    try container.encode(embeddingStats, forKey: .embeddingStats)
    try container.encode(labels, forKey: .labels)
    try container.encode(locked, forKey: .locked)
    try container.encode(createdAt, forKey: .createdAt)
    try container.encode(updatedAt, forKey: .updatedAt)
  }
}

/// The `embedding_stats` block of an identity.
public struct EmbeddingStats: Codable, Hashable, Sendable {
  /// `centroid_norm`: norm of the cluster centroid (≈ 1).
  public var centroidNorm: Double
  /// `variance`: intra-cluster variance.
  public var variance: Double
  /// `num_tracks`: tracks in the identity.
  public var numTracks: Int
  /// `num_faces_total`: faces across those tracks.
  public var numFacesTotal: Int

  enum CodingKeys: String, CodingKey {
    case centroidNorm = "centroid_norm"
    case variance
    case numTracks = "num_tracks"
    case numFacesTotal = "num_faces_total"
  }

  /// Embedding statistics.
  public init(centroidNorm: Double, variance: Double, numTracks: Int, numFacesTotal: Int) {
    self.centroidNorm = centroidNorm
    self.variance = variance
    self.numTracks = numTracks
    self.numFacesTotal = numFacesTotal
  }
}

/// The `metadata` block of `identities.json`.
public struct IdentitiesMetadata: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `num_tracks`: tracks clustered.
  public var numTracks: Int
  /// `num_clusters`: clusters formed.
  public var numClusters: Int
  /// `num_singletons`: tracks in singleton clusters.
  public var numSingletons: Int
  /// `singleton_fraction`: `num_singletons / num_tracks`.
  public var singletonFraction: Double
  /// `largest_cluster_size`: tracks in the largest cluster.
  public var largestClusterSize: Int
  /// `largest_cluster_fraction`: `largest_cluster_size / num_tracks`.
  public var largestClusterFraction: Double
  /// `cluster_thresh`: the cosine-similarity threshold used.
  public var clusterThresh: Double
  /// `min_cluster_size`: minimum tracks per cluster.
  public var minClusterSize: Int
  /// `algorithm`: e.g. `agglomerative`.
  public var algorithm: String
  /// `linkage`: `ward`, `average` or `complete`.
  public var linkage: String
  /// `created_at`: ISO-8601 timestamp of the clustering run.
  public var createdAt: String
  /// `unidentified_tracks`: every track of `tracks.jsonl` in no identity, with the reason
  /// (docs/identities.md). Absent in files written before coverage was recorded.
  public var unidentifiedTracks: [UnidentifiedTrack]?
  /// `rejected_pairs`: pairs of tracks a person said are not one person (a rejected review
  /// suggestion, docs/identities.md, "Review by suggestion"), each sorted, the list sorted;
  /// clustering keeps them apart like tracks that share a frame, and carries them to its next
  /// run. Absent when there are none.
  public var rejectedPairs: [[String]]?

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case numTracks = "num_tracks"
    case numClusters = "num_clusters"
    case numSingletons = "num_singletons"
    case singletonFraction = "singleton_fraction"
    case largestClusterSize = "largest_cluster_size"
    case largestClusterFraction = "largest_cluster_fraction"
    case clusterThresh = "cluster_thresh"
    case minClusterSize = "min_cluster_size"
    case algorithm
    case linkage
    case createdAt = "created_at"
    case unidentifiedTracks = "unidentified_tracks"
    case rejectedPairs = "rejected_pairs"
  }

  /// Clustering metadata.
  public init(
    epID: String, numTracks: Int, numClusters: Int, numSingletons: Int, singletonFraction: Double,
    largestClusterSize: Int, largestClusterFraction: Double, clusterThresh: Double,
    minClusterSize: Int, algorithm: String, linkage: String, createdAt: String,
    unidentifiedTracks: [UnidentifiedTrack]? = nil, rejectedPairs: [[String]]? = nil
  ) {
    self.epID = epID
    self.numTracks = numTracks
    self.numClusters = numClusters
    self.numSingletons = numSingletons
    self.singletonFraction = singletonFraction
    self.largestClusterSize = largestClusterSize
    self.largestClusterFraction = largestClusterFraction
    self.clusterThresh = clusterThresh
    self.minClusterSize = minClusterSize
    self.algorithm = algorithm
    self.linkage = linkage
    self.createdAt = createdAt
    self.unidentifiedTracks = unidentifiedTracks
    self.rejectedPairs = rejectedPairs
  }

  /// `pairs` as `rejected_pairs` holds them: each sorted, no self pair, no repeat, sorted; nil
  /// when empty.
  public static func normalisedPairs(_ pairs: [[String]]) -> [[String]]? {
    let set = Set(pairs.filter { $0.count == 2 && $0[0] != $0[1] }.map { $0.sorted() })
    return set.isEmpty ? nil : set.sorted { $0.lexicographicallyPrecedes($1) }
  }
}

/// A track that is in no identity, and why (`metadata.unidentified_tracks`).
public struct UnidentifiedTrack: Codable, Hashable, Sendable {
  /// `track_id`.
  public var trackID: String
  /// `reason`: one of `UnidentifiedTrack.Reason`'s raw values.
  public var reason: String
  /// `best_identity_id`: the identity it resembled most, when it was compared with any.
  public var bestIdentityID: String?
  /// `best_similarity`: its similarity to that identity.
  public var bestSimilarity: Double?

  /// Why a track is in no identity (docs/identities.md).
  public enum Reason: String, Sendable, CaseIterable, Codable {
    /// The track has no detection row (nothing to look at).
    case noDetections = "no_detections"
    /// No face of the track passed even the probe floor (too small, invalid, blank).
    case noUsableFace = "no_usable_face"
    /// Track-level evidence says it is not a face (lamp, painting, back of a head).
    case notAFace = "not_a_face"
    /// It matched two identities too closely to choose, or its best match shares a frame with it.
    case ambiguous
    /// Seen only in probe faces, matching no identity and no other track.
    case unmatched
    /// Every face of the track is too small to recognise (under `probe_min_face_px`), and it
    /// matched no identity clearly: never guessed, never a person of its own.
    case tooSmall = "too_small"
    /// Every face is degraded (small, turned past `probe_max_yaw`, cut by the frame edge, or
    /// blurred), and it matched no identity clearly: a degraded view may join a person, never
    /// create one (docs/identities.md, "Degraded-only tracks").
    case degraded
  }

  enum CodingKeys: String, CodingKey {
    case trackID = "track_id"
    case reason
    case bestIdentityID = "best_identity_id"
    case bestSimilarity = "best_similarity"
  }

  /// An unidentified track.
  public init(
    trackID: String, reason: Reason, bestIdentityID: String? = nil, bestSimilarity: Double? = nil
  ) {
    self.trackID = trackID
    self.reason = reason.rawValue
    self.bestIdentityID = bestIdentityID
    self.bestSimilarity = bestSimilarity
  }
}

/// The ISO-8601 timestamps artifacts carry (`2025-11-18T12:34:56Z`, UTC, whole seconds).
public enum ArtifactTimestamp {
  /// `date` as `yyyy-MM-ddTHH:mm:ssZ` in UTC.
  public static func string(from date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
  }

  /// Parses an ISO-8601 date-time with a time zone, with or without fractional seconds.
  public static func date(from string: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: string) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: string)
  }
}

extension IdentitiesDocument {
  /// Unknown tracks, tracks in two identities, duplicate identity ids.
  public func problems(knownTracks: Set<String>) -> [String] {
    var problems: [String] = []
    var owner: [String: String] = [:]
    var seen = Set<String>()
    for (index, identity) in identities.enumerated() {
      if !seen.insert(identity.identityID).inserted {
        problems.append("identities[\(index)].identity_id \(identity.identityID) appears twice")
      }
      for track in identity.trackIDs {
        if !knownTracks.contains(track) {
          problems.append(
            "identities[\(index)] (\(identity.identityID)): \(track) is not in tracks.jsonl")
        }
        if let first = owner[track], first != identity.identityID {
          problems.append(
            "identities[\(index)] (\(identity.identityID)): \(track) is already in \(first)")
        }
        owner[track] = owner[track] ?? identity.identityID
      }
    }
    return problems
  }
}

extension IdentitiesMetadata {
  /// `previous` with its counts recomputed from `identities` (the settings and `created_at`
  /// stay: they describe the clustering run).
  public static func recounted(_ identities: [Identity], previous: IdentitiesMetadata)
    -> IdentitiesMetadata
  {
    var metadata = previous
    let tracks = identities.reduce(0) { $0 + $1.trackIDs.count }
    let singletonTracks = identities.filter { $0.clusterID == nil }.reduce(0) {
      $0 + $1.trackIDs.count
    }
    let largest = identities.map(\.trackIDs.count).max() ?? 0
    metadata.numTracks = tracks
    metadata.numClusters = identities.filter { $0.clusterID != nil }.count
    metadata.numSingletons = singletonTracks
    metadata.singletonFraction = tracks > 0 ? Double(singletonTracks) / Double(tracks) : 0
    metadata.largestClusterSize = largest
    metadata.largestClusterFraction = tracks > 0 ? Double(largest) / Double(tracks) : 0
    return metadata
  }
}
