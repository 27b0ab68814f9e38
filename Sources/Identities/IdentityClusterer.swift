public import Artifacts
import FaceAlignment
public import FaceHarvestCore
import FaceQuality
public import Foundation
import Inference
public import Logging
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
  /// An edit that cannot be made (a rule it would break, such as two tracks sharing a frame).
  case edit(String)
  /// An edit names an identity that `identities.json` (at `path`) does not have.
  case unknownIdentity(String, path: String)
  /// An edit names a track that no identity holds.
  case unknownTrack(String)
  /// An edit would change a locked identity.
  case locked(String)

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
    case .unknownIdentity(let identityID, let path): return "\(identityID) is not in \(path)"
    case .unknownTrack(let trackID): return "\(trackID) is in no identity"
    case .locked(let identityID): return "\(identityID) is locked: unlock it first"
    }
  }

  public var errorDescription: String? { description }
}

/// Turns faces into people: pools each track's faces into one vector, clusters the tracks
/// (agglomerative, cannot-link for tracks that share a frame), and writes
/// `track_embeddings.npy` / `.jsonl`, `identities.json`, one representative thumbnail per
/// identity and screen time, all in one commit. A previous `identities.json` is respected:
/// locked identities are kept exactly, labels follow the faces they named, and identity ids
/// stay where membership is unchanged.
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

  /// The show whose people registry suggests labels (docs/people.md): `show_id`, else derived
  /// from the episode id; `nil` for none.
  public func show() throws -> ShowID? {
    config.showID.isEmpty ? ShowID.derived(from: episode) : try ShowID(config.showID)
  }

  /// Runs the stage: pool, cluster the defining tracks, place the probe-only tracks, name the
  /// groups (`IdentityPlan`), suggest people, and commit.
  public func run() throws -> ClusterSummary {
    let started = Date()
    var inputs = try EpisodeFaces.load(layout: layout, episode: episode)
    let threshold = try clusterThreshold(width: inputs.embeddings.columns)
    let previous = try loadPrevious(knownTracks: Set(inputs.trackOrder))
    // A person's rejections are kept apart like tracks that share a frame, and carried on
    // (docs/identities.md, "Review by suggestion").
    let known = Set(inputs.trackOrder)
    let rejected = (previous?.metadata.rejectedPairs ?? []).filter {
      $0.count == 2 && known.contains($0[0]) && known.contains($0[1])
    }
    inputs.sharedFramePairs += rejected.map { ($0[0], $0[1]) }
    let grouping = group(inputs, threshold: threshold, previous: previous)
    let timestamp = ArtifactTimestamp.string(from: now())
    let planned = IdentityPlan(
      previous: previous?.identities ?? [], timestamp: timestamp,
      faces: { inputs.definingRows($0).count },
      stats: { Self.stats($0.compactMap { grouping.pooledByTrack[$0] }) }
    ).identities(for: grouping.groups)
    // `bestGroup` indexes the seed groups, the locked identities, then the new groups.
    let ids = planned.identities.map(\.identityID)
    let unidentified = Self.unidentified(
      grouping.probes.unidentified,
      groupIDs: Array(ids.prefix(grouping.seedCount)) + grouping.locked.map(\.identityID)
        + ids.dropFirst(grouping.seedCount),
      inputs: inputs, owned: Set((grouping.locked + planned.identities).flatMap(\.trackIDs)))
    var identities = grouping.locked + planned.identities
    identities.sort { ($0.identityID.count, $0.identityID) < ($1.identityID.count, $1.identityID) }
    identities = try suggestPeople(
      identities, vectors: grouping.pooledByTrack.mapValues(\.vector), threshold: threshold,
      width: inputs.embeddings.columns, timestamp: timestamp)
    let document = IdentitiesDocument(
      identities: identities,
      metadata: IdentitiesMetadata.recounted(
        identities,
        previous: IdentitiesMetadata(
          epID: episode.rawValue, numTracks: 0, numClusters: 0, numSingletons: 0,
          singletonFraction: 0, largestClusterSize: 0, largestClusterFraction: 0,
          clusterThresh: threshold, minClusterSize: config.minClusterSize,
          algorithm: "agglomerative", linkage: config.linkage.rawValue, createdAt: timestamp,
          unidentifiedTracks: unidentified,
          rejectedPairs: IdentitiesMetadata.normalisedPairs(rejected))))
    try commit(document, grouping: grouping, inputs: inputs)
    return summary(
      document, grouping: grouping, inputs: inputs, labelsCarried: planned.labelsCarried,
      started: started)
  }

  /// The groups of tracks of one run, before they are named.
  struct Grouping {
    /// Pooled vectors of every track, defining and probe.
    var pooledByTrack: [String: PooledTrack]
    /// The previous run's locked identities, kept as they are.
    var locked: [Identity]
    /// Groups: the clustered defining tracks (grown by the probe tracks that joined them), then
    /// the new groups of probe tracks.
    var groups: [[String]]
    /// How many of `groups` came from clustering.
    var seedCount: Int
    /// Where the probe tracks went.
    var probes: ProbeAssigner.Outcome
    /// Cannot-link pairs the clustering saw.
    var cannotLinkPairs: Int
  }

  /// Locked identities keep their tracks; the rest are clustered from their accepted faces,
  /// then the probe-only tracks are placed (docs/identities.md, "Coverage"): compared with the
  /// locked identities, never joined to them.
  func group(_ inputs: EpisodeFaces, threshold: Double, previous: IdentitiesDocument?)
    -> Grouping
  {
    let pooler = TrackPooler(trimDistance: config.trimDistance)
    let pooled = Self.pool(inputs, pooler: pooler, probes: false)
    let probePooled = Self.pool(inputs, pooler: pooler, probes: true)
    let pooledByTrack = Dictionary(
      uniqueKeysWithValues: (pooled + probePooled).map { ($0.trackID, $0) })
    let locked = previous?.identities.filter(\.locked) ?? []
    let lockedTracks = Set(locked.flatMap(\.trackIDs))
    let threads = shotThreads(inputs)
    let seeds = clusterDefining(
      pooled.filter { !lockedTracks.contains($0.trackID) }, inputs: inputs, threshold: threshold,
      threads: threads)
    let assigner = probeAssigner(threshold: threshold)
    let evidence = probeEvidence(inputs, pooledByTrack: pooledByTrack, threads: threads)
    let lockedGroups = locked.map(\.trackIDs)
    let seedGroups = Self.attachLoneTracks(
      seeds, locked: lockedGroups, assigner: assigner, evidence: evidence)
    let probes = assigner.assign(
      probes: probePooled.map(\.trackID).filter { !lockedTracks.contains($0) },
      groups: seedGroups + lockedGroups, closedFrom: seedGroups.count, evidence: evidence)
    var groups = seedGroups
    for (group, tracks) in probes.joined { groups[group] += tracks }
    groups += probes.newGroups
    return Grouping(
      pooledByTrack: pooledByTrack, locked: locked, groups: groups, seedCount: seedGroups.count,
      probes: probes, cannotLinkPairs: seeds.cannotLinkPairs)
  }

  private func shotThreads(_ inputs: EpisodeFaces) -> ShotThreads {
    ShotThreads(
      shots: inputs.shots, meanBoxes: inputs.meanBoxes,
      trackFirstFrames: inputs.tracksByID.mapValues { $0.frameSpan.first ?? 0 },
      bonus: config.threadBonus, maxHistogramDistance: config.threadMaxDistance,
      minBoxIoU: config.threadMinIoU)
  }

  private func probeAssigner(threshold: Double) -> ProbeAssigner {
    ProbeAssigner(
      assignThreshold: config.probeThresh ?? threshold - 0.1, groupThreshold: threshold,
      margin: config.probeMargin,
      linkage: config.linkage, minTrackConfidence: config.probeMinTrackConf,
      solo: ProbeAssigner.Solo(
        minConfidence: config.probeSoloMinConf, minSeconds: config.probeSoloMinSeconds,
        maxSimilarity: config.probeSoloMaxSimilarity,
        minRecognisableFaces: config.probeSoloMinFaces,
        minAgreement: config.probeSoloMinAgreement),
      clearFace: ProbeAssigner.ClearFace(
        minFacePx: config.probeMinFacePx, clearFacePx: config.probeClearFacePx))
  }

  private func probeEvidence(
    _ inputs: EpisodeFaces, pooledByTrack: [String: PooledTrack], threads: ShotThreads
  ) -> ProbeAssigner.Evidence {
    ProbeAssigner.Evidence(
      vectors: pooledByTrack.mapValues(\.vector),
      cannotLink: Set(inputs.sharedFramePairs.map { [$0.0, $0.1].sorted() }),
      confidence: inputs.tracksByID.mapValues(\.stats.avgConf),
      seconds: inputs.tracksByID.mapValues { $0.endSeconds - $0.startSeconds },
      bonus: threads.bonus,
      views: RecognisableFace(config).views(inputs))
  }

  /// Thumbnails, embeddings, identities.json and screen time in one commit, with the stage's
  /// provenance (docs/artifacts.md, "Commits"). Locked identities keep the thumbnail they have.
  private func commit(_ document: IdentitiesDocument, grouping: Grouping, inputs: EpisodeFaces)
    throws
  {
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "clustering")
    let lockedIDs = Set(grouping.locked.map(\.identityID))
    try ThumbnailRenderer(layout: layout, episode: episode, logger: logger).stage(
      document.identities,
      rendering: document.identities.filter {
        !lockedIDs.contains($0.identityID)
          || !FileManager.default.fileExists(
            atPath: layout.identityThumb(episode, identityID: $0.identityID).path)
      }, inputs: inputs, in: transaction)
    let trackRows = inputs.trackOrder.compactMap { grouping.pooledByTrack[$0] }
    try transaction.stage(
      NPYMatrix(rowVectors: trackRows.map(\.vector), columns: inputs.embeddings.columns),
      at: layout.trackEmbeddingsNPY(episode))
    try JSONLWriter<TrackEmbeddingRow>.stage(
      trackRows.map {
        TrackEmbeddingRow(
          trackID: $0.trackID, numFaces: $0.numFaces, facesUsed: $0.facesUsed, spread: $0.spread,
          probe: inputs.facesByTrack[$0.trackID] == nil ? true : nil)
      }, at: layout.trackEmbeddingsIndex(episode), layout: layout, in: transaction)
    try transaction.stageJSON(document, at: layout.identities(episode))
    try ScreenTimeWriter(layout: layout, episode: episode, config: config, logger: logger)
      .stage(document, in: transaction)
    let video = layout.video(episode)
    transaction.provenance = .stage(
      .cluster,
      video: try ContentHash.videoIdentity(of: video, displayPath: layout.relativePath(video)))
    try transaction.commit()
  }

  private func summary(
    _ document: IdentitiesDocument, grouping: Grouping, inputs: EpisodeFaces, labelsCarried: Int,
    started: Date
  ) -> ClusterSummary {
    let unidentified = document.metadata.unidentifiedTracks ?? []
    return ClusterSummary(
      episode: episode.rawValue,
      identities: document.identities.map {
        .init(
          identityID: $0.identityID, tracks: $0.trackIDs.count,
          faces: $0.trackIDs.reduce(0) { $0 + inputs.definingRows($1).count },
          name: $0.labels["name"], locked: $0.locked,
          suggested: PeopleMatcher.isSuggestion($0.labels) ? true : nil)
      },
      threshold: document.metadata.clusterThresh, tracks: document.metadata.numTracks,
      labelsCarried: labelsCarried, lockedKept: grouping.locked.count,
      cannotLinkPairs: grouping.cannotLinkPairs,
      unidentified: Dictionary(grouping: unidentified, by: \.reason).mapValues(\.count),
      seconds: Date().timeIntervalSince(started),
      artifacts: [
        layout.trackEmbeddingsNPY(episode), layout.trackEmbeddingsIndex(episode),
        layout.identities(episode), layout.screentimeJSON(episode), layout.screentimeCSV(episode),
      ].map(layout.relativePath))
  }

  /// `identities` with the show's registered people suggested (docs/people.md, "Matching"): at
  /// `cluster_thresh` with `probe_margin`; with no registry, old suggestions are dropped.
  private func suggestPeople(
    _ identities: [Identity], vectors: [String: [Float]], threshold: Double, width: Int,
    timestamp: String
  ) throws -> [Identity] {
    let people =
      try show().map { try PeopleRegistry(layout: layout, show: $0).load().people } ?? []
    var model = EmbedderIdentity(name: "", width: width)
    if !people.isEmpty {
      do {
        model = try EmbedderIdentity.resolve(manifest: manifest, width: width)
      } catch {
        logger.warning("people registry not used: \(error)")
      }
    }
    let suggested = PeopleMatcher(threshold: threshold, margin: config.probeMargin).suggest(
      identities, vectors: vectors, people: model.name.isEmpty ? [] : people, model: model)
    return zip(identities, suggested).map { old, new in
      var identity = new
      if identity.labels != old.labels { identity.updatedAt = timestamp }
      return identity
    }
  }

  /// One pooled vector per track, in `tracks.jsonl` order: from accepted faces, or (`probes`)
  /// from probe faces for the tracks that have no accepted face.
  static func pool(_ inputs: EpisodeFaces, pooler: TrackPooler, probes: Bool) -> [PooledTrack] {
    inputs.trackOrder.compactMap { trackID in
      let rows: [Int]?
      if probes {
        rows = inputs.facesByTrack[trackID] == nil ? inputs.probesByTrack[trackID] : nil
      } else {
        rows = inputs.facesByTrack[trackID]
      }
      guard let rows, !rows.isEmpty else { return nil }
      return pooler.pool(
        trackID: trackID,
        faces: rows.map { row in
          (row: row, embedding: inputs.embeddings.row(row), quality: inputs.faces[row].qualityScore)
        })
    }
  }

  /// The defining tracks clustered: clusters of at least `min_cluster_size` tracks, then one
  /// singleton group per remaining track.
  private func clusterDefining(
    _ free: [PooledTrack], inputs: EpisodeFaces, threshold: Double, threads: ShotThreads
  ) -> DefiningGroups {
    let index = Dictionary(uniqueKeysWithValues: free.enumerated().map { ($1.trackID, $0) })
    let cannotLink = inputs.sharedFramePairs.compactMap { pair -> (Int, Int)? in
      guard let a = index[pair.0], let b = index[pair.1] else { return nil }
      return (a, b)
    }
    let labels = AgglomerativeClustering.cluster(
      free.map(\.vector), linkage: config.linkage, maximumDistance: 1 - threshold,
      cannotLink: cannotLink, bonus: threads.pairBonuses(free.map(\.trackID)))
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
    let clusters = groups.filter { $0.count >= config.minClusterSize && $0.count > 1 }
    let singletons = groups.filter { !($0.count >= config.minClusterSize && $0.count > 1) }
      .flatMap { $0.map { [$0] } }
    return DefiningGroups(
      groups: clusters + singletons, clusterCount: clusters.count,
      lone: Set(groups.filter { $0.count == 1 }.flatMap { $0 }), cannotLinkPairs: cannotLink.count)
  }

  /// The clustering of the defining tracks: clusters first, then singleton groups.
  struct DefiningGroups {
    var groups: [[String]]
    var clusterCount: Int
    /// Tracks that clustered alone (not those split off a group below `min_cluster_size`).
    var lone: Set<String>
    var cannotLinkPairs: Int
  }

  /// A track that clustered alone joins a cluster it matches clearly at the probe threshold
  /// (docs/identities.md, "Coverage"): an expression or a turned head can keep a good face just
  /// below `cluster_thresh` of its own person. The groups keep their order; joined singletons
  /// leave theirs.
  static func attachLoneTracks(
    _ seeds: DefiningGroups, locked: [[String]], assigner: ProbeAssigner,
    evidence: ProbeAssigner.Evidence
  ) -> [[String]] {
    let clusters = Array(seeds.groups[..<seeds.clusterCount])
    let lone = seeds.groups[seeds.clusterCount...].flatMap { $0 }.filter(seeds.lone.contains)
    // A lone track must also be as close as `cluster_thresh` to one member: a clear face that
    // is only moderately like a whole group is more likely somebody else (at 640×360 two bald
    // actors' close-ups were 0.36 alike, over `probe_thresh`).
    var joined = assigner.join(
      lone, groups: clusters + locked, closedFrom: clusters.count, evidence: evidence
    ).joined
    for (cluster, tracks) in joined {
      joined[cluster] = tracks.filter { track in
        clusters[cluster].contains { evidence.similarity(track, $0) >= assigner.groupThreshold }
      }
    }
    var groups = clusters
    for (cluster, tracks) in joined { groups[cluster] += tracks }
    let moved = Set(joined.values.flatMap { $0 })
    return groups + seeds.groups[seeds.clusterCount...].filter { !moved.contains($0[0]) }
  }

  /// Every track in no identity, with its reason, in `tracks.jsonl` order: the probe tracks left
  /// out, and the tracks with neither accepted nor probe faces.
  static func unidentified(
    _ probes: [ProbeAssigner.Unassigned], groupIDs: [String], inputs: EpisodeFaces,
    owned: Set<String>
  ) -> [UnidentifiedTrack] {
    let byTrack = Dictionary(
      probes.map { ($0.trackID, $0) }, uniquingKeysWith: { first, _ in first })
    return inputs.trackOrder.compactMap { trackID in
      guard !owned.contains(trackID) else { return nil }
      if let probe = byTrack[trackID] {
        return UnidentifiedTrack(
          trackID: trackID, reason: probe.reason,
          bestIdentityID: probe.bestGroup.map { groupIDs[$0] },
          bestSimilarity: probe.bestSimilarity.map { ($0 * 1e4).rounded() / 1e4 })
      }
      let detected = inputs.tracksWithDetections?.contains(trackID) ?? true
      return UnidentifiedTrack(trackID: trackID, reason: detected ? .noUsableFace : .noDetections)
    }
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
      problems += document.problems(knownTracks: knownTracks)
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

}
