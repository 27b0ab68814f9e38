public import Artifacts
public import Foundation
public import Logging

/// Human edits of `identities.json`: label, lock, unlock, merge, move a track, split a track
/// into its own identity. Every edit checks the file first (unknown tracks, a track in two
/// identities), refuses to change a locked identity's tracks, refuses to put two tracks that
/// share a frame into one identity (unless `force`), bumps `updated_at` of what it changed,
/// recomputes embedding statistics and metadata, and commits the file with the changed
/// identities' thumbnails and the recomputed screen time (docs/screentime.md) in one
/// `ArtifactTransaction`.
public struct IdentityEditor {
  private let layout: DataLayout
  private let episode: EpisodeID
  private let logger: Logger
  /// Allow an identity to hold tracks that share a frame.
  public var force = false
  /// The clock (tests fix it).
  public var now: () -> Date = { Date() }

  /// An editor of `episode`'s `identities.json`.
  public init(
    layout: DataLayout, episode: EpisodeID,
    logger: Logger = Logger(label: "faceharvest.identities")
  ) {
    self.layout = layout
    self.episode = episode
    self.logger = logger
  }

  /// Sets labels (`name`, `person_id`, …); an empty value removes that label. A locked
  /// identity is confirmed: its labels change only after an unlock. Returns the identity as
  /// written.
  @discardableResult
  public func label(_ identityID: String, _ labels: [String: String]) throws -> Identity {
    try edit(returning: identityID, membership: false) { document, changed in
      let index = try unlockedPosition(of: identityID, in: document)
      // A person's edit makes a suggested label theirs (docs/people.md).
      document.identities[index].labels[PeopleMatcher.Key.source] = nil
      document.identities[index].labels[PeopleMatcher.Key.similarity] = nil
      for (key, value) in labels {
        document.identities[index].labels[key] = value.isEmpty ? nil : value
      }
      changed.insert(identityID)
    }
  }

  /// Accepts an identity's suggested label (docs/people.md): it becomes a human label.
  @discardableResult
  public func acceptSuggestion(_ identityID: String) throws -> Identity {
    try edit(returning: identityID, membership: false) { document, changed in
      let index = try suggestionPosition(of: identityID, in: document)
      document.identities[index].labels[PeopleMatcher.Key.source] = nil
      document.identities[index].labels[PeopleMatcher.Key.similarity] = nil
      changed.insert(identityID)
    }
  }

  /// Rejects an identity's suggested label: it is removed, and that person is never suggested
  /// for this identity again (`rejected_person_ids`, carried with the labels on re-clustering).
  @discardableResult
  public func rejectSuggestion(_ identityID: String) throws -> Identity {
    try edit(returning: identityID, membership: false) { document, changed in
      let index = try suggestionPosition(of: identityID, in: document)
      let labels = document.identities[index].labels
      var rejected = PeopleMatcher.rejected(labels)
      if let personID = labels["person_id"] { rejected.insert(personID) }
      var kept = PeopleMatcher.withoutSuggestion(labels)
      kept[PeopleMatcher.Key.rejected] = rejected.sorted().joined(separator: ",")
      document.identities[index].labels = kept
      changed.insert(identityID)
    }
  }

  /// A person says `subject` — a track, or an identity — is none of `identityIDs`' persons (a
  /// rejected review suggestion, docs/identities.md, "Review by suggestion"): every pair of
  /// their tracks joins `metadata.rejected_pairs`, so suggestions leave the pairs out and
  /// re-clustering keeps them apart. Nobody moves. Returns the first identity as written.
  @discardableResult
  public func reject(_ subject: String, notIn identityIDs: [String]) throws -> Identity {
    guard let first = identityIDs.first else {
      throw IdentitiesError.edit("name at least one identity \(subject) is not")
    }
    return try edit(returning: first, membership: false) { document, changed in
      let subjectTracks: [String]
      if let identity = document.identities.first(where: { $0.identityID == subject }) {
        subjectTracks = identity.trackIDs
        changed.insert(subject)
      } else if document.identities.contains(where: { $0.trackIDs.contains(subject) })
        || document.metadata.unidentifiedTracks?.contains(where: { $0.trackID == subject }) == true
      {
        subjectTracks = [subject]
      } else {
        throw IdentitiesError.edit("\(subject) is neither an identity nor a track of this episode")
      }
      var pairs: [[String]] = []
      for identityID in identityIDs {
        let target = try position(of: identityID, in: document)
        guard !document.identities[target].trackIDs.contains(where: subjectTracks.contains) else {
          throw IdentitiesError.edit("\(subject) is part of \(identityID)")
        }
        pairs += subjectTracks.flatMap { track in
          document.identities[target].trackIDs.map { [track, $0] }
        }
        changed.insert(identityID)
      }
      document.metadata.rejectedPairs = IdentitiesMetadata.normalisedPairs(
        (document.metadata.rejectedPairs ?? []) + pairs)
    }
  }

  /// Locks or unlocks an identity; returns it as written.
  @discardableResult
  public func setLocked(_ identityID: String, _ locked: Bool) throws -> Identity {
    try edit(returning: identityID, membership: false) { document, changed in
      let index = try position(of: identityID, in: document)
      document.identities[index].locked = locked
      changed.insert(identityID)
    }
  }

  /// Moves every track of `absorbed` into `kept` and removes `absorbed`; returns `kept`.
  @discardableResult
  public func merge(_ kept: String, _ absorbed: String) throws -> Identity {
    guard kept != absorbed else { throw IdentitiesError.edit("cannot merge \(kept) with itself") }
    return try edit(returning: kept) { document, changed in
      let keptIndex = try unlockedPosition(of: kept, in: document)
      let absorbedIndex = try unlockedPosition(of: absorbed, in: document)
      document.identities[keptIndex].trackIDs += document.identities[absorbedIndex].trackIDs
      document.identities.remove(at: absorbedIndex)
      changed.insert(kept)
    }
  }

  /// Moves `trackID` from its identity, or from `unidentified_tracks`, to `target`; an identity
  /// left empty is removed. Returns `target`.
  @discardableResult
  public func moveTrack(_ trackID: String, to target: String) throws -> Identity {
    try edit(returning: target) { document, changed in
      if let position = document.metadata.unidentifiedTracks?.firstIndex(where: {
        $0.trackID == trackID
      }) {
        let targetIndex = try unlockedPosition(of: target, in: document)
        document.metadata.unidentifiedTracks?.remove(at: position)
        document.identities[targetIndex].trackIDs.append(trackID)
        changed.insert(target)
        return
      }
      let source = try owner(of: trackID, in: document)
      let sourceID = document.identities[source].identityID
      guard sourceID != target else { return }
      _ = try unlockedPosition(of: sourceID, in: document)
      _ = try unlockedPosition(of: target, in: document)
      document.identities[source].trackIDs.removeAll { $0 == trackID }
      changed.insert(sourceID)
      if document.identities[source].trackIDs.isEmpty { document.identities.remove(at: source) }
      let targetIndex = try position(of: target, in: document)
      document.identities[targetIndex].trackIDs.append(trackID)
      changed.insert(target)
    }
  }

  /// Moves `trackID` into a new identity of its own; returns the new identity.
  @discardableResult
  public func split(_ trackID: String) throws -> Identity {
    var created = ""
    let document = try edit { document, changed in
      let source = try owner(of: trackID, in: document)
      let sourceID = document.identities[source].identityID
      _ = try unlockedPosition(of: sourceID, in: document)
      guard document.identities[source].trackIDs.count > 1 else {
        throw IdentitiesError.edit("\(trackID) is already alone in \(sourceID)")
      }
      document.identities[source].trackIDs.removeAll { $0 == trackID }
      changed.insert(sourceID)
      let number =
        (document.identities.compactMap { ArtifactID.number(in: $0.identityID, prefix: "identity") }
          .max() ?? 0) + 1
      created = ArtifactID.identity(number)
      let timestamp = ArtifactTimestamp.string(from: now())
      document.identities.append(
        Identity(
          identityID: created, clusterID: nil, trackIDs: [trackID],
          canonicalFacePath: DataLayout.identityThumbRelativePath(identityID: created),
          embeddingStats: EmbeddingStats(
            centroidNorm: 0, variance: 0, numTracks: 1, numFacesTotal: 0),
          createdAt: timestamp, updatedAt: timestamp))
      changed.insert(created)
    }
    return document.identities[try position(of: created, in: document)]
  }

  // MARK: -

  private func position(of identityID: String, in document: IdentitiesDocument) throws -> Int {
    guard let index = document.identities.firstIndex(where: { $0.identityID == identityID })
    else {
      throw IdentitiesError.unknownIdentity(
        identityID, path: layout.relativePath(layout.identities(episode)))
    }
    return index
  }

  private func unlockedPosition(of identityID: String, in document: IdentitiesDocument) throws
    -> Int
  {
    let index = try position(of: identityID, in: document)
    guard !document.identities[index].locked else {
      throw IdentitiesError.locked(identityID)
    }
    return index
  }

  private func suggestionPosition(of identityID: String, in document: IdentitiesDocument) throws
    -> Int
  {
    let index = try unlockedPosition(of: identityID, in: document)
    guard PeopleMatcher.isSuggestion(document.identities[index].labels) else {
      throw IdentitiesError.edit("\(identityID) has no suggested label")
    }
    return index
  }

  private func owner(of trackID: String, in document: IdentitiesDocument) throws -> Int {
    guard let index = document.identities.firstIndex(where: { $0.trackIDs.contains(trackID) })
    else { throw IdentitiesError.unknownTrack(trackID) }
    return index
  }

  /// `edit(_:)`, then `identityID` as written.
  private func edit(
    returning identityID: String, membership: Bool = true,
    _ change: (inout IdentitiesDocument, inout Set<String>) throws -> Void
  ) throws -> Identity {
    let document = try edit(membership: membership, change)
    return document.identities[try position(of: identityID, in: document)]
  }

  /// Loads and checks the file, applies `change`, refreshes what changed and writes it; returns
  /// the document as written (as read when nothing changed). An edit that changes no
  /// `membership` (labels, lock) touches `identities.json` and the names in screen time only:
  /// no statistics, no thumbnail, no decode (docs/review_app.md, "Edits").
  @discardableResult
  private func edit(
    membership: Bool = true,
    _ change: (inout IdentitiesDocument, inout Set<String>) throws -> Void
  ) throws -> IdentitiesDocument {
    let url = layout.identities(episode)
    let path = layout.relativePath(url)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw IdentitiesError.missingInput(path: url.path, what: "identities (run --cluster)")
    }
    let lock = try EpisodeLock.acquire(
      layout: layout, episode: episode, purpose: "an identities edit")
    defer { lock.release() }
    let inputs = try EpisodeFaces.load(layout: layout, episode: episode)
    var document = try AtomicFile.readJSON(IdentitiesDocument.self, from: url, displayPath: path)
    let problems = document.problems(knownTracks: Set(inputs.trackOrder))
    guard problems.isEmpty else {
      throw IdentitiesError.invalidIdentities(path: path, problems: problems)
    }
    var changed = Set<String>()
    try change(&document, &changed)
    guard !changed.isEmpty else { return document }
    if membership { Self.dropRejectionsJoined(in: &document) }
    let timestamp = ArtifactTimestamp.string(from: now())
    if membership {
      try refreshMembers(of: changed, in: &document, inputs: inputs, timestamp: timestamp)
    } else {
      for index in document.identities.indices
      where changed.contains(document.identities[index].identityID) {
        document.identities[index].updatedAt = timestamp
      }
    }
    try commit(document, rendering: membership ? changed : [], inputs: inputs)
    return document
  }

  /// A person who puts two tracks of a rejected pair into one identity overrules the earlier
  /// "not one person": the pair leaves `metadata.rejected_pairs`, so re-clustering does not
  /// undo the edit (docs/identities.md, "Review by suggestion").
  static func dropRejectionsJoined(in document: inout IdentitiesDocument) {
    guard let pairs = document.metadata.rejectedPairs else { return }
    var owner: [String: String] = [:]
    for identity in document.identities {
      for track in identity.trackIDs { owner[track] = identity.identityID }
    }
    document.metadata.rejectedPairs = IdentitiesMetadata.normalisedPairs(
      pairs.filter { pair in owner[pair[0]] == nil || owner[pair[0]] != owner[pair[1]] })
  }

  /// Checks and refreshes the identities whose members `changed`: no two tracks sharing a frame
  /// (unless `force`), statistics, a cluster id for a group; then the order and metadata.
  private func refreshMembers(
    of changed: Set<String>, in document: inout IdentitiesDocument, inputs: EpisodeFaces,
    timestamp: String
  ) throws {
    let shared = Set(inputs.sharedFramePairs.map { [$0.0, $0.1] })
    let pooled = try Self.loadPooled(layout: layout, episode: episode)
    var nextClusterID = (document.identities.compactMap(\.clusterID).max() ?? 0) + 1
    for index in document.identities.indices
    where changed.contains(document.identities[index].identityID) {
      var identity = document.identities[index]
      identity.trackIDs.sort()
      if !force {
        for i in identity.trackIDs.indices {
          for j in (i + 1)..<identity.trackIDs.count
          where shared.contains([identity.trackIDs[i], identity.trackIDs[j]]) {
            throw IdentitiesError.edit(
              "\(identity.trackIDs[i]) and \(identity.trackIDs[j]) share a frame, so they are "
                + "different people; pass --force to put them in \(identity.identityID) anyway")
          }
        }
      }
      let members = identity.trackIDs.compactMap { pooled[$0] }
      identity.embeddingStats = IdentityClusterer.stats(members)
      // A track without a pooled vector (moved in from unidentified_tracks) still counts.
      identity.embeddingStats.numTracks = identity.trackIDs.count
      identity.embeddingStats.numFacesTotal = identity.trackIDs.reduce(0) {
        $0 + inputs.definingRows($1).count
      }
      if identity.trackIDs.count > 1 && identity.clusterID == nil {
        identity.clusterID = nextClusterID
        nextClusterID += 1
      }
      identity.updatedAt = timestamp
      document.identities[index] = identity
    }
    document.identities.sort {
      ($0.identityID.count, $0.identityID) < ($1.identityID.count, $1.identityID)
    }
    document.metadata = IdentitiesMetadata.recounted(
      document.identities, previous: document.metadata)
  }

  /// Commits `document` with new thumbnails of the identities in `rendering` (none: the
  /// thumbnails stay as they are) and screen time, all at once (docs/artifacts.md, "Commits").
  private func commit(
    _ document: IdentitiesDocument, rendering: Set<String>, inputs: EpisodeFaces
  ) throws {
    let transaction = ArtifactTransaction(
      layout: layout, episode: episode, purpose: "an identities edit")
    if !rendering.isEmpty {
      try ThumbnailRenderer(layout: layout, episode: episode, logger: logger).stage(
        document.identities,
        rendering: document.identities.filter { rendering.contains($0.identityID) },
        inputs: inputs, in: transaction)
    }
    try transaction.stageJSON(document, at: layout.identities(episode))
    try ScreenTimeWriter.refreshing(layout: layout, episode: episode, logger: logger)
      .stage(document, in: transaction)
    try transaction.commit()
  }

  /// Pooled track vectors from `track_embeddings.npy` and its index; `definingOnly` leaves out
  /// the rows that pool probe faces.
  static func loadPooled(layout: DataLayout, episode: EpisodeID, definingOnly: Bool = false)
    throws -> [String: PooledTrack]
  {
    let loaded = try loadPooledTracks(layout: layout, episode: episode)
    return definingOnly
      ? loaded.pooled.filter { !loaded.probeTracks.contains($0.key) } : loaded.pooled
  }

  /// Every pooled track vector of `track_embeddings.npy`, and the tracks whose row pools probe
  /// faces only.
  static func loadPooledTracks(layout: DataLayout, episode: EpisodeID) throws -> (
    pooled: [String: PooledTrack], probeTracks: Set<String>
  ) {
    let npyURL = layout.trackEmbeddingsNPY(episode)
    let indexURL = layout.trackEmbeddingsIndex(episode)
    for url in [npyURL, indexURL] where !FileManager.default.fileExists(atPath: url.path) {
      throw IdentitiesError.missingInput(path: url.path, what: "track embeddings (run --cluster)")
    }
    let matrix = try NPYMatrix.read(from: npyURL, displayPath: layout.relativePath(npyURL))
    let rows = try JSONLReader<TrackEmbeddingRow>.readAll(
      from: indexURL, displayPath: layout.relativePath(indexURL))
    guard rows.count == matrix.rows else {
      throw IdentitiesError.invalidInput(
        path: layout.relativePath(indexURL), line: nil,
        message: "\(rows.count) lines but track_embeddings.npy has \(matrix.rows) rows")
    }
    var pooled: [String: PooledTrack] = [:]
    for (index, row) in rows.enumerated() {
      pooled[row.trackID] = PooledTrack(
        trackID: row.trackID, vector: Array(matrix.row(index)), numFaces: row.numFaces,
        facesUsed: row.facesUsed, spread: row.spread, bestFace: 0, bestQuality: 0)
    }
    return (pooled, Set(rows.filter { $0.probe == true }.map(\.trackID)))
  }
}

/// A human-readable listing of `identities.json`.
public enum IdentitiesListing {
  /// One line per identity: id, cluster, tracks, labels, lock; then the metadata.
  public static func text(_ document: IdentitiesDocument) -> String {
    var lines: [String] = []
    for identity in document.identities {
      let labels = identity.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
      lines.append(
        "\(identity.identityID)  cluster \(identity.clusterID.map(String.init) ?? "-")  "
          + "\(identity.trackIDs.count) tracks, \(identity.embeddingStats.numFacesTotal) faces  "
          + identity.trackIDs.joined(separator: ",")
          + (labels.isEmpty ? "" : "  " + labels.joined(separator: " "))
          + (PeopleMatcher.isSuggestion(identity.labels) ? "  [suggested]" : "")
          + (identity.locked ? "  [locked]" : ""))
    }
    let metadata = document.metadata
    lines.append(
      "\(document.identities.count) identities, \(metadata.numTracks) tracks, "
        + "\(metadata.numClusters) clusters, \(metadata.numSingletons) singleton tracks "
        + "(\(metadata.linkage), cluster_thresh \(metadata.clusterThresh))")
    return lines.joined(separator: "\n")
  }
}
