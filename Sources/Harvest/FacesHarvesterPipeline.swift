package import Artifacts
import FaceAlignment
package import FaceHarvestCore
import FaceQuality
package import Foundation
import Inference
import Logging
package import Media
import StagePipeline

/// The separate harvest pass (docs/harvest.md, "Pipeline"): decode thread, crop thread,
/// embedding on the caller's thread.
extension FacesHarvester {
  // MARK: - Pipeline

  /// What the harvest has done so far, for progress reports.
  struct HarvestCounters: Sendable {
    var framesDone = 0
    var facesEmbedded = 0
    var lastReport = Date.distantPast
  }

  /// A face whose crop passed the gates, waiting for (or done with) the embedder.
  package struct GatedFace: Sendable {
    var face: PlannedFace
    var quality: Double
    package var modelCrop: BGRImage
    var stagedCrop: URL?
    /// Laplacian variance of the in-frame part of the 112×112 alignment.
    var sharpness: Double
    /// Share of the alignment outside the frame.
    var padding: Double
    var embedding: [Float] = []

    /// Removes the face's staged crop, if any: it will not be written.
    func removeStagedCrop() {
      if let stagedCrop { try? FileManager.default.removeItem(at: stagedCrop) }
    }
  }

  struct PipelineOutcome {
    var accepted: [GatedFace]
    var rejected: [RejectedFace]
    var framesDecoded: Int
    var framesConverted: Int
    var framesSkipped: Int
    /// Whether the frames were detect-track's (`SinglePassHarvest`).
    var sharedDecode = false
    /// The numbers of the planned frames that arrived whole (not damaged) from the `FrameSource`.
    var framesDelivered: Set<Int>
    var decodeSeconds: Double
    var cropSeconds: Double
    var embedSeconds: Double
  }

  /// Thread-confined objects handed to a stage thread.
  func runPipeline(
    plan: HarvestPlanner.Plan, source: FrameSource, embedder: Deferred<FaceEmbedder>,
    embedderEntry: ModelEntry, staging: URL?, started: Date,
    progress: (@Sendable (HarvestProgress) -> Void)?,
    isCancelled: @escaping @Sendable () -> Bool
  ) throws -> PipelineOutcome {
    let facesByFrame = Dictionary(grouping: plan.faces + plan.probes, by: \.frameIndex)
    let reporter = ProgressReporter(
      progress: progress, started: started, facesTotal: plan.faces.count + plan.probes.count,
      framesTotal: max(
        source.info.declaredFrameCount ?? 0, (plan.faces.last?.frameIndex ?? -1) + 1,
        (plan.probes.last?.frameIndex ?? -1) + 1))
    // Stage 1: the FrameSource's decode thread, converting only frames a face needs. (The
    // callback must not hold the source: the source holds its thread.)
    source.start(.only(Set(facesByFrame.keys)), isCancelled: isCancelled) { frames in
      reporter.counters.withLock { $0.framesDone = frames.framesPassed }
      reporter.report("harvest")
    }
    // Stage 2: align, measure, gate, save crops. Stage 3 (this thread): embed in batches.
    let crops = CropStage(
      source: source, facesByFrame: facesByFrame, config: config, layout: layout,
      inputSize: (width: embedderEntry.inputWidth, height: embedderEntry.inputHeight),
      staging: staging, queueCapacity: faceQueueCapacity)
    var embedded = EmbedOutcome()
    do {
      embedded = try embed(
        crops.queue, plan: plan, embedder: embedder, reporter: reporter,
        isCancelled: isCancelled)
    } catch {
      crops.failure.record(error)
    }
    if crops.failure.error != nil || isCancelled() {
      source.stop()
      crops.queue.abort()
    }
    crops.thread.join()
    if let error = crops.failure.error { throw error }
    if isCancelled() { throw HarvestError.cancelled }
    let frames = try source.finish()
    return PipelineOutcome(
      accepted: embedded.accepted, rejected: crops.rejected.value + embedded.rejected,
      framesDecoded: frames.framesPassed, framesConverted: frames.framesConverted,
      framesSkipped: frames.framesSkipped, framesDelivered: crops.delivered.value,
      decodeSeconds: frames.busySeconds, cropSeconds: crops.seconds.value,
      embedSeconds: embedded.seconds)
  }

  /// Progress of the separate harvest pass, reported at most four times a second.
  final class ProgressReporter: Sendable {
    let counters = Locked(HarvestCounters())
    let progress: (@Sendable (HarvestProgress) -> Void)?
    let started: Date
    let facesTotal: Int
    let framesTotal: Int

    init(
      progress: (@Sendable (HarvestProgress) -> Void)?, started: Date, facesTotal: Int,
      framesTotal: Int
    ) {
      self.progress = progress
      self.started = started
      self.facesTotal = facesTotal
      self.framesTotal = framesTotal
    }

    func report(_ phase: String) {
      guard let progress else { return }
      let now = Date()
      let snapshot: HarvestCounters? = counters.withLock { counters in
        guard now.timeIntervalSince(counters.lastReport) >= 0.25 else { return nil }
        counters.lastReport = now
        return counters
      }
      guard let snapshot else { return }
      progress(
        HarvestProgress(
          phase: phase, framesDone: snapshot.framesDone, framesTotal: framesTotal,
          facesDone: snapshot.facesEmbedded, facesTotal: facesTotal,
          elapsed: now.timeIntervalSince(started)))
    }
  }

  /// The crop stage's thread and what it leaves: faces gated and queued for embedding,
  /// rejections, the frames that arrived whole, its busy time, and the first error.
  struct CropStage {
    let queue: BoundedQueue<GatedFace>
    let failure: FirstError
    let rejected: Locked<[RejectedFace]>
    let delivered: Locked<Set<Int>>
    let seconds: Locked<Double>
    let thread: StageThread

    init(
      source: FrameSource, facesByFrame: [Int: [PlannedFace]], config: HarvestConfig,
      layout: DataLayout, inputSize: (width: Int, height: Int), staging: URL?,
      queueCapacity: Int
    ) {
      let queue = BoundedQueue<GatedFace>(capacity: queueCapacity)
      let (failure, rejected, delivered, seconds) = (
        FirstError(), Locked([RejectedFace]()),
        Locked(Set<Int>()), Locked(0.0)
      )
      thread = StageThread(name: "harvest.crop") {
        var busy = 0.0
        do {
          let jpeg = try JPEGEncoder()
          // A damaged frame's pixels may differ from what detect-track saw: its faces are
          // decode_failed (docs/harvest.md).
          while let frame = try source.next() {
            guard !frame.isDamaged else { continue }
            delivered.withLock { _ = $0.insert(frame.index) }
            for face in facesByFrame[frame.index] ?? [] {
              let begin = Date()
              let outcome = try FacesHarvester.cropAndGate(
                face, in: frame.image, config: config, inputSize: inputSize, staging: staging,
                encoder: jpeg, layout: layout)
              busy += Date().timeIntervalSince(begin)
              switch outcome {
              case .success(let gated):
                guard queue.push(gated) else { return }
              case .failure(let rejection):
                // A probe that fails is simply not a probe: it is no rejection of the harvest.
                if !face.isProbe { rejected.withLock { $0.append(rejection.face) } }
              }
            }
          }
        } catch {
          failure.record(error)
          source.stop()
          queue.abort()
        }
        queue.finish()
        seconds.withLock { $0 = busy }
      }
      self.queue = queue
      self.failure = failure
      self.rejected = rejected
      self.delivered = delivered
      self.seconds = seconds
    }
  }

  /// What the embedding loop produced.
  struct EmbedOutcome {
    var accepted: [GatedFace] = []
    var rejected: [RejectedFace] = []
    var seconds = 0.0
  }

  /// Embeds whatever the crop stage has ready (at most `embed_batch_size` faces): waiting for
  /// a full batch would leave the embedder idle while the decoder works, and overlap is the
  /// point of the pipeline. Probes wait in a `ProbeBuffer` until their track is complete
  /// (docs/harvest.md).
  func embed(
    _ queue: BoundedQueue<GatedFace>, plan: HarvestPlanner.Plan,
    embedder: Deferred<FaceEmbedder>, reporter: ProgressReporter,
    isCancelled: @Sendable () -> Bool
  ) throws -> EmbedOutcome {
    var outcome = EmbedOutcome()
    var probeBuffer = ProbeBuffer<GatedFace>(
      lastFrame: Dictionary(
        (plan.faces + plan.probes).map { ($0.trackID, $0.frameIndex) }, uniquingKeysWith: max),
      track: \.face.trackID, frame: \.face.frameIndex, isProbe: \.face.isProbe)
    probeBuffer.dropsProbesOfAcceptedTracks =
      config.maxCropsPerEpisode == 0 || plan.faces.count <= config.maxCropsPerEpisode
    var ready: [GatedFace] = []
    while !isCancelled() {
      let popped = queue.popAvailable(maximum: config.embedBatchSize)
      let admitted = popped.isEmpty ? probeBuffer.drain() : probeBuffer.admit(popped)
      Self.removeStagedCrops(of: admitted.discarded)
      reporter.counters.withLock { $0.facesEmbedded += admitted.discarded.count }
      ready += admitted.embed
      while !ready.isEmpty {
        let batch = Array(ready.prefix(config.embedBatchSize))
        ready.removeFirst(batch.count)
        let begin = Date()
        let results = try embedder.value().embed(batch.map(\.modelCrop))
        Self.file(batch, results: results, accepted: &outcome.accepted, rejected: &outcome.rejected)
        outcome.seconds += Date().timeIntervalSince(begin)
        reporter.counters.withLock { $0.facesEmbedded += batch.count }
        reporter.report("harvest")
      }
      if popped.isEmpty { break }
    }
    return outcome
  }

  /// Files a batch's embeddings: a face with one is accepted (its crop pixels dropped); a face
  /// without is `invalid_embedding` (a probe is simply dropped), its staged crop removed.
  static func file(
    _ batch: [GatedFace], results: [Result<[Float], EmbeddingRejectionError>],
    accepted: inout [GatedFace], rejected: inout [RejectedFace]
  ) {
    for (var face, result) in zip(batch, results) {
      switch result {
      case .success(let vector):
        face.embedding = vector
        face.modelCrop = BGRImage(width: 0, height: 0)
        accepted.append(face)
      case .failure where face.face.isProbe:
        face.removeStagedCrop()
      case .failure:
        rejected.append(
          RejectedFace(
            trackID: face.face.trackID, frameIndex: face.face.frameIndex, bbox: face.face.bbox,
            reason: .invalidEmbedding, qualityScore: face.quality))
        face.removeStagedCrop()
      }
    }
  }

  /// Standard deviation of luma below which a crop counts as blank.
  static let blankLumaDeviation = Sharpness.blankDeviation

  /// Aligns one face, measures blur, gates on blank/blur/quality, writes its JPEG to `staging`.
  package static func cropAndGate(
    _ face: PlannedFace, in image: BGRImage, config: HarvestConfig,
    inputSize: (width: Int, height: Int), staging: URL?, encoder: JPEGEncoder, layout: DataLayout
  ) throws -> Result<GatedFace, RejectedFaceError> {
    let crops = FaceCrops(
      landmarks: face.landmarkPoints, in: image, inputSize: inputSize,
      thumbSize: staging != nil ? config.thumbSize : nil)
    return try gate(
      face, crops: crops, config: config, staging: staging, encoder: encoder, layout: layout)
  }

  /// Gates a face on its crops (blank, flat, blur, quality) and writes its JPEG to `staging`.
  static func gate(
    _ face: PlannedFace, crops: FaceCrops, config: HarvestConfig, staging: URL?,
    encoder: JPEGEncoder, layout: DataLayout
  ) throws -> Result<GatedFace, RejectedFaceError> {
    func reject(_ reason: RejectionReason, _ quality: Double?) -> Result<
      GatedFace, RejectedFaceError
    > {
      .failure(
        RejectedFaceError(
          RejectedFace(
            trackID: face.trackID, frameIndex: face.frameIndex, bbox: face.bbox, reason: reason,
            qualityScore: quality, padding: crops.blur == nil ? nil : crops.padding)))
    }
    guard let modelCrop = crops.model, let blurCrop = crops.blur else {
      return reject(.invalidLandmarks, nil)
    }
    // An edge-cut face may place its track (a probe), never define an identity.
    if !face.isProbe && crops.padding > config.maxPadding { return reject(.bboxOutOfBounds, nil) }
    let measures = CropMeasures(blurCrop, inFrame: crops.inFrame)
    if measures.lumaDeviation < blankLumaDeviation { return reject(.blankCrop, nil) }
    if measures.flatFraction > config.maxFlatFraction { return reject(.flatCrop, nil) }
    let variance = measures.laplacianVariance
    let quality = QualityScore(
      confidence: face.confidence, shortSidePixels: face.shortSide, laplacianVariance: variance,
      maxBlur: config.maxBlur, yawDegrees: face.pose.yaw)
    // A probe passes on the relaxed floor alone: it is never blank, but may be blurry or of low
    // quality (docs/harvest.md, "Probe faces").
    if !face.isProbe {
      if variance < config.maxBlur { return reject(.tooBlurry, quality.value) }
      if quality.value < config.minQuality { return reject(.lowQuality, quality.value) }
    }

    var stagedCrop: URL?
    if let staging {
      guard let thumb = crops.thumb else { return reject(.invalidLandmarks, quality.value) }
      if Sharpness.lumaDeviation(Sharpness.luma(thumb)) < blankLumaDeviation {
        return reject(.blankCrop, quality.value)
      }
      let data = try encoder.encode(thumb, quality: config.jpegQuality)
      let relative = Self.cropPath(face)
      let url = staging.appendingPathComponent(String(relative.dropFirst("crops/".count)))
      try FileSystemFailure.write(data, to: url, displayPath: layout.relativePath(url))
      stagedCrop = url
    }
    return .success(
      GatedFace(
        face: face, quality: quality.value, modelCrop: modelCrop, stagedCrop: stagedCrop,
        sharpness: variance, padding: crops.padding))
  }
}
