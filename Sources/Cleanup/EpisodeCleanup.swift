public import Artifacts
public import FaceHarvestCore
public import Foundation
public import Harvest
public import Identities
import Inference
public import Logging

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
    let tracks = try JSONLReader<Track>.readAll(
      from: layout.tracks(episode), displayPath: layout.relativePath(layout.tracks(episode)))
    let faces = try JSONLReader<Face>.readAll(
      from: layout.faces(episode), displayPath: layout.relativePath(layout.faces(episode)))
    let identities = try readIdentities()
    let switchFrames = try decideSplits(tracks, faces: faces, identities: identities)
    guard !switchFrames.isEmpty else {
      return SplitTracksSummary(tracksSplit: 0, newTracksCreated: 0)
    }
    let split = TrackSplit(switchFrames: switchFrames, tracks: tracks)
    let detections = split.relabel(
      try JSONLReader<Detection>.readAll(
        from: layout.detections(episode),
        displayPath: layout.relativePath(layout.detections(episode))))
    let newTracks = split.tracks(tracks, spans: detections.spans)
    let relabelled = split.relabel(faces)
    try commitSplit(
      detections: detections.detections, tracks: newTracks, faces: relabelled.faces,
      identities: identities.map {
        split.relabel(
          $0, spans: detections.spans, timestamp: ArtifactTimestamp.string(from: now()))
      },
      cropMoves: relabelled.moves + split.relabelThumbs(tracks).moves)
    logger.info(
      "split tracks",
      metadata: ["tracks": "\(switchFrames.keys.sorted().joined(separator: ","))"])
    return SplitTracksSummary(
      tracksSplit: switchFrames.count, newTracksCreated: split.newTracks(in: newTracks))
  }

  /// `identities.json`, when there is one.
  private func readIdentities() throws -> IdentitiesDocument? {
    let url = layout.identities(episode)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try AtomicFile.readJSON(
      IdentitiesDocument.self, from: url, displayPath: layout.relativePath(url))
  }

  /// Where each track switches identity (`switchFrame`), for the tracks of no locked identity:
  /// those are protected from automatic splits.
  private func decideSplits(_ tracks: [Track], faces: [Face], identities: IdentitiesDocument?)
    throws -> [String: Int]
  {
    let embeddings = try NPYMatrix.read(from: layout.facesNPY(episode))
    let threshold = try IdentityClusterer(
      layout: layout, episode: episode, config: clusterConfig, manifest: manifest, logger: logger
    ).clusterThreshold(width: embeddings.columns)
    let protected = Set(identities?.identities.filter(\.locked).flatMap(\.trackIDs) ?? [])
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
    return splits
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
