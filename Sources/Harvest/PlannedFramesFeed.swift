import FaceHarvestCore
import Foundation
import Media
import ThreadPrimitives

/// The harvest's own decode (docs/harvest.md, "One engine"): the `FrameSource` decodes and
/// converts only the frames the plan needs, on its thread; this feed cuts and gates each
/// planned face on the caller's thread and hands it to the `HarvestSession`, whose thread
/// embeds. Faces arrive in frame order, so a track is complete once the frame of its last
/// planned face has passed (`TrackCompletion`); its probes wait until then.
struct PlannedFramesFeed {
  let plan: HarvestPlanner.Plan
  let source: FrameSource
  let session: HarvestSession

  /// Feeds every planned frame to the session; returns what the decoder saw.
  func run(
    progress: (@Sendable (HarvestProgress) -> Void)?, isCancelled: @escaping @Sendable () -> Bool
  ) throws -> HarvestSession.PassCounts {
    let planned = plan.faces + plan.probes + plan.reviewFaces
    let facesByFrame = Dictionary(grouping: planned, by: \.frameIndex)
    let reporter = FacesHarvester.ProgressReporter(
      progress: progress, started: session.started,
      facesTotal: plan.faces.count + plan.probes.count,
      framesTotal: max(
        source.info.declaredFrameCount ?? 0, (plan.faces.last?.frameIndex ?? -1) + 1,
        (plan.probes.last?.frameIndex ?? -1) + 1))
    session.reporter = reporter
    // The callback must not hold the source: the source holds its thread.
    source.start(.only(Set(facesByFrame.keys)), isCancelled: isCancelled) { frames in
      reporter.counters.withLock { $0.framesDone = frames.framesPassed }
      reporter.report("harvest")
    }
    do {
      try feed(facesByFrame, planned: planned, isCancelled: isCancelled)
    } catch {
      source.stop()
      throw error
    }
    let frames = try source.finish()
    return HarvestSession.PassCounts(
      framesDecoded: frames.framesPassed, framesConverted: frames.framesConverted,
      framesSkipped: frames.framesSkipped, decodeSeconds: frames.busySeconds,
      sharedDecode: false)
  }

  private func feed(
    _ facesByFrame: [Int: [PlannedFace]], planned: [PlannedFace],
    isCancelled: @Sendable () -> Bool
  ) throws {
    var completion = TrackCompletion(
      lastFrames: Dictionary(planned.map { ($0.trackID, $0.frameIndex) }, uniquingKeysWith: max))
    var probes: [String: [FacesHarvester.GatedFace]] = [:]
    while let frame = try source.next() {
      if isCancelled() { throw HarvestError.cancelled }
      try session.throwIfEmbedderFailed()
      // A damaged frame's pixels may differ from what detect-track saw: its faces are
      // decode_failed (docs/harvest.md).
      if !frame.isDamaged {
        session.framesDelivered.insert(frame.index)
        let faces = try gate(facesByFrame[frame.index] ?? [], in: frame.image)
        for probe in faces.probes { probes[probe.face.trackID, default: []].append(probe) }
        try session.submit(faces.accepted)
      }
      for track in completion.complete(through: frame.index) {
        try session.endTrack(track, probes: probes.removeValue(forKey: track) ?? [])
      }
    }
    if isCancelled() { throw HarvestError.cancelled }
    for track in completion.rest() {
      try session.endTrack(track, probes: probes.removeValue(forKey: track) ?? [])
    }
    // Every planned track has completed by now; a probe left over would keep its staged crop.
    for track in probes.keys.sorted() {
      try session.endTrack(track, probes: probes.removeValue(forKey: track) ?? [])
    }
  }

  /// Cuts and gates `faces` of one frame: those that pass, split into faces and probes.
  private func gate(_ faces: [PlannedFace], in image: BGRImage) throws
    -> (accepted: [FacesHarvester.GatedFace], probes: [FacesHarvester.GatedFace])
  {
    let begin = Date()
    defer { session.cropSeconds += Date().timeIntervalSince(begin) }
    var accepted: [FacesHarvester.GatedFace] = []
    var probes: [FacesHarvester.GatedFace] = []
    for face in faces {
      if face.isReview {
        session.offerReviewFace(face, picture: ReviewPicture.make(face, in: image))
        continue
      }
      let crops = FaceCrops(
        landmarks: face.landmarkPoints, in: image, inputSize: session.inputSize,
        thumbSize: session.staging != nil ? session.harvester.config.thumbSize : nil)
      guard let gated = try session.gate(face, crops: crops) else { continue }
      if face.isProbe { probes.append(gated) } else { accepted.append(gated) }
    }
    return (accepted, probes)
  }
}
