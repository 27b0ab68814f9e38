public import Artifacts
import FaceHarvestCore
import Foundation
import Inference
import Logging
public import Media
import ThreadPrimitives

/// The harvest fed by detect-track's decode pass, so that `--detect-track --faces-embed`
/// decodes the episode once (docs/harvest.md, "One decode"). It feeds the same
/// `HarvestSession` as a separate `--faces-embed`, and its artifacts are that run's, byte for
/// byte.
///
/// Every analysed frame comes with its detection rows (`observe`). A row that passes the
/// spec's gates or the probe floor before any pixel is seen has its aligned crops cut from the
/// full-size frame at once (under `uniform` sampling, only a row at least `sample_interval`
/// frames after the last one kept: the sampler's own spacing, which runs in time order). When
/// a track ends (the tracker drops it, or a cut), it is planned with the harvest's own
/// planner, its planned faces are gated and go to the session, and its rows and crops are
/// freed: memory holds the rows and crops of the tracks alive at once, and each ended track's
/// plan. `finish` joins the tracks' plans into the episode's (the planner plans each track on
/// its own, so they are the plan a separate harvest makes from the files) with the tracks
/// detect-track committed (nothing is read back from disk), and ends the session.
///
/// `stratified` sampling needs each track's final frame span, known only once the shots are
/// final, so it is not supported here: the pipeline then decodes twice (`supports`).
public final class SinglePassHarvest {
  private let harvester: FacesHarvester
  private let session: HarvestSession
  private let scaler = PictureScaler()
  private let sampleInterval: Int
  private var config: HarvestConfig { harvester.config }
  private var planner: HarvestPlanner?
  /// The tracks not yet ended.
  private var openTracks: [String: OpenTrack] = [:]
  /// The plan of every ended track (their union is the episode's plan: `HarvestPlanner.merged`).
  private var trackPlans: [String: HarvestPlanner.Plan] = [:]
  /// The tracks detect-track committed.
  private var committedTracks: [Track]?
  private var framesConverted = 0

  /// The rows of one open track, and the crops of those that may be harvested.
  private struct OpenTrack {
    var rows: [Detection] = []
    var crops: [Int: FaceCrops] = [:]
    var lastSpaced: Int?
    /// The best review face so far and its alignment (docs/harvest.md, "Review thumbnails").
    var review: (face: PlannedFace, picture: BGRImage?)?
  }

  /// Whether `config` can be harvested in detect-track's pass.
  public static func supports(_ config: HarvestConfig) -> Bool {
    config.samplingMode != .stratified
  }

  /// A harvest by `harvester`'s settings, during the detect-track pass about to start. The
  /// embedding model starts loading now; its thread runs below the pass's, which has no
  /// slack (docs/harvest.md, "Pipeline and threads").
  public init(harvester: FacesHarvester) throws {
    precondition(Self.supports(harvester.config), "stratified sampling needs two passes")
    self.harvester = harvester
    session = try HarvestSession(
      harvester: harvester, embedderNiceness: EmbeddingWorker.niceness)
    sampleInterval =
      TrackSampler(
        mode: harvester.config.samplingMode, sampleInterval: harvester.config.sampleInterval,
        maxPerTrack: harvester.config.maxCropsPerTrack
      ).sampleInterval
  }

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
      openTracks[trackID, default: OpenTrack()].rows.append(row)
      // A damaged frame's faces are decode_failed, as in a separate harvest (docs/harvest.md).
      // A damaged frame's face still ranks as the review face (the planner ranks every row),
      // with no picture, as the separate harvest finds it (docs/harvest.md).
      try keepReviewFace(row, trackID: trackID, planner: planner, frame: frame, image: &image)
      guard !frame.isDamaged else { continue }
      if let face = candidate(row, trackID: trackID, planner: planner) {
        if image == nil { image = try fullImage(of: frame) }
        openTracks[trackID]?.crops[row.frameIndex] = FaceCrops(
          landmarks: face.landmarkPoints, in: image!, inputSize: session.inputSize,
          thumbSize: session.staging != nil ? config.thumbSize : nil)
      }
    }
    if !frame.isDamaged { session.framesDelivered.insert(frame.index) }
    session.cropSeconds += Date().timeIntervalSince(begin)
    for trackID in openTracks.keys.sorted() where !liveTracks.contains(trackID) {
      try endTrack(trackID, planner: planner)
    }
  }

  /// Keeps `row` as its track's review face when it ranks before the one kept (the planner's
  /// rule, so the separate harvest picks the same face), with its picture (`ReviewPicture`).
  private func keepReviewFace(
    _ row: Detection, trackID: String, planner: HarvestPlanner, frame: SourceFrame,
    image: inout BGRImage?
  ) throws {
    guard let face = planner.reviewCandidate(row, trackID: trackID) else { return }
    if let kept = openTracks[trackID]?.review?.face,
      !HarvestPlanner.reviewRanks(face, before: kept)
    {
      return
    }
    guard !frame.isDamaged else {
      openTracks[trackID]?.review = (face, nil)
      return
    }
    if image == nil { image = try fullImage(of: frame) }
    openTracks[trackID]?.review = (face, ReviewPicture.make(face, in: image!))
  }

  /// Detect-track committed `tracks`: the harvest's inputs are now complete.
  public func detectTrackCommitted(tracks: [Track]) {
    committedTracks = tracks
  }

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
    if let last = openTracks[trackID]?.lastSpaced, row.frameIndex - last < sampleInterval {
      return probe
    }
    openTracks[trackID]?.lastSpaced = row.frameIndex
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

  /// Plans an ended track and hands its planned faces, gated on their crops, to the session.
  private func endTrack(_ trackID: String, planner: HarvestPlanner) throws {
    guard let track = openTracks.removeValue(forKey: trackID) else { return }
    let begin = Date()
    let plan = planner.plan(detectionsByTrack: [trackID: track.rows], frameSpans: [:])
    trackPlans[trackID] = plan
    var faces: [FacesHarvester.GatedFace] = []
    var probes: [FacesHarvester.GatedFace] = []
    for face in plan.faces + plan.probes {
      // No crops: the frame was damaged; the face becomes decode_failed at the end.
      guard let crops = track.crops[face.frameIndex],
        let gated = try session.gate(face, crops: crops)
      else { continue }
      if face.isProbe { probes.append(gated) } else { faces.append(gated) }
    }
    if let review = track.review { session.offerReviewFace(review.face, picture: review.picture) }
    session.cropSeconds += Date().timeIntervalSince(begin)
    try session.submit(faces)
    try session.endTrack(trackID, probes: probes)
  }

  // MARK: - After the pass

  /// Ends the harvest once detect-track has committed its files: ends the tracks still open,
  /// joins their plans into the episode's, and commits the harvest's artifacts. `framesInVideo` and
  /// `framesSkipped` are the pass's counts.
  public func finish(
    framesInVideo: Int, framesSkipped: Int,
    progress: (@Sendable (HarvestProgress) -> Void)? = nil,
    isCancelled: @Sendable () -> Bool = { false }
  ) throws -> HarvestSummary {
    guard let committedTracks else {
      throw HarvestError.invalidInput(
        path: harvester.layout.relativePath(harvester.layout.tracks(harvester.episode)),
        line: nil, message: "the one-decode harvest ended before detect-track committed its tracks")
    }
    if let planner {
      for trackID in openTracks.keys.sorted() { try endTrack(trackID, planner: planner) }
    }
    let inputs = harvester.inputs(
      tracks: committedTracks, detectionsByTrack: [:], tracksWithDetections: Set(trackPlans.keys))
    let plan = HarvestPlanner.merged(trackPlans)
    return try session.finish(
      plan: plan, inputs: inputs,
      pass: HarvestSession.PassCounts(
        framesDecoded: framesInVideo, framesConverted: framesConverted,
        framesSkipped: framesSkipped, decodeSeconds: 0, sharedDecode: true),
      planSeconds: 0, progress: progress, isCancelled: isCancelled)
  }
}
