package import Artifacts
import FaceAlignment
package import FaceHarvestCore
import FaceQuality
package import Foundation
import Inference
import Logging
package import Media
import ThreadPrimitives

/// The harvest's gates and the types its feeds and `HarvestSession` share (docs/harvest.md,
/// "One engine").
extension FacesHarvester {
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
    /// A probe's place in its track's quality order (1: the best) and how many probes the track
    /// had (0: not ranked); docs/harvest.md, "Probes by need".
    var probeRank = 0
    var trackProbes = 0

    /// Removes the face's staged crop, if any: it will not be written.
    func removeStagedCrop() {
      if let stagedCrop { try? FileManager.default.removeItem(at: stagedCrop) }
    }
  }

  /// What a `HarvestSession` produced over its feed's pass, for `complete`.
  struct HarvestOutcome {
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
    var probesNotNeeded = 0
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
