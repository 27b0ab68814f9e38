import Artifacts
import FaceHarvestCore
import FaceQuality
import Foundation
import Inference
import Media
import ThreadPrimitives

/// The one harvest engine (docs/harvest.md, "One engine"): everything from a face's aligned
/// crops to the committed artifacts — the gates, the crop JPEGs, the probe policy, the
/// embedding thread, the episode cap and the commit. Two feeds give it faces: its own decode
/// of the frames the plan needs (`PlannedFramesFeed`) and detect-track's pass
/// (`SinglePassHarvest`). A feed cuts each face's crops, calls `gate`, hands the faces that
/// pass to `submit`, and calls `endTrack` with a track's probes once the track is complete.
final class HarvestSession {
  let harvester: FacesHarvester
  let entry: ModelEntry
  let embedder: Deferred<FaceEmbedder>
  let started: Date
  /// Where the crop JPEGs are staged (nil: crops are not saved).
  let staging: URL?
  /// The staged crops folder: the crops when saved, and the review thumbnails (nil: neither
  /// is written).
  let cropsFolder: URL?
  /// The faces whose frames arrived whole.
  var framesDelivered = Set<Int>()
  /// Seconds the feed spent cutting and gating crops.
  var cropSeconds = 0.0
  /// Counts the faces done, for the feed's progress display.
  var reporter: FacesHarvester.ProgressReporter?

  private var config: HarvestConfig { harvester.config }
  private let transaction: ArtifactTransaction
  private let encoder: JPEGEncoder
  private let worker: EmbeddingWorker
  private var probes: ProbeKeeping
  private var demand: ProbeDemand<FacesHarvester.GatedFace>
  /// Probes dropped unembedded because their track's first ones agreed.
  private(set) var probesNotNeeded = 0
  private var thumbs: ReviewThumbPicker<BGRImage>
  /// Each track's written review thumbnails, `crops/…` paths in frame order.
  private var thumbPaths: [String: [String]] = [:]
  private var pending: [FacesHarvester.GatedFace] = []
  private var accepted: [FacesHarvester.GatedFace] = []
  private var rejected: [RejectedFace] = []
  /// Probes of tracks with an accepted face, their crops on disk until the plan's size is known.
  private var heldProbes: [(face: FacesHarvester.GatedFace, slot: CropSpill.Slot)] = []
  private lazy var spill = Result { try CropSpill() }
  private var embedSeconds = 0.0

  /// A session of `harvester`'s episode. The embedding model starts loading now; its thread
  /// runs `embedderNiceness` nice levels below the caller's.
  init(harvester: FacesHarvester, embedderNiceness: Int32) throws {
    started = Date()
    self.harvester = harvester
    entry = try FacesHarvester.embedderEntry(
      named: harvester.config.embedModel, in: harvester.manifest)
    embedder = harvester.loadEmbedder(entry)
    worker = EmbeddingWorker(embedder: embedder, niceness: embedderNiceness)
    // Everything the run writes, crops included, is staged in one transaction and committed
    // at the end; a failed run's staging goes with it (docs/artifacts.md, "Commits").
    transaction = ArtifactTransaction(
      layout: harvester.layout, episode: harvester.episode, purpose: "faces harvest")
    let config = harvester.config
    cropsFolder =
      config.saveCrops || config.reviewThumbsPerTrack > 0
      ? try transaction.stageFolder(replacing: harvester.layout.cropsDir(harvester.episode))
      : nil
    staging = config.saveCrops ? cropsFolder : nil
    encoder = try JPEGEncoder()
    probes = ProbeKeeping(cap: config.maxCropsPerEpisode, plannedFaces: nil)
    demand = ProbeDemand(
      firstRound: config.probeEmbedFirst, agreement: config.probeEmbedAgreement)
    thumbs = ReviewThumbPicker(perTrack: config.reviewThumbsPerTrack)
  }

  deinit { _ = try? embedder.value() }

  /// The embedding model's input size.
  var inputSize: (width: Int, height: Int) { (entry.inputWidth, entry.inputHeight) }

  /// Gates `face` on its crops and stages its JPEG: the face, or nil when it fails (a failed
  /// face is a rejection; a failed probe is simply not a probe).
  func gate(_ face: PlannedFace, crops: FaceCrops) throws -> FacesHarvester.GatedFace? {
    switch try FacesHarvester.gate(
      face, crops: crops, config: config, staging: staging, encoder: encoder,
      layout: harvester.layout)
    {
    case .success(let gated):
      if let picture = crops.blur {
        thumbs.offer(
          .init(
            frameIndex: face.frameIndex, kind: face.isProbe ? .probe : .defining,
            score: gated.quality, picture: picture), track: face.trackID)
      }
      return gated
    case .failure(let rejection):
      if !face.isProbe { rejected.append(rejection.face) }
      return nil
    }
  }

  /// A track's review face (docs/harvest.md, "Review thumbnails"), with its picture
  /// (`ReviewPicture`; nil: nothing to show).
  func offerReviewFace(_ face: PlannedFace, picture: BGRImage?) {
    guard let picture else { return }
    thumbs.offer(
      .init(
        frameIndex: face.frameIndex, kind: .detection, score: face.preCropQuality.value,
        picture: picture), track: face.trackID)
  }

  /// Faces that passed the gates: they go to the embedding thread in batches.
  func submit(_ faces: [FacesHarvester.GatedFace]) throws {
    for face in faces { probes.faceAccepted(track: face.face.trackID) }
    pending += faces
    while pending.count >= config.embedBatchSize { try embedPending() }
  }

  /// `track` is complete: its gated probes are embedded (by need: `ProbeDemand`), held or
  /// dropped (`ProbeKeeping`).
  func endTrack(_ track: String, probes gatedProbes: [FacesHarvester.GatedFace]) throws {
    try writeThumbs(of: track)
    guard !gatedProbes.isEmpty else { return }
    let trackProbes = Self.ranked(gatedProbes)
    switch probes.verdict(forProbesOf: track) {
    case .embed:
      pending += demand.start(track: track, probes: trackProbes)
      while pending.count >= config.embedBatchSize { try embedPending() }
    case .hold:
      // Held on disk, unembedded, until the plan's size is known: memory stays flat.
      for var probe in trackProbes {
        let slot = try spill.get().hold(probe.modelCrop)
        probe.modelCrop = BGRImage(width: 0, height: 0)
        heldProbes.append((probe, slot))
      }
    case .discard:
      FacesHarvester.removeStagedCrops(of: trackProbes)
      reporter?.counters.withLock { $0.facesEmbedded += trackProbes.count }
    }
  }

  /// A track's probes best first (quality, then frame), each numbered with its rank.
  static func ranked(_ probes: [FacesHarvester.GatedFace]) -> [FacesHarvester.GatedFace] {
    var sorted = probes.sorted {
      ($0.quality, $1.face.frameIndex) > ($1.quality, $0.face.frameIndex)
    }
    for index in sorted.indices {
      sorted[index].probeRank = index + 1
      sorted[index].trackProbes = sorted.count
    }
    return sorted
  }

  /// Writes `track`'s review thumbnails into the staged crops folder.
  private func writeThumbs(of track: String) throws {
    let chosen = thumbs.take(track: track)
    guard let cropsFolder, !chosen.isEmpty else { return }
    var paths: [String] = []
    for thumb in chosen {
      let relative = DataLayout.reviewThumbRelativePath(
        trackID: track, frameIndex: thumb.frameIndex)
      let url = cropsFolder.appendingPathComponent(String(relative.dropFirst("crops/".count)))
      let data = try encoder.encode(thumb.picture, quality: config.jpegQuality)
      try FileSystemFailure.write(data, to: url, displayPath: harvester.layout.relativePath(url))
      paths.append(relative)
    }
    thumbPaths[track] = paths
  }

  /// Throws the embedding thread's error, if it has failed: the feed stops at once rather
  /// than at its next full batch.
  func throwIfEmbedderFailed() throws {
    try worker.throwIfFailed()
  }

  /// Hands the next batch of pending faces to the embedding thread and files the batches it
  /// has embedded, in order.
  private func embedPending() throws {
    guard !pending.isEmpty else { return }
    let batch = Array(pending.prefix(config.embedBatchSize))
    pending.removeFirst(batch.count)
    try worker.submit(batch)
    fileEmbedded()
  }

  private func fileEmbedded() {
    let done = worker.takeEmbedded()
    for (batch, results) in done.embedded { file(batch, results: results) }
    embedSeconds += done.seconds
    reporter?.report("harvest")
  }

  /// Files one embedded batch; the probes it settles release their track's next probes into
  /// `pending` or drop them (`ProbeDemand`).
  private func file(
    _ batch: [FacesHarvester.GatedFace], results: [Result<[Float], EmbeddingRejectionError>]
  ) {
    FacesHarvester.file(batch, results: results, accepted: &accepted, rejected: &rejected)
    var settled = batch.count
    for (face, result) in zip(batch, results) where face.face.isProbe {
      let next = demand.embedded(track: face.face.trackID, vector: try? result.get())
      pending += next.embed
      FacesHarvester.removeStagedCrops(of: next.drop)
      probesNotNeeded += next.drop.count
      settled += next.drop.count
    }
    reporter?.counters.withLock { $0.facesEmbedded += settled }
  }

  /// Embeds what is still pending on this thread, after the embedding thread has finished:
  /// the probes the last batches asked for.
  private func embedRestHere(isCancelled: () -> Bool) throws {
    while !pending.isEmpty {
      if isCancelled() { throw HarvestError.cancelled }
      let batch = Array(pending.prefix(config.embedBatchSize))
      pending.removeFirst(batch.count)
      let begin = Date()
      let results = try embedder.value().embed(batch.map(\.modelCrop))
      embedSeconds += Date().timeIntervalSince(begin)
      file(batch, results: results)
      reporter?.report("harvest")
    }
  }

  /// What the feed's pass saw of the video.
  struct PassCounts {
    var framesDecoded: Int
    var framesConverted: Int
    var framesSkipped: Int
    var decodeSeconds: Double
    /// Whether the frames were detect-track's.
    var sharedDecode: Bool
  }

  /// Ends the harvest once every track is complete: the held probes are embedded or dropped
  /// by `plan`'s size, the last batches are embedded, and `FacesHarvester.complete` commits
  /// the artifacts.
  func finish(
    plan: HarvestPlanner.Plan, inputs: FacesHarvester.Inputs, pass: PassCounts,
    planSeconds: Double, progress: (@Sendable (HarvestProgress) -> Void)?,
    isCancelled: @Sendable () -> Bool
  ) throws -> HarvestSummary {
    for track in thumbs.openTracks { try writeThumbs(of: track) }
    try releaseHeldProbes(plannedFaces: plan.faces.count)
    while !pending.isEmpty {
      if isCancelled() { throw HarvestError.cancelled }
      try embedPending()
    }
    try worker.finish()
    fileEmbedded()
    try embedRestHere(isCancelled: isCancelled)
    if isCancelled() { throw HarvestError.cancelled }
    let outcome = FacesHarvester.HarvestOutcome(
      accepted: accepted, rejected: rejected, framesDecoded: pass.framesDecoded,
      framesConverted: pass.framesConverted, framesSkipped: pass.framesSkipped,
      sharedDecode: pass.sharedDecode, framesDelivered: framesDelivered,
      decodeSeconds: pass.decodeSeconds, cropSeconds: cropSeconds, embedSeconds: embedSeconds,
      probesNotNeeded: probesNotNeeded)
    return try harvester.complete(
      plan: plan, inputs: inputs, outcome: outcome,
      finished: FacesHarvester.HarvestRun(
        entry: entry, embeddingWidth: try embedder.value().embeddingWidth, staging: staging,
        cropsFolder: cropsFolder, reviewThumbs: thumbPaths, transaction: transaction,
        started: started, planSeconds: planSeconds),
      progress: progress)
  }

  /// The plan has `plannedFaces` faces: whether the episode cap may remove accepted faces is
  /// known from here on (a feed that knows the plan before its pass says so at once).
  func planKnown(plannedFaces: Int) {
    _ = probes.planKnown(cap: config.maxCropsPerEpisode, plannedFaces: plannedFaces)
  }

  /// The plan's size is known: held probes are queued when the cap may remove accepted faces,
  /// dropped otherwise.
  private func releaseHeldProbes(plannedFaces: Int) throws {
    let embed = probes.planKnown(cap: config.maxCropsPerEpisode, plannedFaces: plannedFaces)
    if embed {
      // By need, as when the verdict is known at once (the separate harvest): the same rows.
      var byTrack: [String: [FacesHarvester.GatedFace]] = [:]
      for (var probe, slot) in heldProbes {
        probe.modelCrop = try spill.get().image(in: slot)
        byTrack[probe.face.trackID, default: []].append(probe)
      }
      for track in byTrack.keys.sorted() {
        pending += demand.start(track: track, probes: byTrack[track] ?? [])
      }
    } else {
      FacesHarvester.removeStagedCrops(of: heldProbes.map(\.face))
    }
    heldProbes = []
  }
}
