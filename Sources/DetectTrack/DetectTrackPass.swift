import Artifacts
import Foundation
import Inference
import Media
import ThreadPrimitives

/// One detect-track run's moving parts (docs/detect_track.md, "Threads"): the decoder
/// (`FrameSource`), the detection thread, ByteTrack, the shot builder, the ledger and the
/// detections writer, with the timings the summary reports.
final class DetectTrackPass {
  let detector: any FaceDetector
  let source: FrameSource
  let detection: DetectionThread
  let stride: Int
  let trackerConfig: ByteTrackConfig
  let tracker: ByteTracker
  let detectionsWriter: JSONLWriter<Detection>
  var shotBuilder: ShotBuilder
  var ledger: TrackingLedger
  var enlargedFrames = 0
  var tiledFrames = 0
  var detectSeconds = 0.0
  var trackSeconds = 0.0

  var info: VideoInfo { source.info }
  var frameSeconds: Double { info.frameRate > 0 ? 1 / info.frameRate : 0 }
  /// Frames in the video, declared or estimated from the duration (for progress).
  var framesTotal: Int {
    info.declaredFrameCount ?? Int(((info.duration ?? 0) * info.frameRate).rounded())
  }

  init(
    detector: any FaceDetector, source: FrameSource, detection: DetectionThread, stride: Int,
    trackerConfig: ByteTrackConfig, detectionsWriter: JSONLWriter<Detection>,
    ledger: TrackingLedger
  ) {
    self.detector = detector
    self.source = source
    self.detection = detection
    self.stride = stride
    self.trackerConfig = trackerConfig
    tracker = ByteTracker(config: trackerConfig)
    self.detectionsWriter = detectionsWriter
    let info = source.info
    shotBuilder = ShotBuilder(
      episode: ledger.episode, frameSeconds: info.frameRate > 0 ? 1 / info.frameRate : 0)
    self.ledger = ledger
  }

  /// Stops the threads and drops an uncommitted detections file.
  func stop() {
    detection.stop()
    source.stop()
    detectionsWriter.abort()
  }

  /// Tracks one batch from the detection thread: shots, then each frame's faces through
  /// ByteTrack into rows (written) and the ledger; `observer` sees each frame after tracking.
  func track(_ detected: DetectedBatch, observer: (any AnalysedFrameObserver)?) throws {
    let batch = detected.frames
    for (frame, (histogram, isCut)) in zip(batch, zip(detected.histograms, detected.cutBefore)) {
      shotBuilder.add(
        FrameTime(index: frame.index, timestamp: frame.timestamp), histogram: histogram,
        cut: isCut, previous: frame.previous)
    }
    enlargedFrames += detected.enlarged
    tiledFrames += detected.tiled
    detectSeconds += detected.detectSeconds
    trackSeconds += detected.cutSeconds
    let tracking = Date()
    for ((frame, detections), isCut) in zip(zip(batch, detected.faces), detected.cutBefore) {
      if isCut {
        tracker.reset()
        ledger.cut()
      }
      let rows = ledger.rows(
        for: TrackingLedger.Frame(
          index: frame.index, timestamp: frame.timestamp, width: frame.frameWidth,
          height: frame.frameHeight),
        detections: detections, assignments: tracker.update(detections))
      try detectionsWriter.write(contentsOf: rows)
      try observer?.observe(
        frame, rows: rows, liveTracks: Set(tracker.liveTrackNumbers.map(ArtifactID.track)))
    }
    trackSeconds += Date().timeIntervalSince(tracking)
  }

  /// Progress now.
  func progress(started: Date) -> DetectTrackProgress {
    let seen = source.counts.framesPassed
    return DetectTrackProgress(
      framesDone: seen, framesTotal: max(framesTotal, seen), framesAnalysed: ledger.analysed,
      tracks: ledger.records.count, detections: detectionsWriter.rowsWritten,
      elapsed: Date().timeIntervalSince(started))
  }
}
