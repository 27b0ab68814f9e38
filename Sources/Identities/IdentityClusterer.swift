import Artifacts
import FaceAlignment
import FaceQuality
import Foundation
import Inference
import Logging
import Media

/// An error of the identities stage.
public enum IdentitiesError: Error, CustomStringConvertible, LocalizedError {
  /// A required input is missing.
  case missingInput(path: String, what: String)
  /// An input is inconsistent (file, line when known, message).
  case invalidInput(path: String, line: Int?, message: String)
  /// The existing `identities.json` is invalid; it is not overwritten without `--force`.
  case invalidIdentities(path: String, problems: [String])
  /// No cluster threshold: neither given nor in the manifest.
  case noThreshold(String)
  /// An edit that cannot be made.
  case edit(String)

  public var description: String {
    switch self {
    case .missingInput(let path, let what): return "missing \(what): \(path)"
    case .invalidInput(let path, let line, let message):
      return "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    case .invalidIdentities(let path, let problems):
      return "\(path) is invalid (edited by hand?); fix it or pass --force to replace it:\n  "
        + problems.joined(separator: "\n  ")
    case .noThreshold(let message): return message
    case .edit(let message): return message
    }
  }

  public var errorDescription: String? { description }
}

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
  }

  /// Multi-line text for the terminal.
  public func text() -> String {
    var lines = [
      "identities \(episode): \(identities.count) identities from \(tracks) tracks "
        + String(format: "(cluster_thresh %.3f", threshold) + ", \(lockedKept) locked kept, "
        + "\(labelsCarried) labels carried, \(cannotLinkPairs) cannot-link pairs)"
    ]
    for identity in identities {
      lines.append(
        "  \(identity.identityID)  \(identity.tracks) track\(identity.tracks == 1 ? "" : "s"), "
          + "\(identity.faces) faces" + (identity.name.map { "  \"\($0)\"" } ?? "")
          + (identity.locked ? "  [locked]" : ""))
    }
    lines.append("  wrote: " + artifacts.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}

/// Turns faces into people: pools each track's faces into one vector, clusters the tracks
/// (agglomerative, cannot-link for tracks that share a frame), and writes
/// `track_embeddings.npy` / `.jsonl`, `identities.json` and one representative thumbnail per
/// identity. A previous `identities.json` is respected: locked identities are kept exactly,
/// labels follow the faces they named, and identity ids stay where membership is unchanged.
public final class IdentityClusterer {
  private let layout: DataLayout
  private let episode: EpisodeID
  private let config: ClusterConfig
  private let manifest: ModelManifest?
  private let logger: Logger
  /// Replace an invalid `identities.json` instead of refusing.
  public var force = false
  /// The clock (tests fix it).
  public var now: () -> Date = { Date() }

  /// Prepares a run on `episode`. `manifest` supplies the default threshold.
  public init(
    layout: DataLayout, episode: EpisodeID, config: ClusterConfig, manifest: ModelManifest?,
    logger: Logger = Logger(label: "faceharvest.identities")
  ) {
    self.layout = layout
    self.episode = episode
    self.config = config
    self.manifest = manifest
    self.logger = logger
  }

  /// Runs the stage.
  public func run() throws -> ClusterSummary {
    let started = Date()
    let inputs = try EpisodeFaces.load(layout: layout, episode: episode)
    let threshold = try clusterThreshold(width: inputs.embeddings.columns)
    let previous = try loadPrevious(knownTracks: Set(inputs.trackOrder))

    // Pool.
    let pooler = TrackPooler(trimDistance: config.trimDistance)
    var pooled: [PooledTrack] = []
    for trackID in inputs.trackOrder {
      guard let rows = inputs.facesByTrack[trackID], !rows.isEmpty else { continue }
      let faces = rows.map { row in
        (row: row, embedding: inputs.embeddings.row(row), quality: inputs.faces[row].qualityScore)
      }
      if let track = pooler.pool(trackID: trackID, faces: faces) { pooled.append(track) }
    }
    let pooledByTrack = Dictionary(uniqueKeysWithValues: pooled.map { ($0.trackID, $0) })

    // Locked identities keep their tracks; the rest are clustered.
    let locked = previous?.identities.filter(\.locked) ?? []
    let lockedTracks = Set(locked.flatMap(\.trackIDs))
    let free = pooled.filter { !lockedTracks.contains($0.trackID) }
    let index = Dictionary(uniqueKeysWithValues: free.enumerated().map { ($1.trackID, $0) })
    let cannotLink = inputs.sharedFramePairs.compactMap { pair -> (Int, Int)? in
      guard let a = index[pair.0], let b = index[pair.1] else { return nil }
      return (a, b)
    }
    let labels = AgglomerativeClustering.cluster(
      free.map(\.vector), linkage: config.linkage, maximumDistance: 1 - threshold,
      cannotLink: cannotLink)
    var groups: [[String]] = []
    var groupOf: [Int: Int] = [:]
    for (position, label) in labels.enumerated() {
      if let group = groupOf[label] {
        groups[group].append(free[position].trackID)
      } else {
        groupOf[label] = groups.count
        groups.append([free[position].trackID])
      }
    }
    // Clusters below min_cluster_size become singletons.
    var clusters: [[String]] = []
    var singletons: [[String]] = []
    for group in groups {
      if group.count >= config.minClusterSize && group.count > 1 {
        clusters.append(group)
      } else {
        singletons += group.map { [$0] }
      }
    }

    // Identities: stable ids, carried labels, timestamps.
    let timestamp = ArtifactTimestamp.string(from: now())
    let unlockedPrevious = previous?.identities.filter { !$0.locked } ?? []
    var nextNumber =
      (previous?.identities.compactMap { ArtifactID.number(in: $0.identityID, prefix: "identity") }
        .max() ?? 0) + 1
    let lockedClusterIDs = locked.compactMap(\.clusterID)
    var nextClusterID = (lockedClusterIDs.max() ?? 0) + 1
    func faces(_ tracks: [String]) -> Int {
      tracks.reduce(0) { $0 + (inputs.facesByTrack[$1]?.count ?? 0) }
    }
    // Which new group gets each previous identity's labels: the one holding most of its faces.
    let newGroups =
      clusters.map { (tracks: $0, cluster: true) }
      + singletons.map { (tracks: $0, cluster: false) }
    var labelSource: [Int: Identity] = [:]
    for old in unlockedPrevious where !old.labels.isEmpty {
      let overlap = newGroups.indices.map { group in
        faces(newGroups[group].tracks.filter(Set(old.trackIDs).contains))
      }
      guard let best = overlap.indices.max(by: { (overlap[$0], -$0) < (overlap[$1], -$1) }),
        overlap[best] > 0
      else { continue }
      if let current = labelSource[best],
        faces(current.trackIDs.filter(Set(newGroups[best].tracks).contains)) >= overlap[best]
      {
        continue
      }
      labelSource[best] = old
    }
    var identities = locked
    var labelsCarried = 0
    for (position, group) in newGroups.enumerated() {
      let members = group.tracks.sorted()
      let same = unlockedPrevious.first { Set($0.trackIDs) == Set(members) }
      let identityID: String
      if let same {
        identityID = same.identityID
      } else {
        identityID = ArtifactID.identity(nextNumber)
        nextNumber += 1
      }
      var carried = labelSource[position]?.labels ?? [:]
      if carried.isEmpty, let same { carried = same.labels }
      if !carried.isEmpty { labelsCarried += 1 }
      let clusterID: Int?
      if group.cluster {
        clusterID = nextClusterID
        nextClusterID += 1
      } else {
        clusterID = nil
      }
      var identity = Identity(
        identityID: identityID, clusterID: clusterID, trackIDs: members,
        canonicalFacePath: DataLayout.identityThumbRelativePath(identityID: identityID),
        embeddingStats: Self.stats(members.compactMap { pooledByTrack[$0] }),
        labels: carried, locked: false, createdAt: same?.createdAt ?? timestamp,
        updatedAt: timestamp)
      if let same, same.clusterID == clusterID || (same.clusterID != nil) == (clusterID != nil),
        same.labels == carried, same.embeddingStats == identity.embeddingStats
      {
        identity = same
        identity.clusterID = clusterID
      }
      identities.append(identity)
    }
    identities.sort { ($0.identityID.count, $0.identityID) < ($1.identityID.count, $1.identityID) }

    let document = IdentitiesDocument(
      identities: identities,
      metadata: Self.metadata(
        identities,
        previous: IdentitiesMetadata(
          epID: episode.rawValue, numTracks: 0, numClusters: 0, numSingletons: 0,
          singletonFraction: 0, largestClusterSize: 0, largestClusterFraction: 0,
          clusterThresh: threshold, minClusterSize: config.minClusterSize,
          algorithm: "agglomerative", linkage: config.linkage.rawValue, createdAt: timestamp)))
    let clustered = document.metadata.numTracks

    // Thumbnails first (each file atomic), then the embeddings and identities.json.
    try ThumbnailRenderer(layout: layout, episode: episode, logger: logger).render(
      identities, inputs: inputs, keep: Set(locked.map(\.identityID)))
    let matrix = try NPYMatrix(
      rowVectors: pooled.map(\.vector), columns: inputs.embeddings.columns)
    try matrix.write(
      to: layout.trackEmbeddingsNPY(episode),
      displayPath: layout.relativePath(layout.trackEmbeddingsNPY(episode)))
    try JSONLWriter<TrackEmbeddingRow>.write(
      pooled.map {
        TrackEmbeddingRow(
          trackID: $0.trackID, numFaces: $0.numFaces, facesUsed: $0.facesUsed, spread: $0.spread)
      }, to: layout.trackEmbeddingsIndex(episode),
      displayPath: layout.relativePath(layout.trackEmbeddingsIndex(episode)))
    try AtomicFile.writeJSON(
      document, to: layout.identities(episode),
      displayPath: layout.relativePath(layout.identities(episode)))
    ThumbnailRenderer(layout: layout, episode: episode, logger: logger).removeStale(
      keeping: Set(identities.map(\.identityID)))

    try ScreenTimeWriter(layout: layout, episode: episode, config: config, logger: logger).write()
    return ClusterSummary(
      episode: episode.rawValue,
      identities: identities.map {
        .init(
          identityID: $0.identityID, tracks: $0.trackIDs.count, faces: faces($0.trackIDs),
          name: $0.labels["name"], locked: $0.locked)
      },
      threshold: threshold, tracks: clustered, labelsCarried: labelsCarried,
      lockedKept: locked.count, cannotLinkPairs: cannotLink.count,
      seconds: Date().timeIntervalSince(started),
      artifacts: [
        layout.trackEmbeddingsNPY(episode), layout.trackEmbeddingsIndex(episode),
        layout.identities(episode), layout.screentimeJSON(episode), layout.screentimeCSV(episode),
      ].map(layout.relativePath))
  }

  /// `previous` with its counts recomputed from `identities` (the settings and `created_at`
  /// stay: they describe the clustering run).
  static func metadata(_ identities: [Identity], previous: IdentitiesMetadata)
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

  /// The threshold: the config's, else the manifest's for the embedder of this width.
  public func clusterThreshold(width: Int) throws -> Double {
    if let value = config.clusterThresh { return value }
    let candidates =
      manifest?.models.filter {
        $0.role == .embedder && $0.outputWidth == width && $0.identityThreshold != nil
      } ?? []
    guard candidates.count == 1, let value = candidates[0].identityThreshold else {
      throw IdentitiesError.noThreshold(
        "no cluster threshold: pass --cluster-thresh (the manifest has \(candidates.count) "
          + "embedders of width \(width) with an identity_threshold)")
    }
    return Double(value)
  }

  /// Centroid norm, variance (mean squared distance of the members to their mean), counts.
  static func stats(_ tracks: [PooledTrack]) -> EmbeddingStats {
    guard let width = tracks.first?.vector.count else {
      return EmbeddingStats(centroidNorm: 0, variance: 0, numTracks: 0, numFacesTotal: 0)
    }
    var mean = [Double](repeating: 0, count: width)
    for track in tracks {
      for dimension in 0..<width { mean[dimension] += Double(track.vector[dimension]) }
    }
    mean = mean.map { $0 / Double(tracks.count) }
    var variance = 0.0
    for track in tracks {
      for dimension in 0..<width {
        let difference = Double(track.vector[dimension]) - mean[dimension]
        variance += difference * difference
      }
    }
    return EmbeddingStats(
      centroidNorm: (mean.reduce(0) { $0 + $1 * $1 }).squareRoot(),
      variance: variance / Double(tracks.count), numTracks: tracks.count,
      numFacesTotal: tracks.reduce(0) { $0 + $1.numFaces })
  }

  /// The previous `identities.json`, checked against the tracks; nil when absent (or invalid
  /// and `force`).
  func loadPrevious(knownTracks: Set<String>) throws -> IdentitiesDocument? {
    let url = layout.identities(episode)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    let path = layout.relativePath(url)
    var problems: [String] = []
    var document: IdentitiesDocument?
    do {
      document = try AtomicFile.readJSON(IdentitiesDocument.self, from: url, displayPath: path)
    } catch {
      problems.append("\(error)")
    }
    if let document {
      problems += Self.problems(in: document, knownTracks: knownTracks)
    }
    guard problems.isEmpty else {
      if force {
        logger.warning(
          "replacing an invalid identities.json (--force)",
          metadata: ["problems": "\(problems.joined(separator: "; "))"])
        return nil
      }
      throw IdentitiesError.invalidIdentities(path: path, problems: problems)
    }
    return document
  }

  /// Unknown tracks, tracks in two identities, duplicate identity ids.
  public static func problems(in document: IdentitiesDocument, knownTracks: Set<String>)
    -> [String]
  {
    var problems: [String] = []
    var owner: [String: String] = [:]
    var seen = Set<String>()
    for (index, identity) in document.identities.enumerated() {
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

  enum CodingKeys: String, CodingKey {
    case trackID = "track_id"
    case numFaces = "num_faces"
    case facesUsed = "faces_used"
    case spread
  }
}

/// The faces of one episode with their embeddings, grouped by track, and the pairs of tracks
/// that share a frame.
struct EpisodeFaces {
  var trackOrder: [String]
  var faces: [Face]
  var embeddings: NPYMatrix
  var facesByTrack: [String: [Int]]
  var sharedFramePairs: [(String, String)]

  static func load(layout: DataLayout, episode: EpisodeID) throws -> EpisodeFaces {
    let tracksURL = layout.tracks(episode)
    let facesURL = layout.faces(episode)
    let npyURL = layout.facesNPY(episode)
    for (url, what) in [
      (tracksURL, "tracks"), (facesURL, "faces (run --faces-embed)"), (npyURL, "faces.npy"),
    ]
    where !FileManager.default.fileExists(atPath: url.path) {
      throw IdentitiesError.missingInput(path: url.path, what: what)
    }
    let tracks = try JSONLReader<Track>.readAll(
      from: tracksURL, displayPath: layout.relativePath(tracksURL))
    let faces = try JSONLReader<Face>.readAll(
      from: facesURL, displayPath: layout.relativePath(facesURL))
    let embeddings = try NPYMatrix.read(from: npyURL, displayPath: layout.relativePath(npyURL))
    guard embeddings.rows == faces.count else {
      throw IdentitiesError.invalidInput(
        path: layout.relativePath(npyURL), line: nil,
        message: "\(embeddings.rows) rows but faces.jsonl has \(faces.count) lines")
    }
    let known = Set(tracks.map(\.trackID))
    var byTrack: [String: [Int]] = [:]
    for (index, face) in faces.enumerated() {
      guard known.contains(face.trackID) else {
        throw IdentitiesError.invalidInput(
          path: layout.relativePath(facesURL), line: index + 1,
          message: "track_id \(face.trackID) is not in tracks.jsonl")
      }
      byTrack[face.trackID, default: []].append(index)
    }

    // Tracks that share a frame: from detections.jsonl when present, else overlapping spans.
    var pairs = Set<[String]>()
    let detectionsURL = layout.detections(episode)
    if FileManager.default.fileExists(atPath: detectionsURL.path) {
      var frameTracks: [Int: [String]] = [:]
      try JSONLReader<Detection>(
        url: detectionsURL, displayPath: layout.relativePath(detectionsURL)
      )
      .forEachRow { _, detection in
        if let track = detection.trackID {
          frameTracks[detection.frameIndex, default: []].append(track)
        }
      }
      for members in frameTracks.values where members.count > 1 {
        let unique = Array(Set(members)).sorted()
        for i in unique.indices {
          for j in (i + 1)..<unique.count { pairs.insert([unique[i], unique[j]]) }
        }
      }
    } else {
      for i in tracks.indices {
        for j in (i + 1)..<tracks.count
        where tracks[i].frameSpan[0] <= tracks[j].frameSpan[1]
          && tracks[j].frameSpan[0] <= tracks[i].frameSpan[1]
        {
          pairs.insert([tracks[i].trackID, tracks[j].trackID].sorted())
        }
      }
    }
    return EpisodeFaces(
      trackOrder: tracks.map(\.trackID), faces: faces, embeddings: embeddings,
      facesByTrack: byTrack,
      sharedFramePairs: pairs.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) })
  }
}
