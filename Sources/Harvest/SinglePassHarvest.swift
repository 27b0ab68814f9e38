public import Artifacts
import FaceHarvestCore
import Foundation
import Inference
import Logging
public import Media
import StagePipeline

/// The faces harvest run inside detect-track's decode pass, so that `--detect-track
/// --faces-embed` decodes the episode once (docs/harvest.md, "One decode"). Its artifacts are
/// the ones a separate `--faces-embed` on the same tracks writes, byte for byte.
///
/// Every analysed frame comes with its detection rows (`observe`). A row that passes the
/// spec's gates or the probe floor before any pixel is seen has its aligned crops cut from the
/// full-size frame at once (under `uniform` sampling, only a row at least `sample_interval`
/// frames after the last one kept: the sampler's own spacing, which runs in time order). When
/// a track ends (the tracker drops it, or a cut), it is planned with the harvest's own
/// planner, its planned faces are gated on their crops and embedded, and its crops are freed:
/// memory holds the crops of the tracks alive at once, not the episode's. `finish` plans the
/// whole episode from the committed files again, checks that it planned the same faces, and
/// ends the harvest with the separate stage's own code (`FacesHarvester.complete`).
///
/// `stratified` sampling needs each track's final frame span, known only once the shots are
/// final, so it is not supported here: the pipeline then decodes twice (`supports`).
public final class SinglePassHarvest {
  private let harvester: FacesHarvester
  private let config: HarvestConfig
  private let entry: ModelEntry
  private let embedder: Deferred<FaceEmbedder>
  private let worker: EmbeddingWorker
  private let transaction: ArtifactTransaction
  private let staging: URL?
  private let encoder: JPEGEncoder
  private let scaler = PictureScaler()
  private let started = Date()
  private let sampleInterval: Int
  private var planner: HarvestPlanner?
  private var tracks: [String: TrackCandidates] = [:]
  private var framesDelivered = Set<Int>()
  private var framesConverted = 0
  private var planned = Set<PlannedKey>()
  private var pending: [FacesHarvester.GatedFace] = []
  private var accepted: [FacesHarvester.GatedFace] = []
  private var rejected: [RejectedFace] = []
  /// Probes of tracks with an accepted face, their crops on disk (`endTrack`).
  private var heldProbes: [(face: FacesHarvester.GatedFace, slot: CropSpill.Slot)] = []
  private lazy var spill = Result { try CropSpill() }
  private var cropSeconds = 0.0
  private var embedSeconds = 0.0

  /// The rows of one live track, and the crops of those that may be harvested.
  private struct TrackCandidates {
    var rows: [Detection] = []
    var crops: [Int: FaceCrops] = [:]
    var lastSpaced: Int?
  }

  /// A planned face, for comparing the plans of the pass and of the whole episode.
  private struct PlannedKey: Hashable {
    let trackID: String
    let frameIndex: Int
    let isProbe: Bool

    init(_ face: PlannedFace) {
      trackID = face.trackID
      frameIndex = face.frameIndex
      isProbe = face.isProbe
    }
  }

  /// Whether `config` can be harvested in detect-track's pass.
  public static func supports(_ config: HarvestConfig) -> Bool {
    config.samplingMode != .stratified
  }

  /// A harvest by `harvester`'s settings, during the detect-track pass about to start. The
  /// embedding model starts loading now.
  public init(harvester: FacesHarvester) throws {
    precondition(Self.supports(harvester.config), "stratified sampling needs two passes")
    self.harvester = harvester
    config = harvester.config
    entry = try FacesHarvester.embedderEntry(named: config.embedModel, in: harvester.manifest)
    embedder = harvester.loadEmbedder(entry)
    worker = EmbeddingWorker(embedder: embedder)
    transaction = ArtifactTransaction(
      layout: harvester.layout, episode: harvester.episode, purpose: "faces harvest")
    staging =
      config.saveCrops
      ? try transaction.stageFolder(replacing: harvester.layout.cropsDir(harvester.episode)) : nil
    encoder = try JPEGEncoder()
    sampleInterval =
      TrackSampler(
        mode: config.samplingMode, sampleInterval: config.sampleInterval,
        maxPerTrack: config.maxCropsPerTrack
      ).sampleInterval
  }

  deinit { _ = try? embedder.value() }

  // MARK: - During the pass

  /// One analysed frame (see the type's description); tracks not in `liveTracks` are ended.
  public func observe(_ frame: SourceFrame, rows: [Detection], liveTracks: Set<String>) throws {
    let planner =
      self.planner
      ?? HarvestPlanner(
        config: config, frameWidth: frame.frameWidth, frameHeight: frame.frameHeight)
    self.planner = planner
    let begin = Date()
    var image: BGRImage?
    for row in rows {
      guard let trackID = row.trackID else { continue }
      tracks[trackID, default: TrackCandidates()].rows.append(row)
      // A damaged frame's faces are decode_failed, as in a separate harvest (docs/harvest.md).
      guard !frame.isDamaged, let face = candidate(row, trackID: trackID, planner: planner)
      else { continue }
      if image == nil { image = try fullImage(of: frame) }
      tracks[trackID]?.crops[row.frameIndex] = FaceCrops(
        landmarks: face.landmarkPoints, in: image!, inputSize: inputSize,
        thumbSize: staging != nil ? config.thumbSize : nil)
    }
    if !frame.isDamaged { framesDelivered.insert(frame.index) }
    cropSeconds += Date().timeIntervalSince(begin)
    for trackID in tracks.keys.sorted() where !liveTracks.contains(trackID) {
      try endTrack(trackID, planner: planner)
    }
  }

  private var inputSize: (width: Int, height: Int) { (entry.inputWidth, entry.inputHeight) }

  /// The row as a face that may be harvested (or be a probe), or nil: it fails both floors, or
  /// the uniform sampler's spacing drops it.
  private func candidate(_ row: Detection, trackID: String, planner: HarvestPlanner)
    -> PlannedFace?
  {
    let probe =
      config.probeFacesPerTrack > 0
      ? try? planner.gate(row, trackID: trackID, floor: .probe(config)).get() : nil
    guard let face = try? planner.gate(row, trackID: trackID).get() else { return probe }
    guard config.samplingMode == .uniform else { return face }
    if let last = tracks[trackID]?.lastSpaced, row.frameIndex - last < sampleInterval {
      return probe
    }
    tracks[trackID]?.lastSpaced = row.frameIndex
    return face
  }

  private func fullImage(of frame: SourceFrame) throws -> BGRImage {
    guard let image = frame.picture?.image(scaler: scaler) else {
      throw VideoError.conversion(
        path: harvester.layout.relativePath(harvester.layout.video(harvester.episode)),
        frameIndex: frame.index, message: "the frame's full-size picture is not available")
    }
    framesConverted += 1
    return image
  }

  /// Plans an ended track, gates its planned faces on their crops and queues them for the
  /// embedder; its probes go too when it has no accepted face (docs/harvest.md, "Probe faces").
  private func endTrack(_ trackID: String, planner: HarvestPlanner) throws {
    guard let track = tracks.removeValue(forKey: trackID) else { return }
    let begin = Date()
    let plan = planner.plan(detectionsByTrack: [trackID: track.rows], frameSpans: [:])
    var faces: [FacesHarvester.GatedFace] = []
    var probes: [FacesHarvester.GatedFace] = []
    for face in plan.faces + plan.probes {
      planned.insert(PlannedKey(face))
      // No crops: the frame was damaged; the face becomes decode_failed at the end.
      guard let crops = track.crops[face.frameIndex] else { continue }
      switch try FacesHarvester.gate(
        face, crops: crops, config: config, staging: staging, encoder: encoder,
        layout: harvester.layout)
      {
      case .success(let gated):
        if face.isProbe { probes.append(gated) } else { faces.append(gated) }
      case .failure(let rejection): if !face.isProbe { rejected.append(rejection.face) }
      }
    }
    cropSeconds += Date().timeIntervalSince(begin)
    pending += faces
    if faces.isEmpty {
      pending += probes
    } else if config.maxCropsPerEpisode > 0 {
      // The episode cap may yet remove every accepted face of this track; then its probes
      // count (FacesHarvester.keptProbes). Held on disk, unembedded, until the plan's size is
      // known: memory stays flat.
      for var probe in probes {
        let slot = try spill.get().hold(probe.modelCrop)
        probe.modelCrop = BGRImage(width: 0, height: 0)
        heldProbes.append((probe, slot))
      }
    } else {
      FacesHarvester.removeStagedCrops(of: probes)
    }
    while pending.count >= config.embedBatchSize { try embedPending() }
  }

  /// Hands the next batch of pending faces to the embedding thread and files the batches it
  /// has embedded (their crops freed), in order.
  private func embedPending() throws {
    guard !pending.isEmpty else { return }
    let batch = Array(pending.prefix(config.embedBatchSize))
    pending.removeFirst(batch.count)
    try worker.submit(batch)
    fileEmbedded()
  }

  private func fileEmbedded() {
    let done = worker.takeEmbedded()
    for (batch, results) in done.embedded {
      FacesHarvester.file(batch, results: results, accepted: &accepted, rejected: &rejected)
    }
    embedSeconds += done.seconds
  }

  // MARK: - After the pass

  /// Ends the harvest once detect-track has committed its files: ends the tracks still open,
  /// plans the episode from `tracks.jsonl` and `detections.jsonl`, checks the plan against the
  /// faces planned during the pass, and commits the harvest's artifacts. `framesInVideo` and
  /// `framesSkipped` are the pass's counts.
  public func finish(
    framesInVideo: Int, framesSkipped: Int,
    progress: (@Sendable (HarvestProgress) -> Void)? = nil,
    isCancelled: @Sendable () -> Bool = { false }
  ) throws -> HarvestSummary {
    if let planner {
      for trackID in tracks.keys.sorted() { try endTrack(trackID, planner: planner) }
    }
    let inputs = try harvester.loadInputs()
    let size = try frameSize()
    let plan = harvester.makePlan(inputs, frameWidth: size.width, frameHeight: size.height)
    try checkPlan(plan)
    if config.maxCropsPerEpisode > 0 && plan.faces.count > config.maxCropsPerEpisode {
      for (var probe, slot) in heldProbes {
        probe.modelCrop = try spill.get().image(in: slot)
        pending.append(probe)
      }
    } else {
      FacesHarvester.removeStagedCrops(of: heldProbes.map(\.face))
    }
    heldProbes = []
    while !pending.isEmpty {
      if isCancelled() { throw HarvestError.cancelled }
      try embedPending()
    }
    try worker.finish()
    fileEmbedded()
    if isCancelled() { throw HarvestError.cancelled }
    let outcome = FacesHarvester.PipelineOutcome(
      accepted: Self.replanned(accepted, by: plan), rejected: rejected,
      framesDecoded: framesInVideo, framesConverted: framesConverted,
      framesSkipped: framesSkipped, sharedDecode: true, framesDelivered: framesDelivered,
      decodeSeconds: 0, cropSeconds: cropSeconds, embedSeconds: embedSeconds)
    return try harvester.complete(
      plan: plan, inputs: inputs, outcome: outcome,
      finished: FacesHarvester.HarvestRun(
        entry: entry, embeddingWidth: try embedder.value().embeddingWidth, staging: staging,
        transaction: transaction, started: started, planSeconds: 0),
      progress: progress)
  }

  /// The frame size the pass planned with; a video whose frames never reached the pass has
  /// the container's.
  private func frameSize() throws -> (width: Int, height: Int) {
    if let planner { return (planner.frameWidth, planner.frameHeight) }
    let info = try FrameSource(url: harvester.layout.video(harvester.episode)).info
    return (info.width, info.height)
  }

  /// Throws unless the episode's plan names exactly the faces the pass planned track by track.
  private func checkPlan(_ plan: HarvestPlanner.Plan) throws {
    let episodePlan = Set((plan.faces + plan.probes).map(PlannedKey.init))
    guard episodePlan == planned else {
      let differing = episodePlan.symmetricDifference(planned).sorted {
        ($0.frameIndex, $0.trackID) < ($1.frameIndex, $1.trackID)
      }
      let first = differing[0]
      throw HarvestError.invalidInput(
        path: harvester.layout.relativePath(harvester.layout.detections(harvester.episode)),
        line: nil,
        message: "the harvest planned during detect-track differs from the episode's plan in "
          + "\(differing.count) faces (first: \(first.trackID) frame \(first.frameIndex)); run "
          + "--faces-embed on its own")
    }
  }

  /// `faces` with each planned face taken from the episode's plan (its position in it).
  private static func replanned(_ faces: [FacesHarvester.GatedFace], by plan: HarvestPlanner.Plan)
    -> [FacesHarvester.GatedFace]
  {
    var byKey: [PlannedKey: PlannedFace] = [:]
    for face in plan.faces + plan.probes { byKey[PlannedKey(face)] = face }
    return faces.map { gated in
      var gated = gated
      gated.face = byKey[PlannedKey(gated.face)] ?? gated.face
      return gated
    }
  }
}
