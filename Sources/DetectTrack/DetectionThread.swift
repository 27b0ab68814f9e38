import Foundation
import Inference
import Media
import ThreadPrimitives

/// One batch of analysed frames after scene-cut search and detection, on its way from the
/// detection thread to the tracker.
struct DetectedBatch: Sendable {
  /// The frames, in order.
  let frames: [SourceFrame]
  /// The faces of each frame, in frame pixels.
  let faces: [[FaceDetection]]
  /// Whether a cut comes before each frame.
  let cutBefore: [Bool]
  /// Each frame's colour histogram (the shots of `shots.jsonl` keep it).
  let histograms: [[Double]]
  /// Frames of the batch run at the enlarged input.
  let enlarged: Int
  /// Of those, frames run at the normal input plus an enlarged tile.
  let tiled: Int
  /// Seconds spent finding the cuts and the faces.
  let cutSeconds: Double
  let detectSeconds: Double
}

/// Scene cuts and face detection on their own thread, ahead of the tracker
/// (docs/detect_track.md, "Threads"). Neither depends on tracking: cuts on the frames' pixels,
/// detection on the frames and on the small-face scans before them, so running them ahead
/// changes no result, and the model runs while the tracker and the harvest work on the frames
/// before.
final class DetectionThread {
  /// What the thread needs besides the frames.
  struct Settings: Sendable {
    let detector: any FaceDetector
    let cuts: SceneCutDetector
    let scan: SmallFaceScan
    let scoreThreshold: Double
    let isCancelled: @Sendable () -> Bool
  }

  /// Nice levels below the decode thread, the pipeline's longest chain, which must not wait
  /// for a core (docs/detect_track.md, "Threads").
  static let niceness: Int32 = 2

  private let source: FrameSource
  private let queue = BoundedQueue<DetectedBatch>(capacity: 2)
  private let failure = FirstError()
  private let thread: StageThread

  /// Starts detecting the frames `source` (already started) decodes.
  init(source: FrameSource, settings: Settings) {
    self.source = source
    let (queue, failure) = (queue, failure)
    thread = StageThread(name: "detect-track.detect") {
      lowerCurrentThreadPriority(by: Self.niceness)
      defer { queue.finish() }
      do {
        try Self.detectAll(from: source, settings: settings, into: queue)
      } catch {
        failure.record(error)
        queue.abort()
      }
    }
  }

  deinit { stop() }

  /// The next batch; nil after the last. Rethrows the thread's error (the source's own, the
  /// detector's as `DetectTrackError.model`, or `.cancelled`).
  func next() throws -> DetectedBatch? {
    if let batch = queue.pop() { return batch }
    if let error = failure.error { throw error }
    return nil
  }

  /// Stops the thread and the source, and waits for the thread. Safe to call more than once.
  func stop() {
    queue.abort()
    source.stop()
    thread.join()
  }

  private static func detectAll(
    from source: FrameSource, settings: Settings, into queue: BoundedQueue<DetectedBatch>
  ) throws {
    var cuts = settings.cuts
    var scan = settings.scan
    let scaler = PictureScaler()
    while true {
      let frames = try source.nextBatch(maximum: settings.detector.maximumBatch)
      if frames.isEmpty { return }
      if settings.isCancelled() { throw DetectTrackError.cancelled }
      // Cuts first: a shot's first frame is a small-face scan.
      let cutStart = Date()
      let histograms = frames.map { cuts.histogram($0.image) }
      let cutBefore = histograms.map { cuts.isCut(before: $0) }
      let detectStart = Date()
      let detected: (faces: [[FaceDetection]], enlarged: Int, tiled: Int)
      do {
        detected = try DetectTrackStage.detect(
          frames, cutBefore: cutBefore, detector: settings.detector,
          scoreThreshold: settings.scoreThreshold, scan: &scan, scaler: scaler)
      } catch {
        throw DetectTrackError.model("\(error)")
      }
      let batch = DetectedBatch(
        frames: frames, faces: detected.faces, cutBefore: cutBefore, histograms: histograms,
        enlarged: detected.enlarged, tiled: detected.tiled,
        cutSeconds: detectStart.timeIntervalSince(cutStart),
        detectSeconds: Date().timeIntervalSince(detectStart))
      guard queue.push(batch) else { return }
    }
  }
}
