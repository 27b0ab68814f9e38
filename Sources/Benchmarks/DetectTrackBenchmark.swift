public import Artifacts
public import DetectTrack
public import FaceHarvestCore
import Foundation
import Inference
public import Logging
import Media
import ThreadPrimitives

/// Measures detect-track against its parts on one episode, in one process: detector-only (the
/// detector on frames decoded beforehand and held in memory), tracker-only (scene cuts and
/// ByteTrack on those frames and the detector's output) and the end-to-end stage (into a scratch
/// data root, so the episode's artifacts are not touched). Medians of `repetitions` runs.
public enum DetectTrackBenchmark {
  /// The measurements.
  public struct Result: Sendable, Codable, Equatable {
    /// The episode.
    public var episode: String
    /// The detector.
    public var detector: String
    /// Frames the detector analyses.
    public var framesAnalysed: Int
    /// Detector-only wall seconds.
    public var detectorSeconds: Double
    /// Tracker-only wall seconds (scene cuts + ByteTrack).
    public var trackerSeconds: Double
    /// End-to-end stage wall seconds (decode, detect, track, write).
    public var endToEndSeconds: Double

    /// Detector-only frames per second.
    public var detectorFPS: Double { Double(framesAnalysed) / max(1e-9, detectorSeconds) }
    /// Tracker-only frames per second.
    public var trackerFPS: Double { Double(framesAnalysed) / max(1e-9, trackerSeconds) }
    /// End-to-end frames per second.
    public var endToEndFPS: Double { Double(framesAnalysed) / max(1e-9, endToEndSeconds) }
    /// End-to-end over detector-only; the target is ≤ 1.2.
    public var ratio: Double { endToEndSeconds / max(1e-9, detectorSeconds) }

    /// A few aligned lines for the terminal.
    public func text() -> String {
      [
        "bench detect-track \(episode): \(framesAnalysed) frames analysed, detector \(detector)",
        String(format: "  detector-only   %7.2f s  %7.1f frames/s", detectorSeconds, detectorFPS),
        String(format: "  tracker-only    %7.3f s  %7.0f frames/s", trackerSeconds, trackerFPS),
        String(format: "  end-to-end      %7.2f s  %7.1f frames/s", endToEndSeconds, endToEndFPS),
        String(format: "  ratio end-to-end / detector-only = %.2f (target <= 1.2)", ratio),
      ].joined(separator: "\n")
    }
  }

  /// Runs the three measurements with `config`.
  public static func run(
    layout: DataLayout, episode: EpisodeID, config: TrackingConfig, manifest: ModelManifest,
    repetitions: Int = 3, logger: Logger = Logger(label: "faceharvest.bench")
  ) throws -> Result {
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let repetitions = max(1, repetitions)
    let videoURL = layout.video(episode)
    // The detector with the stage's own thread budget: the ratio measures what the stage adds
    // around the model, not a difference in threads (README, "Detect & track benchmark").
    let detector = try DetectorFamily.load(
      named: config.detector, from: manifest, intraOpThreads: ThreadBudget.poolThreads(0),
      logger: logger)

    // The analysed frames, decoded untimed at the detector's input size, as the stage's frame
    // source converts them (640×360 of a 720p frame: 0.7 MB).
    let source = try FrameSource(url: videoURL, logger: logger)
    let stride = config.effectiveStride(frameRate: source.info.frameRate)
    let size = detector.inputImageSize(
      frameWidth: source.info.width, frameHeight: source.info.height)
    var frames: [BGRImage] = []
    try source.forEach(.every(stride), size: .fixed(width: size.width, height: size.height)) {
      frame in
      frames.append(frame.image)
      return true
    }

    let threshold = min(config.lowThresh, config.detThresh)
    var detections: [[FaceDetection]] = []
    var detectorTimes: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      detections = []
      for start in Swift.stride(from: 0, to: frames.count, by: detector.maximumBatch) {
        let batch = Array(frames[start..<min(frames.count, start + detector.maximumBatch)])
        detections += try detector.detect(batch, scoreThreshold: threshold)
      }
      detectorTimes.append(Date().timeIntervalSince(started))
    }

    var trackerTimes: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      let tracker = ByteTracker(
        config: config.byteTrack(frameRate: source.info.frameRate, stride: stride))
      var cuts = SceneCutDetector(
        threshold: config.sceneCutThreshold, minimumShotLength: config.minShotFrames)
      for (image, faces) in zip(frames, detections) {
        if cuts.isCut(before: image) { tracker.reset() }
        _ = tracker.update(faces)
      }
      trackerTimes.append(Date().timeIntervalSince(started))
    }
    let analysed = frames.count
    frames = []

    let scratchLayout = try layout.scratchCopy(of: episode)
    defer { try? FileManager.default.removeItem(at: scratchLayout.root) }
    var endToEndTimes: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      _ = try DetectTrackStage(
        layout: scratchLayout, episode: episode, config: config, manifest: manifest,
        logger: logger
      ).run()
      endToEndTimes.append(Date().timeIntervalSince(started))
    }
    return Result(
      episode: episode.rawValue, detector: detector.entry.name, framesAnalysed: analysed,
      detectorSeconds: median(detectorTimes), trackerSeconds: median(trackerTimes),
      endToEndSeconds: median(endToEndTimes))
  }
}
