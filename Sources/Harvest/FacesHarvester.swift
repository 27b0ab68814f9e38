public import Artifacts
import FaceAlignment
public import FaceHarvestCore
import FaceQuality
import Foundation
import Inference
public import Logging
import Media
import ThreadPrimitives

/// The Faces Harvest stage (`faces_harvest.md`): reads `tracks.jsonl`, `detections.jsonl` and
/// `episode.mp4`; gates, samples, aligns and embeds faces; writes `faces.jsonl`, `faces.npy`,
/// optional crops and `crops_debug.jsonl`.
///
/// Decoding, cropping and inference run on three threads joined by bounded queues (one engine,
/// `HarvestSession`, fed by `PlannedFramesFeed`; docs/harvest.md), so memory does not grow
/// with the episode and neither core idles. Nothing replaces an artifact
/// until every face is processed; then one `ArtifactTransaction` commits every file and the
/// crops folder together, so a failed, cancelled or killed run leaves the previous set or the
/// new one, never a mix (docs/artifacts.md, "Commits").
public final class FacesHarvester {
  let layout: DataLayout
  let episode: EpisodeID
  /// The stage's settings.
  public let config: HarvestConfig
  let manifest: ModelManifest
  private let debugThumbs: Bool
  let logger: Logger
  /// Decoder threads (0: `ThreadBudget.poolThreads`, half the cores).
  public var decoderThreads = 0
  /// ONNX Runtime intra-op threads (0: `ThreadBudget.poolThreads`, half the cores).
  public var inferenceThreads = 0
  /// Frames in flight between the decoder and the crop stage.
  public var frameQueueCapacity = 6

  /// Prepares a harvest of `episode`. `debugThumbs` writes `crops_debug.jsonl` (the CLI sets it
  /// from `DEBUG_THUMBS=1`).
  public init(
    layout: DataLayout, episode: EpisodeID, config: HarvestConfig, manifest: ModelManifest,
    debugThumbs: Bool = false, logger: Logger = Logger(label: "faceharvest.harvest")
  ) {
    self.layout = layout
    self.episode = episode
    self.config = config
    self.manifest = manifest
    self.debugThumbs = debugThumbs
    self.logger = logger
  }

  /// The manifest entry `config.embedModel` names: an entry name, or the path of a file that an
  /// entry lists.
  public static func embedderEntry(named model: String, in manifest: ModelManifest) throws
    -> ModelEntry
  {
    if model.hasSuffix(".onnx") || model.contains("/") {
      let wanted = URL(fileURLWithPath: model).standardizedFileURL.resolvingSymlinksInPath().path
      let match = manifest.models.first { entry in
        manifest.fileURL(for: entry).standardizedFileURL.resolvingSymlinksInPath().path == wanted
      }
      guard let match else {
        throw HarvestError.model(
          "\(model) is not listed in \(manifest.url.path); add an entry for it (input size, colour "
            + "order, mean/std, output width: see the README)")
      }
      return match
    }
    return try manifest.entry(named: model)
  }

  // MARK: - Run

  /// Runs the stage. `progress` is called from the stage threads (at most a few times a
  /// second); `isCancelled` is polled between frames and batches.
  public func run(
    progress: (@Sendable (HarvestProgress) -> Void)? = nil,
    isCancelled: @escaping @Sendable () -> Bool = { false }
  ) throws -> HarvestSummary {
    let videoURL = layout.video(episode)
    let tracksURL = layout.tracks(episode)
    let detectionsURL = layout.detections(episode)
    for (url, what) in [(videoURL, "video"), (tracksURL, "tracks"), (detectionsURL, "detections")]
    where !FileManager.default.fileExists(atPath: url.path) {
      throw HarvestError.missingInput(path: url.path, what: what)
    }
    // The model loads (SHA-256 check, session set-up) while the inputs are read and decoding
    // starts; the embedding thread waits for it.
    let session = try HarvestSession(harvester: self, embedderNiceness: 0)
    let source = try FrameSource(
      url: videoURL, decoderThreads: ThreadBudget.poolThreads(decoderThreads),
      queueCapacity: frameQueueCapacity, logger: logger)
    let inputs = try loadInputs()
    let plan = makePlan(inputs, frameWidth: source.info.width, frameHeight: source.info.height)
    let planSeconds = Date().timeIntervalSince(session.started)
    logger.info(
      "planned harvest",
      metadata: [
        "episode": "\(episode)", "tracks": "\(inputs.tracks.count)",
        "faces": "\(plan.faces.count)",
        "rejected_before_decoding": "\(plan.rejected.count)", "model": "\(session.entry.name)",
      ])
    session.planKnown(plannedFaces: plan.faces.count)
    let pass = try PlannedFramesFeed(plan: plan, source: source, session: session)
      .run(progress: progress, isCancelled: isCancelled)
    if isCancelled() { throw HarvestError.cancelled }
    return try session.finish(
      plan: plan, inputs: inputs, pass: pass, planSeconds: planSeconds, progress: progress,
      isCancelled: isCancelled)
  }

  /// The embedder of `entry`, loading on a thread of its own (SHA-256 check, session set-up).
  func loadEmbedder(_ entry: ModelEntry) -> Deferred<FaceEmbedder> {
    let (manifest, config, logger, threads) = (
      self.manifest, self.config, self.logger, ThreadBudget.poolThreads(inferenceThreads)
    )
    return Deferred<FaceEmbedder>(name: "harvest.load-model") {
      do {
        return try FaceEmbedder(
          manifest: manifest, entry: entry, device: config.embedDevice, intraOpThreads: threads,
          logger: logger)
      } catch {
        throw HarvestError.model("\(error)")
      }
    }
  }

  /// What the end of a harvest needs from its start.
  struct HarvestRun {
    var entry: ModelEntry
    var embeddingWidth: Int
    var staging: URL?
    /// The staged crops folder (crops, review thumbnails), nil when nothing goes in it.
    var cropsFolder: URL?
    /// Each track's review thumbnails (`sample_thumbs`).
    var reviewThumbs: [String: [String]]
    var transaction: ArtifactTransaction
    var started: Date
    var planSeconds: Double
  }

  /// The end of a harvest, whichever pass cropped and embedded the faces (this stage's own
  /// decode, or detect-track's: `SinglePassHarvest`): faces whose frames never arrived are
  /// `decode_failed`, the episode cap applies, the probes of tracks left without a face are
  /// kept, and every artifact is committed at once.
  func complete(
    plan: HarvestPlanner.Plan, inputs: Inputs, outcome: HarvestOutcome, finished: HarvestRun,
    progress: (@Sendable (HarvestProgress) -> Void)?
  ) throws -> HarvestSummary {
    var rejected = plan.rejected + outcome.rejected + (try undelivered(plan, outcome))
    var accepted = capped(outcome.accepted.filter { !$0.face.isProbe }, rejected: &rejected)
    accepted.sort { ($0.face.frameIndex, $0.face.trackID) < ($1.face.frameIndex, $1.face.trackID) }
    let probes = Self.keptProbes(outcome.accepted.filter(\.face.isProbe), accepted: accepted)
    let writeStarted = Date()
    progress?(
      HarvestProgress(
        phase: "write", framesDone: outcome.framesDecoded, framesTotal: outcome.framesDecoded,
        facesDone: plan.faces.count, facesTotal: plan.faces.count,
        elapsed: Date().timeIntervalSince(finished.started)))
    let artifacts = try writeArtifacts(
      accepted: accepted, probes: probes, rejected: rejected, tracks: inputs.tracks,
      embeddingWidth: finished.embeddingWidth, staging: finished.staging,
      thumbs: finished.cropsFolder == nil ? nil : finished.reviewThumbs,
      transaction: finished.transaction)
    var summary = summary(
      accepted: accepted, probes: probes, rejected: rejected, inputs: inputs, outcome: outcome,
      finished: finished)
    summary.artifacts = artifacts
    summary.seconds["write"] = Date().timeIntervalSince(writeStarted)
    summary.seconds["total"] = Date().timeIntervalSince(finished.started)
    return summary
  }

  /// Faces planned for frames the video does not have (past its end, or a corrupt packet's):
  /// `decode_failed`, with a warning. None of the needed frames arriving is an error, since the
  /// faces would otherwise be replaced by nothing.
  private func undelivered(_ plan: HarvestPlanner.Plan, _ outcome: HarvestOutcome) throws
    -> [RejectedFace]
  {
    let needed = plan.faces + plan.probes
    if let first = needed.map(\.frameIndex).min(), outcome.framesDelivered.isEmpty {
      throw HarvestError.videoLacksTrackFrames(
        path: layout.relativePath(layout.video(episode)), framesDecoded: outcome.framesDecoded,
        firstNeeded: first)
    }
    let missingFrames = plan.faces.filter { !outcome.framesDelivered.contains($0.frameIndex) }
    guard !missingFrames.isEmpty else { return [] }
    logger.warning(
      "tracks ask for frames the video does not have or that could not be decoded",
      metadata: [
        "faces": "\(missingFrames.count)", "first_frame": "\(missingFrames[0].frameIndex)",
        "frames_in_video": "\(outcome.framesDecoded)",
      ])
    return missingFrames.map {
      RejectedFace(
        trackID: $0.trackID, frameIndex: $0.frameIndex, bbox: $0.bbox, reason: .decodeFailed,
        qualityScore: nil)
    }
  }

  /// The episode cap: the lowest quality dropped first (later frames first among equals), as
  /// `episode_cap` rejections, their staged crops removed.
  private func capped(_ faces: [GatedFace], rejected: inout [RejectedFace]) -> [GatedFace] {
    guard config.maxCropsPerEpisode > 0 && faces.count > config.maxCropsPerEpisode else {
      return faces
    }
    var accepted = faces
    accepted.sort { ($1.quality, $0.face.frameIndex) < ($0.quality, $1.face.frameIndex) }
    for face in accepted[config.maxCropsPerEpisode...] {
      rejected.append(
        RejectedFace(
          trackID: face.face.trackID, frameIndex: face.face.frameIndex, bbox: face.face.bbox,
          reason: .episodeCap, qualityScore: face.quality))
      face.removeStagedCrop()
    }
    accepted.removeSubrange(config.maxCropsPerEpisode...)
    return accepted
  }

  /// The stage's summary; `artifacts` and the write and total times are the caller's.
  private func summary(
    accepted: [GatedFace], probes: [GatedFace], rejected: [RejectedFace], inputs: Inputs,
    outcome: HarvestOutcome, finished: HarvestRun
  ) -> HarvestSummary {
    var rejections: [String: Int] = [:]
    for face in rejected { rejections[face.reason.rawValue, default: 0] += 1 }
    let perTrack = Dictionary(grouping: accepted, by: \.face.trackID).values.map(\.count).sorted()
    return HarvestSummary(
      episode: episode.rawValue, facesKept: accepted.count,
      probeFaces: probes.count, probeTracks: Set(probes.map(\.face.trackID)).count,
      probesNotNeeded: outcome.probesNotNeeded,
      rejections: rejections,
      tracks: inputs.tracks.count, tracksWithFaces: perTrack.count,
      tracksWithoutDetections: inputs.tracksWithoutDetections.count,
      facesPerTrack: HarvestSummary.FacesPerTrack(
        min: perTrack.first ?? 0, median: perTrack.isEmpty ? 0 : perTrack[(perTrack.count - 1) / 2],
        max: perTrack.last ?? 0),
      embeddingWidth: finished.embeddingWidth, model: finished.entry.name,
      framesDecoded: outcome.framesDecoded, framesSkipped: outcome.framesSkipped,
      framesConverted: outcome.framesConverted, sharedDecode: outcome.sharedDecode,
      seconds: [
        "plan": finished.planSeconds, "decode": outcome.decodeSeconds, "crop": outcome.cropSeconds,
        "embed": outcome.embedSeconds,
      ],
      cropsWritten: config.saveCrops ? accepted.count + probes.count : 0,
      thumbsWritten: finished.reviewThumbs.values.reduce(0) { $0 + $1.count },
      tracksWithThumbs: finished.reviewThumbs.count, artifacts: [],
      peakMemoryMiB: peakResidentMemoryMiB())
  }

  /// Removes the staged crops of faces that will not be written.
  static func removeStagedCrops(of faces: [GatedFace]) {
    for face in faces { face.removeStagedCrop() }
  }

  /// The probes of tracks that have no accepted face, in frame order; the staged crops of the
  /// others are removed.
  static func keptProbes(_ probes: [GatedFace], accepted: [GatedFace]) -> [GatedFace] {
    let definedTracks = Set(accepted.map(\.face.trackID))
    var kept: [GatedFace] = []
    for probe in probes {
      if !definedTracks.contains(probe.face.trackID) {
        kept.append(probe)
      } else {
        probe.removeStagedCrop()
      }
    }
    return kept.sorted {
      ($0.face.frameIndex, $0.face.trackID) < ($1.face.frameIndex, $1.face.trackID)
    }
  }

  /// The stage's inputs: tracks, each track's frame span and detections.
  package struct Inputs {
    var tracks: [Track]
    var trackSpans: [String: ClosedRange<Int>]
    var detectionsByTrack: [String: [Detection]]
    var tracksWithoutDetections: [String]
  }

  /// Reads `tracks.jsonl` and `detections.jsonl`; a duplicate track or a detection of an unknown
  /// track is an error naming the file and line.
  package func loadInputs() throws -> Inputs {
    let tracksURL = layout.tracks(episode)
    let detectionsURL = layout.detections(episode)
    let tracks = try JSONLReader<Track>.readAll(
      from: tracksURL, displayPath: layout.relativePath(tracksURL))
    var known = Set<String>()
    for track in tracks where !known.insert(track.trackID).inserted {
      throw HarvestError.invalidInput(
        path: layout.relativePath(tracksURL), line: nil,
        message: "track_id \(track.trackID) appears twice")
    }
    var detectionsByTrack: [String: [Detection]] = [:]
    var untracked = 0
    let reader = try JSONLReader<Detection>(
      url: detectionsURL, displayPath: layout.relativePath(detectionsURL))
    try reader.forEachRow { line, detection in
      guard let trackID = detection.trackID else {
        untracked += 1
        return
      }
      guard known.contains(trackID) else {
        throw HarvestError.invalidInput(
          path: layout.relativePath(detectionsURL), line: line,
          message: "track_id \(trackID) is not in tracks.jsonl")
      }
      detectionsByTrack[trackID, default: []].append(detection)
    }
    if untracked > 0 {
      logger.warning("detections without track_id are skipped", metadata: ["rows": "\(untracked)"])
    }
    return inputs(tracks: tracks, detectionsByTrack: detectionsByTrack)
  }

  /// The inputs of `tracks` (each listed once) and their detections; `tracksWithDetections`
  /// names the tracks with rows when `detectionsByTrack` does not hold them.
  func inputs(
    tracks: [Track], detectionsByTrack: [String: [Detection]],
    tracksWithDetections: Set<String>? = nil
  ) -> Inputs {
    let withRows = tracksWithDetections ?? Set(detectionsByTrack.keys)
    var trackSpans: [String: ClosedRange<Int>] = [:]
    for track in tracks {
      let first = track.frameSpan.first ?? 0
      trackSpans[track.trackID] = first...max(first, track.frameSpan.last ?? first)
    }
    let tracksWithoutDetections = trackSpans.keys.filter { !withRows.contains($0) }.sorted()
    if !tracksWithoutDetections.isEmpty {
      logger.warning(
        "tracks with no detections have nothing to harvest",
        metadata: ["tracks": "\(tracksWithoutDetections.prefix(10).joined(separator: ", "))"])
    }
    return Inputs(
      tracks: tracks, trackSpans: trackSpans, detectionsByTrack: detectionsByTrack,
      tracksWithoutDetections: tracksWithoutDetections)
  }

  /// The plan for a video of the decoder's frame size.
  package func makePlan(_ inputs: Inputs, frameWidth: Int, frameHeight: Int) -> HarvestPlanner.Plan
  {
    HarvestPlanner(config: config, frameWidth: frameWidth, frameHeight: frameHeight)
      .plan(detectionsByTrack: inputs.detectionsByTrack, frameSpans: inputs.trackSpans)
  }

  // MARK: - Artifacts

  /// Stages `faces.jsonl`, `faces.npy`, the probe pair, `tracks.jsonl` (with `sample_thumbs`,
  /// each track's review thumbnails, when the crops folder was written: `thumbs` non-nil) and
  /// `crops_debug.jsonl` beside the staged crops, then commits them all at once.
  private func writeArtifacts(
    accepted: [GatedFace], probes: [GatedFace], rejected: [RejectedFace], tracks: [Track],
    embeddingWidth: Int, staging: URL?, thumbs: [String: [String]]?,
    transaction: ArtifactTransaction
  ) throws -> [String] {
    let faces = Self.faceRows(accepted, firstNumber: 1, withCrops: staging != nil)
    // Probe faces number on after the accepted ones: a face_id is unique across both files.
    let probeRows = Self.faceRows(
      probes, firstNumber: accepted.count + 1, withCrops: staging != nil)
    for (rows, url) in [(faces, layout.faces(episode)), (probeRows, layout.probeFaces(episode))] {
      let writer = try JSONLWriter<Face>(destination: url, displayPath: layout.relativePath(url))
      try writer.write(contentsOf: rows)
      try writer.stage(in: transaction)
    }
    try transaction.stage(
      NPYMatrix(rows: faces.count, columns: embeddingWidth, values: faces.flatMap(\.embedding)),
      at: layout.facesNPY(episode))
    try transaction.stage(
      NPYMatrix(
        rows: probeRows.count, columns: embeddingWidth, values: probeRows.flatMap(\.embedding)),
      at: layout.probeFacesNPY(episode))
    if let thumbs {
      let updated = tracks.map { track -> Track in
        var track = track
        track.sampleThumbs = thumbs[track.trackID] ?? []
        return track
      }
      let tracksURL = layout.tracks(episode)
      let writer = try JSONLWriter<Track>(
        destination: tracksURL, displayPath: layout.relativePath(tracksURL))
      try writer.write(contentsOf: updated)
      try writer.stage(in: transaction)
    }
    if debugThumbs {
      try stageCropDebug(
        faces: faces, paddings: accepted.map(\.padding), rejected: rejected, in: transaction)
    }
    let video = layout.video(episode)
    transaction.provenance = .stage(
      .facesEmbed,
      video: try ContentHash.videoIdentity(of: video, displayPath: layout.relativePath(video)))
    try transaction.commit()
    return transaction.destinations.map(layout.relativePath)
  }

  /// Stages `crops_debug.jsonl`: every kept face and every rejection, in frame order.
  private func stageCropDebug(
    faces: [Face], paddings: [Double], rejected: [RejectedFace], in transaction: ArtifactTransaction
  ) throws {
    var entries = zip(faces, paddings).map { face, padding in
      CropDebugEntry(
        frameIndex: face.frameIndex, trackID: face.trackID, bbox: face.bbox,
        cropPath: face.cropPath, status: "success", qualityScore: face.qualityScore, reason: nil,
        padding: padding)
    }
    entries += rejected.map {
      CropDebugEntry(
        frameIndex: $0.frameIndex, trackID: $0.trackID, bbox: $0.bbox, cropPath: "",
        status: "rejected", qualityScore: $0.qualityScore, reason: $0.reason.rawValue,
        padding: $0.padding)
    }
    entries.sort {
      ($0.frameIndex, $0.trackID, $0.status) < ($1.frameIndex, $1.trackID, $1.status)
    }
    let debugURL = layout.cropsDebug(episode)
    let writer = try JSONLWriter<CropDebugEntry>(
      destination: debugURL, displayPath: layout.relativePath(debugURL))
    try writer.write(contentsOf: entries)
    try writer.stage(in: transaction)
  }

  /// `faces.jsonl` rows for `gated`, numbered from `firstNumber`.
  static func faceRows(_ gated: [GatedFace], firstNumber: Int, withCrops: Bool) -> [Face] {
    gated.enumerated().map { index, gated in
      var row = Face(
        faceID: ArtifactID.face(firstNumber + index), trackID: gated.face.trackID,
        frameIndex: gated.face.frameIndex, bbox: gated.face.bbox, landmarks: gated.face.landmarks,
        embedding: gated.embedding, qualityScore: gated.quality,
        cropPath: withCrops ? cropPath(gated.face) : "")
      if gated.face.isProbe {
        row.probeView = ProbeView(
          faceSize: gated.face.shortSide, yaw: gated.face.pose.yaw, sharpness: gated.sharpness,
          padding: gated.padding, rank: gated.probeRank > 0 ? gated.probeRank : nil,
          trackProbes: gated.trackProbes > 0 ? gated.trackProbes : nil)
      }
      return row
    }
  }

  /// Where `face`'s crop goes, relative to `frames/{ep_id}/` (probes have their own names).
  static func cropPath(_ face: PlannedFace) -> String {
    face.isProbe
      ? DataLayout.probeCropRelativePath(trackID: face.trackID, frameIndex: face.frameIndex)
      : DataLayout.cropRelativePath(trackID: face.trackID, frameIndex: face.frameIndex)
  }
}
