import Artifacts
import Foundation
import Harvest
import Identities
import Inference
import Logging

/// A clean-up action, run in this order whatever order they are asked in.
public enum CleanupAction: String, Sendable, CaseIterable, Codable {
  /// Split tracks whose faces form two separated groups in time (a tracker identity switch).
  case splitTracks = "split_tracks"
  /// Re-harvest with a stricter quality threshold.
  case reembed
  /// Cluster again.
  case recluster

  /// Parses `split_tracks,recluster`; an unknown name is an error naming the choices.
  public static func parse(list: String) throws -> [CleanupAction] {
    let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    var actions = Set<CleanupAction>()
    for name in names where !name.isEmpty {
      guard let action = CleanupAction(rawValue: name) else {
        throw IdentitiesError.edit(
          "unknown clean-up action \"\(name)\" (choose from "
            + allCases.map(\.rawValue).joined(separator: ", ") + ")")
      }
      actions.insert(action)
    }
    return allCases.filter(actions.contains)
  }
}

/// The clean-up pass (`episode-run --cleanup`): `split_tracks`, `reembed`, `recluster`, then
/// `cleanup_report.json`. Each action commits its artifacts in one `ArtifactTransaction`, so a
/// failure or a kill leaves a consistent episode: the actions before it applied, the rest not.
public final class EpisodeCleanup {
  private let layout: DataLayout
  private let episode: EpisodeID
  private let manifest: ModelManifest
  private let logger: Logger
  /// Harvest settings for `reembed` (its `min_quality` is raised to `reembedMinQuality`).
  public var harvestConfig = HarvestConfig()
  /// Clustering settings for `recluster` (and the split test's threshold).
  public var clusterConfig = ClusterConfig()
  /// The quality floor `reembed` applies (at least the harvest's own `min_quality`).
  public var reembedMinQuality = 0.8
  /// Fewest faces on each side of a split.
  public var minimumFacesPerSide = 2
  /// The clock (tests fix it).
  public var now: () -> Date = { Date() }

  /// Prepares a clean-up of `episode`.
  public init(
    layout: DataLayout, episode: EpisodeID, manifest: ModelManifest,
    logger: Logger = Logger(label: "faceharvest.cleanup")
  ) {
    self.layout = layout
    self.episode = episode
    self.manifest = manifest
    self.logger = logger
  }

  /// Runs `actions` and writes `cleanup_report.json`.
  public func run(_ actions: [CleanupAction]) throws -> CleanupReport {
    let started = Date()
    let before = try counts()
    var report = CleanupReport(
      epID: episode.rawValue, actionsRun: [], before: before, after: before, elapsedSeconds: 0,
      createdAt: ArtifactTimestamp.string(from: now()))
    for action in CleanupAction.allCases where actions.contains(action) {
      switch action {
      case .splitTracks:
        report.splitTracksSummary = try splitTracks()
      case .reembed:
        report.reembedSummary = try reembed()
      case .recluster:
        let identitiesBefore = try identityCount()
        let clusterer = IdentityClusterer(
          layout: layout, episode: episode, config: clusterConfig, manifest: manifest,
          logger: logger)
        clusterer.now = now
        _ = try clusterer.run()
        report.reclusterSummary = ReclusterSummary(
          clustersMerged: max(0, identitiesBefore - (try identityCount())))
      }
      report.actionsRun.append(action.rawValue)
    }
    report.after = try counts()
    report.elapsedSeconds = Date().timeIntervalSince(started)
    try AtomicFile.writeJSON(
      report, to: layout.cleanupReport(episode),
      displayPath: layout.relativePath(layout.cleanupReport(episode)))
    return report
  }

  // MARK: Counts

  func counts() throws -> CleanupCounts {
    let tracks = try lineCount(layout.tracks(episode))
    let faces = try lineCount(layout.faces(episode))
    var clusters = 0
    var singletonFraction = 0.0
    if FileManager.default.fileExists(atPath: layout.identities(episode).path) {
      let document = try AtomicFile.readJSON(
        IdentitiesDocument.self, from: layout.identities(episode),
        displayPath: layout.relativePath(layout.identities(episode)))
      clusters = document.metadata.numClusters
      singletonFraction = document.metadata.singletonFraction
    }
    return CleanupCounts(
      numTracks: tracks, numFaces: faces, numClusters: clusters,
      singletonFraction: singletonFraction)
  }

  private func identityCount() throws -> Int {
    guard FileManager.default.fileExists(atPath: layout.identities(episode).path) else { return 0 }
    return try AtomicFile.readJSON(
      IdentitiesDocument.self, from: layout.identities(episode),
      displayPath: layout.relativePath(layout.identities(episode))
    ).identities.count
  }

  private func lineCount(_ url: URL) throws -> Int {
    guard FileManager.default.fileExists(atPath: url.path) else { return 0 }
    return try Data(contentsOf: url).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
  }

  // MARK: reembed

  private func reembed() throws -> ReembedSummary {
    let facesBefore = try JSONLReader<Face>.readAll(from: layout.faces(episode))
    var config = harvestConfig
    config.minQuality = max(config.minQuality, reembedMinQuality)
    config.saveCrops = facesBefore.contains { !$0.cropPath.isEmpty }
    _ = try FacesHarvester(
      layout: layout, episode: episode, config: config, manifest: manifest, logger: logger
    ).run()
    let facesAfter = try JSONLReader<Face>.readAll(from: layout.faces(episode))
    func mean(_ faces: [Face]) -> Double {
      faces.isEmpty ? 0 : faces.reduce(0) { $0 + $1.qualityScore } / Double(faces.count)
    }
    return ReembedSummary(
      facesRejected: max(0, facesBefore.count - facesAfter.count),
      meanQualityBefore: mean(facesBefore), meanQualityAfter: mean(facesAfter))
  }

  // MARK: split_tracks

  /// Commits what `split_tracks` changed, all at once (docs/artifacts.md, "Commits"):
  /// detections, tracks, faces, identities with their screen time, and the crops folder with
  /// the split tracks' crops moved (the rest hard-linked, not copied).
  private func commitSplit(
    detections: [Detection], tracks: [Track], faces: [Face], identities: IdentitiesDocument?,
    cropMoves: [(from: String, to: String)]
  ) throws {
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "split_tracks")
    try stageRows(detections, at: layout.detections(episode), in: transaction)
    try stageRows(tracks, at: layout.tracks(episode), in: transaction)
    try stageRows(faces, at: layout.faces(episode), in: transaction)
    if let identities {
      try transaction.stageJSON(identities, at: layout.identities(episode))
      try ScreenTimeWriter.refreshing(layout: layout, episode: episode, logger: logger)
        .stage(identities, tracks: tracks, in: transaction)
    }
    if !cropMoves.isEmpty {
      let staged = try transaction.stageFolder(replacing: layout.cropsDir(episode)) { _ in true }
      for move in cropMoves { try moveCrop(move.from, to: move.to, in: staged) }
    }
    try transaction.commit()
  }

  private func stageRows<Row: Encodable>(
    _ rows: [Row], at url: URL, in transaction: ArtifactTransaction
  ) throws {
    let writer = try JSONLWriter<Row>(destination: url, displayPath: layout.relativePath(url))
    try writer.write(contentsOf: rows)
    try writer.stage(in: transaction)
  }

  /// Moves the crop at `from` to `to` (both `crops/…` paths) inside the staged crops folder,
  /// removing the folder it leaves empty.
  private func moveCrop(_ from: String, to: String, in staged: URL) throws {
    let prefix = "crops/"
    guard from.hasPrefix(prefix), to.hasPrefix(prefix) else { return }
    let manager = FileManager.default
    let source = staged.appendingPathComponent(String(from.dropFirst(prefix.count)))
    guard manager.fileExists(atPath: source.path) else { return }
    let target = staged.appendingPathComponent(String(to.dropFirst(prefix.count)))
    do {
      try manager.createDirectory(
        at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? manager.removeItem(at: target)
      try manager.moveItem(at: source, to: target)
    } catch {
      throw FileSystemFailure.error("move the crop \(from) to", to, error)
    }
    let folder = source.deletingLastPathComponent()
    if (try? manager.contentsOfDirectory(atPath: folder.path))?.isEmpty == true {
      try? manager.removeItem(at: folder)
    }
  }

  /// Where one track's faces switch from one person to another, if they do: the first frame of
  /// the second person.
  static func switchFrame(
    _ faces: [(frame: Int, vector: [Float])], threshold: Double, minimumPerSide: Int
  ) -> Int? {
    let sorted = faces.sorted { $0.frame < $1.frame }
    guard sorted.count >= 2 * minimumPerSide else { return nil }
    func centroid(_ part: ArraySlice<(frame: Int, vector: [Float])>) -> [Float] {
      var sum = [Float](repeating: 0, count: part.first!.vector.count)
      for face in part { for index in sum.indices { sum[index] += face.vector[index] } }
      let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return norm > 0 ? sum.map { $0 / norm } : sum
    }
    func similarity(_ a: [Float], _ b: [Float]) -> Double {
      Double(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
    }
    var best: (similarity: Double, frame: Int)?
    for cut in minimumPerSide...(sorted.count - minimumPerSide) {
      let left = sorted[..<cut]
      let right = sorted[cut...]
      // Each side must hang together as one person, and the two must not be one.
      let leftCentroid = centroid(left)
      let rightCentroid = centroid(right)
      let coherent =
        left.allSatisfy { similarity($0.vector, leftCentroid) >= threshold }
        && right.allSatisfy { similarity($0.vector, rightCentroid) >= threshold }
      let across = similarity(leftCentroid, rightCentroid)
      guard coherent, across < threshold else { continue }
      if best == nil || across < best!.similarity { best = (across, right.first!.frame) }
    }
    return best?.frame
  }

  private func splitTracks() throws -> SplitTracksSummary {
    let tracksURL = layout.tracks(episode)
    let detectionsURL = layout.detections(episode)
    let facesURL = layout.faces(episode)
    let tracks = try JSONLReader<Track>.readAll(
      from: tracksURL, displayPath: layout.relativePath(tracksURL))
    var faces = try JSONLReader<Face>.readAll(
      from: facesURL, displayPath: layout.relativePath(facesURL))
    let embeddings = try NPYMatrix.read(from: layout.facesNPY(episode))
    let threshold = try IdentityClusterer(
      layout: layout, episode: episode, config: clusterConfig, manifest: manifest, logger: logger
    ).clusterThreshold(width: embeddings.columns)

    // Tracks of locked identities are protected from automatic splits.
    let identitiesURL = layout.identities(episode)
    var identities: IdentitiesDocument?
    if FileManager.default.fileExists(atPath: identitiesURL.path) {
      identities = try AtomicFile.readJSON(
        IdentitiesDocument.self, from: identitiesURL,
        displayPath: layout.relativePath(identitiesURL))
    }
    let protected = Set(identities?.identities.filter(\.locked).flatMap(\.trackIDs) ?? [])

    // Decide the splits.
    var splits: [String: Int] = [:]
    let facesByTrack = Dictionary(grouping: faces.indices, by: { faces[$0].trackID })
    for track in tracks where !protected.contains(track.trackID) {
      let rows = facesByTrack[track.trackID] ?? []
      let samples = rows.map { (frame: faces[$0].frameIndex, vector: Array(embeddings.row($0))) }
      if let frame = Self.switchFrame(
        samples, threshold: threshold, minimumPerSide: minimumFacesPerSide)
      {
        splits[track.trackID] = frame
      }
    }
    guard !splits.isEmpty else { return SplitTracksSummary(tracksSplit: 0, newTracksCreated: 0) }

    // New ids after the highest in use; the split track is replaced by two new tracks.
    var next =
      (tracks.compactMap { ArtifactID.number(in: $0.trackID, prefix: "track") }.max() ?? 0) + 1
    var newIDs: [String: (before: String, after: String)] = [:]
    for track in tracks where splits[track.trackID] != nil {
      newIDs[track.trackID] = (ArtifactID.track(next), ArtifactID.track(next + 1))
      next += 2
    }
    func renamed(_ trackID: String, frame: Int) -> String {
      guard let ids = newIDs[trackID], let switchAt = splits[trackID] else { return trackID }
      return frame < switchAt ? ids.before : ids.after
    }

    // Detections: relabelled; per-track statistics for the new rows.
    var detections = try JSONLReader<Detection>.readAll(
      from: detectionsURL, displayPath: layout.relativePath(detectionsURL))
    struct Span {
      var first = Int.max, last = Int.min, start = 0.0, end = 0.0, count = 0, confidence = 0.0
    }
    var spans: [String: Span] = [:]
    for index in detections.indices {
      guard let trackID = detections[index].trackID, newIDs[trackID] != nil else { continue }
      let id = renamed(trackID, frame: detections[index].frameIndex)
      detections[index].trackID = id
      var span = spans[id] ?? Span()
      if detections[index].frameIndex < span.first {
        span.first = detections[index].frameIndex
        span.start = detections[index].timestamp
      }
      if detections[index].frameIndex > span.last {
        span.last = detections[index].frameIndex
        span.end = detections[index].timestamp
      }
      span.count += 1
      span.confidence += detections[index].conf
      spans[id] = span
    }
    var newTracks: [Track] = []
    for track in tracks {
      guard let ids = newIDs[track.trackID] else {
        newTracks.append(track)
        continue
      }
      for id in [ids.before, ids.after] {
        guard let span = spans[id], span.count > 0 else { continue }
        newTracks.append(
          Track(
            trackID: id, epID: track.epID, startSeconds: span.start, endSeconds: span.end,
            frameSpan: [span.first, span.last],
            stats: TrackStats(detections: span.count, avgConf: span.confidence / Double(span.count))
          ))
      }
    }

    // Faces: relabelled, crops moved to the new track's folder.
    var moves: [(from: String, to: String)] = []
    for index in faces.indices where newIDs[faces[index].trackID] != nil {
      let id = renamed(faces[index].trackID, frame: faces[index].frameIndex)
      if !faces[index].cropPath.isEmpty {
        let path = DataLayout.cropRelativePath(trackID: id, frameIndex: faces[index].frameIndex)
        moves.append((faces[index].cropPath, path))
        faces[index].cropPath = path
      }
      faces[index].trackID = id
    }
    // identities.json: a split track's identity now holds both halves (recluster separates them).
    if var document = identities {
      let timestamp = ArtifactTimestamp.string(from: now())
      for index in document.identities.indices {
        let old = document.identities[index].trackIDs
        guard old.contains(where: { newIDs[$0] != nil }) else { continue }
        document.identities[index].trackIDs = old.flatMap { id -> [String] in
          guard let ids = newIDs[id] else { return [id] }
          return [ids.before, ids.after].filter { spans[$0] != nil }
        }
        document.identities[index].updatedAt = timestamp
      }
      identities = document
    }
    try commitSplit(
      detections: detections, tracks: newTracks, faces: faces, identities: identities,
      cropMoves: moves)
    logger.info(
      "split tracks", metadata: ["tracks": "\(splits.keys.sorted().joined(separator: ","))"])
    return SplitTracksSummary(
      tracksSplit: splits.count,
      newTracksCreated: newTracks.filter { track in
        newIDs.values.contains { $0.before == track.trackID || $0.after == track.trackID }
      }.count)
  }
}

/// The clean-up report as the CLI prints it.
public enum CleanupReportFormatter {
  /// Before/after counts and each action's summary.
  public static func text(_ report: CleanupReport) -> String {
    func counts(_ c: CleanupCounts) -> String {
      "\(c.numTracks) tracks, \(c.numFaces) faces, \(c.numClusters) clusters, "
        + String(format: "singleton fraction %.2f", c.singletonFraction)
    }
    var lines = [
      "cleanup \(report.epID): " + report.actionsRun.joined(separator: ", "),
      "  before: " + counts(report.before),
      "  after:  " + counts(report.after),
    ]
    if let split = report.splitTracksSummary {
      lines.append("  split_tracks: \(split.tracksSplit) split into \(split.newTracksCreated) new")
    }
    if let reembed = report.reembedSummary {
      lines.append(
        "  reembed: \(reembed.facesRejected) faces dropped, mean quality "
          + String(format: "%.3f -> %.3f", reembed.meanQualityBefore, reembed.meanQualityAfter))
    }
    if let recluster = report.reclusterSummary {
      lines.append("  recluster: \(recluster.clustersMerged) identities merged away")
    }
    lines.append(String(format: "  %.2f s; wrote cleanup_report.json", report.elapsedSeconds))
    return lines.joined(separator: "\n")
  }
}
