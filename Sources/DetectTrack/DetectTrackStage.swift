public import Artifacts
import FaceAlignment
public import FaceHarvestCore
public import Foundation
import Inference
public import Logging
public import Media
import PipelineConfig
import ThreadPrimitives

/// Progress of a detect-track run, reported a few times a second.
public struct DetectTrackProgress: Sendable, Equatable {
  /// Frames decoded so far (analysed or not).
  public var framesDone: Int
  /// Frames in the video (declared by the container, or estimated from its duration).
  public var framesTotal: Int
  /// Frames the detector has analysed.
  public var framesAnalysed: Int
  /// Confirmed tracks so far.
  public var tracks: Int
  /// Detection rows so far.
  public var detections: Int
  /// Seconds since the run started.
  public var elapsed: Double
}

/// Statistics of a finished detect-track run.
public struct DetectTrackSummary: Sendable, Codable, Equatable {
  /// The episode.
  public var episode: String
  /// The detector's manifest name (`model_id` of every row).
  public var detector: String
  /// Frames in the video.
  public var framesDecoded: Int
  /// Frames the detector analysed.
  public var framesAnalysed: Int
  /// Non-reference frames left undecoded (not analysed, nothing refers to them).
  public var framesSkipped: Int
  /// Analysed frames the detector ran at the enlarged input (small-face scans and shots with
  /// small faces; docs/detect_track.md, "Small faces").
  public var framesEnlarged: Int
  /// Of those, frames run at the normal input plus an enlarged tile around their small faces.
  public var framesTiled: Int
  /// The frame stride used.
  public var stride: Int
  /// Rows written to `detections.jsonl`.
  public var detections: Int
  /// Rows of those that belong to a track.
  public var trackedDetections: Int
  /// Tracks written to `tracks.jsonl`.
  public var tracks: Int
  /// Scene cuts found.
  public var sceneCuts: Int
  /// `id_switches` of the metrics.
  public var idSwitches: Int
  /// Seconds by part: `decode` (decoder thread busy), `detect`, `track` (cuts, ByteTrack, rows),
  /// `total`.
  public var seconds: [String: Double]
  /// Artifacts written (paths relative to the data root).
  public var artifacts: [String]

  /// Analysed frames per wall-clock second.
  public var framesPerSecond: Double {
    (seconds["total"] ?? 0) > 0 ? Double(framesAnalysed) / seconds["total"]! : 0
  }
}

/// An error of the detect-track stage.
public enum DetectTrackError: Error, CustomStringConvertible, LocalizedError {
  /// The episode has no video.
  case missingVideo(path: String)
  /// The stream ended before the frame count its container declares.
  case truncated(path: String, decoded: Int, declared: Int)
  /// The detector could not be loaded or run.
  case model(String)
  /// The run was cancelled.
  case cancelled

  public var description: String {
    switch self {
    case .missingVideo(let path): return "missing video: \(path)"
    case .truncated(let path, let decoded, let declared):
      return "\(path) is truncated: it ends after \(decoded) of the \(declared) frames its "
        + "container declares; no artifact was written"
    case .model(let message): return "detector: \(message)"
    case .cancelled: return "detect-track cancelled; previous artifacts are untouched"
    }
  }

  public var errorDescription: String? { description }
}

/// The detect-track stage: one decode pass of `episode.mp4`, face detection on every
/// `stride`-th frame, scene cuts, ByteTrack; writes `detections.jsonl` (det_v1 + `track_id`),
/// `tracks.jsonl` (track_v1), `shots.jsonl` (shot_v1) and `track_metrics.json`.
///
/// Decoding runs on its own thread ahead of detection (a `FrameSource`, the harvest's too, so
/// `frame_idx` means the same frame in both; docs/detect_track.md, "Frame numbers"). Nothing
/// replaces an existing artifact until the whole video is processed; the four files are then
/// committed by one `ArtifactTransaction`, so a failed, cancelled or killed run leaves the
/// previous four or the new four, never a mix.
public final class DetectTrackStage {
  private let layout: DataLayout
  private let episode: EpisodeID
  private let config: TrackingConfig
  private let manifest: ModelManifest
  private let logger: Logger
  /// Decoder threads (0: `ThreadBudget.poolThreads`, half the cores).
  public var decoderThreads = 0
  /// ONNX Runtime intra-op threads (0: `ThreadBudget.poolThreads`, half the cores).
  public var inferenceThreads = 0
  /// Decoded frames in flight between the decoder and the detector.
  public var frameQueueCapacity = 4
  /// Warn when an existing `faces.jsonl` is left stale by the new tracks (off when the harvest
  /// runs right after this stage).
  public var warnsAboutStaleFaces = true
  /// Sees every analysed frame (with its decoder picture: the frame at full size) after
  /// tracking, with the detection rows written for it and the tracks still alive; the faces
  /// harvest taps the pass this way (docs/harvest.md, "One decode"). Its error ends the run.
  public var analysedFrameObserver: (any AnalysedFrameObserver)?

  /// Prepares a run on `episode`.
  public init(
    layout: DataLayout, episode: EpisodeID, config: TrackingConfig, manifest: ModelManifest,
    logger: Logger = Logger(label: "faceharvest.detect-track")
  ) {
    self.layout = layout
    self.episode = episode
    self.config = config
    self.manifest = manifest
    self.logger = logger
  }

  /// Runs the stage. `progress` is called from this thread; `isCancelled` is polled between
  /// detector batches.
  public func run(
    progress: ((DetectTrackProgress) -> Void)? = nil,
    isCancelled: @escaping @Sendable () -> Bool = { false }
  ) throws -> DetectTrackSummary {
    let started = Date()
    let pass = try startPass(isCancelled: isCancelled)
    defer { pass.stop() }
    var lastProgress = Date.distantPast
    while let detected = try pass.detection.next() {
      if isCancelled() { throw DetectTrackError.cancelled }
      try pass.track(detected, observer: analysedFrameObserver)
      if let progress, Date().timeIntervalSince(lastProgress) >= 0.2 {
        lastProgress = Date()
        progress(pass.progress(started: started))
      }
    }
    let counts = try pass.source.finish()
    if isCancelled() { throw DetectTrackError.cancelled }
    if let declared = pass.info.declaredFrameCount, counts.framesInVideo < declared {
      throw DetectTrackError.truncated(
        path: layout.relativePath(layout.video(episode)), decoded: counts.framesInVideo,
        declared: declared)
    }
    return try commit(pass, counts: counts, started: started)
  }

  /// Loads the detector, opens the video and starts the decode and detection threads
  /// (docs/detect_track.md, "Detector input" and "Threads").
  private func startPass(isCancelled: @escaping @Sendable () -> Bool) throws -> DetectTrackPass {
    let videoURL = layout.video(episode)
    guard FileManager.default.fileExists(atPath: videoURL.path) else {
      throw DetectTrackError.missingVideo(path: videoURL.path)
    }
    try config.check(in: ConfigFile(values: [:], spellings: [:], source: "detect-track settings"))
    let detector = try loadDetector()
    let source = try FrameSource(
      url: videoURL, decoderThreads: ThreadBudget.poolThreads(decoderThreads),
      queueCapacity: frameQueueCapacity, logger: logger)
    let info = source.info
    let stride = config.effectiveStride(frameRate: info.frameRate)
    logger.info(
      "detect-track",
      metadata: [
        "episode": "\(episode)", "detector": "\(detector.entry.name)", "stride": "\(stride)",
        "video": "\(info.width)x\(info.height)@\(info.frameRate)",
      ])
    let detectionsWriter = try JSONLWriter<Detection>(
      destination: layout.detections(episode),
      displayPath: layout.relativePath(layout.detections(episode)))
    let scan = smallFaceScan(detector, info)
    // Decode thread (FrameSource): every stride-th frame is converted straight to the
    // detector's input size and queued; scans take the full frame from its picture. Detection
    // thread: cuts and faces, ahead of this thread's tracking.
    let detectorSize = detector.inputImageSize(frameWidth: info.width, frameHeight: info.height)
    source.start(
      .every(stride), size: .fixed(width: detectorSize.width, height: detectorSize.height),
      keepsPictures: scan.isEnabled || analysedFrameObserver != nil, isCancelled: isCancelled)
    let cuts = SceneCutDetector(
      threshold: config.sceneCutThreshold,
      minimumShotLength: config.minimumShotAnalysedFrames(stride: stride))
    let detection = DetectionThread(
      source: source,
      settings: .init(
        detector: detector, cuts: cuts, scan: scan,
        scoreThreshold: min(config.lowThresh, config.detThresh), isCancelled: isCancelled))
    return DetectTrackPass(
      detector: detector, source: source, detection: detection, stride: stride,
      trackerConfig: config.byteTrack(frameRate: info.frameRate, stride: stride),
      detectionsWriter: detectionsWriter,
      ledger: TrackingLedger(
        episode: episode.rawValue, modelID: detector.entry.name, detThresh: config.detThresh))
  }

  private func loadDetector() throws -> any FaceDetector {
    do {
      return try DetectorFamily.load(
        named: config.detector, from: manifest,
        intraOpThreads: ThreadBudget.poolThreads(inferenceThreads), logger: logger)
    } catch {
      throw DetectTrackError.model("\(error)")
    }
  }

  /// The small-face scan for `detector` on a video of `info`'s size (docs/detect_track.md,
  /// "Small faces").
  private func smallFaceScan(_ detector: any FaceDetector, _ info: VideoInfo) -> SmallFaceScan {
    if config.smallFaceScale > 1 && !detector.acceptsLargerInput {
      logger.warning(
        "the detector's input size is fixed: small_face_scale is ignored",
        metadata: ["detector": "\(detector.entry.name)"])
    }
    var scan = SmallFaceScan(
      enlargedScale: detector.acceptsLargerInput ? config.smallFaceScale : 1,
      smallFaceSize: config.smallFaceSize, scanSeconds: config.smallFaceScanSeconds,
      inputPixelsPerFramePixel: detector.inputPixelsPerFramePixel(
        frameWidth: info.width, frameHeight: info.height),
      detThresh: config.detThresh, tiles: config.smallFaceTiles,
      tileScanSeconds: config.smallFaceTileScanSeconds)
    scan.adaptiveScale = config.smallFaceAdaptiveScale
    return scan
  }

  /// Writes tracks, shots and metrics beside the detections and commits the four at once, with
  /// the stage's provenance record: a kill leaves the old four or the new four
  /// (docs/artifacts.md, "Commits").
  private func commit(_ pass: DetectTrackPass, counts: FrameSourceCounts, started: Date) throws
    -> DetectTrackSummary
  {
    let framesInVideo = counts.framesInVideo
    // A trailing frame the decoder skipped is dated from the last one it delivered.
    let lastFrameSeconds = (counts.lastFrame ?? FrameTime(index: -1, timestamp: 0))
      .time(of: framesInVideo - 1, frameSeconds: pass.frameSeconds)
    let shots = pass.shotBuilder.finish(
      last: FrameTime(index: framesInVideo - 1, timestamp: lastFrameSeconds),
      keyframes: pass.stride > 1 ? counts.keyframes : [])
    let rows = pass.ledger.trackRows(
      stride: pass.stride, shots: shots, frameSeconds: pass.frameSeconds)
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "detect-track")
    try pass.detectionsWriter.stage(in: transaction)
    try JSONLWriter<Track>.stage(rows, at: layout.tracks(episode), layout: layout, in: transaction)
    try JSONLWriter<Shot>.stage(shots, at: layout.shots(episode), layout: layout, in: transaction)
    let metrics = metricsBuilder(
      pass, durationSeconds: framesInVideo > 0 ? lastFrameSeconds + pass.frameSeconds : 0,
      elapsed: Date().timeIntervalSince(started)
    ).metrics(pass.ledger.tracks)
    try transaction.stageJSON(metrics, at: layout.trackMetrics(episode))
    let videoURL = layout.video(episode)
    transaction.provenance = .stage(
      .detectTrack,
      video: try ContentHash.videoIdentity(
        of: videoURL, displayPath: layout.relativePath(videoURL))?
        .with(frameCount: framesInVideo, durationSeconds: pass.info.duration))
    try transaction.commit()
    analysedFrameObserver?.committed(tracks: rows)
    if warnsAboutStaleFaces, FileManager.default.fileExists(atPath: layout.faces(episode).path) {
      logger.warning(
        "faces.jsonl was made from the previous tracks: run --faces-embed again",
        metadata: ["episode": "\(episode)"])
    }
    return summary(pass, counts: counts, tracks: rows.count, metrics: metrics, started: started)
  }

  private func metricsBuilder(_ pass: DetectTrackPass, durationSeconds: Double, elapsed: Double)
    -> TrackMetricsBuilder
  {
    TrackMetricsBuilder(
      episode: episode.rawValue, analysedFrames: pass.ledger.analysed,
      durationSeconds: durationSeconds, frameRate: pass.info.frameRate, stride: pass.stride,
      trackedDetections: pass.ledger.trackedDetections,
      lastAnalysedFrame: pass.ledger.lastAnalysedFrame,
      lostFramesKept: pass.trackerConfig.lostFramesKept,
      shortTrackSeconds: config.shortTrackSeconds, sceneCuts: pass.ledger.sceneCuts,
      elapsedSeconds: elapsed, detector: pass.detector.entry.name, device: "cpu")
  }

  private func summary(
    _ pass: DetectTrackPass, counts: FrameSourceCounts, tracks: Int, metrics: TrackMetrics,
    started: Date
  ) -> DetectTrackSummary {
    DetectTrackSummary(
      episode: episode.rawValue, detector: pass.detector.entry.name,
      framesDecoded: counts.framesInVideo, framesAnalysed: pass.ledger.analysed,
      framesSkipped: counts.framesSkipped, framesEnlarged: pass.enlargedFrames,
      framesTiled: pass.tiledFrames,
      stride: pass.stride, detections: pass.detectionsWriter.rowsWritten,
      trackedDetections: pass.ledger.trackedDetections, tracks: tracks,
      sceneCuts: pass.ledger.sceneCuts, idSwitches: metrics.idSwitches,
      seconds: [
        "decode": counts.busySeconds, "detect": pass.detectSeconds, "track": pass.trackSeconds,
        "total": Date().timeIntervalSince(started),
      ],
      artifacts: [
        layout.detections(episode), layout.tracks(episode), layout.shots(episode),
        layout.trackMetrics(episode),
      ].map(layout.relativePath))
  }

  /// The frames a track covers, and their times. An analysed frame stands for itself and the
  /// frames up to the next analysed one (`stride − 1` more), as a shot does, and the first
  /// analysed frame of a shot also for the shot's frames before it (docs/detect_track.md,
  /// "Frame schedule"). So a track seen last in frame L ends at L + stride − 1, never past its
  /// shot; one born in its shot's first analysed frame starts with the shot. Frames the
  /// detector skipped get no detection row.
  static func heldSpan(of record: TrackRecord, stride: Int, shots: [Shot], frameSeconds: Double)
    -> (first: Int, last: Int, startSeconds: Double, endSeconds: Double)
  {
    var span = (
      first: record.firstFrame, last: record.lastFrame, startSeconds: record.startSeconds,
      endSeconds: record.endSeconds
    )
    guard stride > 1, shots.indices.contains(record.shot) else { return span }
    let shot = shots[record.shot]
    if record.bornAtShotStart && shot.frameSpan[0] < record.firstFrame {
      span.first = shot.frameSpan[0]
      span.startSeconds = min(record.startSeconds, shot.startSeconds)
    }
    let last = min(record.lastFrame + stride - 1, shot.frameSpan[1])
    if last > record.lastFrame {
      let estimated = FrameTime(index: record.lastFrame, timestamp: record.endSeconds)
        .time(of: last, frameSeconds: frameSeconds)
      span.last = last
      span.endSeconds = max(
        record.endSeconds, last == shot.frameSpan[1] ? min(estimated, shot.endSeconds) : estimated)
    }
    return span
  }

  /// Detects faces in `frames` (in order; `cutBefore[i]`: a cut comes before frame i): scans at
  /// the enlarged input, one frame at a time, from the frame's picture; tiled frames one at a
  /// time; the frames between them in batches at the shot's scale (docs/detect_track.md, "Small
  /// faces"). Returns the faces per frame in frame pixels, how many frames ran enlarged (scans,
  /// tiled and whole) and how many of those were tiled.
  static func detect(
    _ frames: [SourceFrame], cutBefore: [Bool], detector: any FaceDetector,
    scoreThreshold: Double, scan: inout SmallFaceScan, scaler: PictureScaler
  ) throws -> (faces: [[FaceDetection]], enlarged: Int, tiled: Int) {
    var faces: [[FaceDetection]] = []
    var enlarged = 0
    var tiled = 0
    var pending: [SourceFrame] = []
    var pendingScale = scan.currentScale
    func flush(_ pending: inout [SourceFrame]) throws {
      guard !pending.isEmpty else { return }
      faces += try detectInFramePixels(
        pending, detector: detector, scoreThreshold: scoreThreshold, inputScale: pendingScale,
        scaler: scaler)
      if pendingScale > 1 { enlarged += pending.count }
      pending.removeAll()
    }
    for (frame, isCut) in zip(frames, cutBefore) {
      if isCut { scan.startShot() }
      if scan.isScan(at: frame.timestamp) {
        try flush(&pending)
        let found = try detectInFramePixels(
          [frame], detector: detector, scoreThreshold: scoreThreshold,
          inputScale: scan.enlargedScale, scaler: scaler)[0]
        scan.record(
          scan: found, at: frame.timestamp, frameWidth: frame.frameWidth,
          frameHeight: frame.frameHeight)
        faces.append(found)
        enlarged += 1
      } else if case .tile(let tile) = scan.plan {
        try flush(&pending)
        let found = try detectTiled(
          frame, tile: tile, detector: detector, scoreThreshold: scoreThreshold, scan: scan,
          scaler: scaler)
        scan.grow(
          with: found.inTile, frameWidth: frame.frameWidth, frameHeight: frame.frameHeight)
        faces.append(found.faces)
        enlarged += 1
        tiled += 1
      } else {
        if scan.currentScale != pendingScale { try flush(&pending) }
        pendingScale = scan.currentScale
        pending.append(frame)
      }
    }
    try flush(&pending)
    return (faces, enlarged, tiled)
  }

  /// One frame at the normal input plus `tile` at the enlarged input, merged: faces the tile
  /// cuts at its inner edges are left to the full view, and a face found in both (overlapping
  /// by more than `tileMergeIoU`) is the tile's. The tile is cut from the frame converted at
  /// the enlarged size, so its pixels are those a scan of the frame would see. Returns the
  /// merged faces and the tile's own (which alone grow the tile).
  static func detectTiled(
    _ frame: SourceFrame, tile: PixelRect, detector: any FaceDetector, scoreThreshold: Double,
    scan: SmallFaceScan, scaler: PictureScaler
  ) throws -> (faces: [FaceDetection], inTile: [FaceDetection]) {
    let full = try detectInFramePixels(
      [frame], detector: detector, scoreThreshold: scoreThreshold, inputScale: 1,
      scaler: scaler)[0]
    let size = detector.inputImageSize(
      frameWidth: frame.frameWidth, frameHeight: frame.frameHeight,
      inputScale: scan.enlargedScale)
    let scaleX = Double(frame.frameWidth) / Double(size.width)
    let scaleY = Double(frame.frameHeight) / Double(size.height)
    let cut = inputTile(tile, framePixelsPerInputPixel: (scaleX, scaleY), inputSize: size)
    guard let picture = frame.picture,
      let enlarged = picture.image(width: size.width, height: size.height, scaler: scaler),
      let image = enlarged.cropped(x: cut.x, y: cut.y, width: cut.width, height: cut.height)
    else {
      throw InferenceError.invalidInput(
        reason: "frame \(frame.index)'s tile \(cut) cannot be cut from its \(size.width)×"
          + "\(size.height) enlargement")
    }
    let inTile = try detector.detectAtOwnSize([image], scoreThreshold: scoreThreshold)[0].map {
      $0.moved(x: Double(cut.x), y: Double(cut.y)).scaled(x: scaleX, y: scaleY)
    }
    // Inner edges in frame pixels (a tile edge on the frame's edge cuts nothing).
    let inner = (
      left: cut.x > 0 ? Double(cut.x + 1) * scaleX : -Double.infinity,
      top: cut.y > 0 ? Double(cut.y + 1) * scaleY : -Double.infinity,
      right: cut.x + cut.width < size.width
        ? Double(cut.x + cut.width - 1) * scaleX : Double.infinity,
      bottom: cut.y + cut.height < size.height
        ? Double(cut.y + cut.height - 1) * scaleY : Double.infinity
    )
    let whole = inTile.filter {
      $0.box[0] > inner.left && $0.box[1] > inner.top && $0.box[2] < inner.right
        && $0.box[3] < inner.bottom
    }
    // A face the tile saw whole is taken from the tile (more pixels: finer landmarks).
    let outside = full.filter { face in
      !whole.contains { intersectionOverUnion($0.box, face.box) > tileMergeIoU }
    }
    return ((whole + outside).sorted { $0.score > $1.score }, whole)
  }

  /// `tile` (frame pixels) in the enlarged input (`inputSize`, whose sides are multiples of 32),
  /// its sides widened to multiples of 32 input pixels (the models' largest stride), kept inside
  /// the input (moved back from its right and bottom edges).
  static func inputTile(
    _ tile: PixelRect, framePixelsPerInputPixel scale: (x: Double, y: Double),
    inputSize: (width: Int, height: Int)
  ) -> PixelRect {
    func side(_ start: Int, _ length: Int, _ scale: Double, _ limit: Int) -> (Int, Int) {
      // A hair of slack, so that a corner on a whole input pixel is not moved by rounding.
      let first = Int((Double(start) / scale + 1e-9).rounded(.down))
      let last = Int((Double(start + length) / scale - 1e-9).rounded(.up))
      let span = min(limit, max(32, Int((Double(last - first) / 32).rounded(.up)) * 32))
      return (max(0, min(first, limit - span)), span)
    }
    let (x, width) = side(tile.x, tile.width, scale.x, inputSize.width)
    let (y, height) = side(tile.y, tile.height, scale.y, inputSize.height)
    return PixelRect(x: x, y: y, width: width, height: height)
  }

  /// Two detections of one face, from the full view and the tile, overlap by more than this.
  static let tileMergeIoU = 0.3

  /// Faces in `frames` at `inputScale`, in frame pixels. A frame's image is used when it is
  /// already the size the detector runs at; otherwise its picture is converted to that size.
  static func detectInFramePixels(
    _ frames: [SourceFrame], detector: any FaceDetector, scoreThreshold: Double,
    inputScale: Double, scaler: PictureScaler
  ) throws -> [[FaceDetection]] {
    let images = try frames.map { frame in
      let size = detector.inputImageSize(
        frameWidth: frame.frameWidth, frameHeight: frame.frameHeight, inputScale: inputScale)
      if frame.image.width == size.width && frame.image.height == size.height {
        return frame.image
      }
      guard let picture = frame.picture,
        let image = picture.image(width: size.width, height: size.height, scaler: scaler)
      else {
        throw InferenceError.invalidInput(
          reason: "frame \(frame.index) cannot be converted to the detector's "
            + "\(size.width)×\(size.height) input")
      }
      return image
    }
    let found = try detector.detect(images, scoreThreshold: scoreThreshold, inputScale: inputScale)
    return zip(zip(frames, images), found).map { pair, faces in
      let (frame, image) = pair
      let scaleX = Double(frame.frameWidth) / Double(image.width)
      let scaleY = Double(frame.frameHeight) / Double(image.height)
      guard scaleX != 1 || scaleY != 1 else { return faces }
      return faces.map { $0.scaled(x: scaleX, y: scaleY) }
    }
  }
}

extension FaceDetection {
  /// The detection with x coordinates multiplied by `x` and y by `y`.
  func scaled(x: Double, y: Double) -> FaceDetection {
    FaceDetection(
      box: [box[0] * x, box[1] * y, box[2] * x, box[3] * y],
      landmarks: landmarks.map { Point2D(x: $0.x * x, y: $0.y * y) }, score: score)
  }

  /// The detection shifted by `x` across and `y` down.
  func moved(x: Double, y: Double) -> FaceDetection {
    FaceDetection(
      box: [box[0] + x, box[1] + y, box[2] + x, box[3] + y],
      landmarks: landmarks.map { Point2D(x: $0.x + x, y: $0.y + y) }, score: score)
  }
}

/// Sees detect-track's analysed frames as they pass (`DetectTrackStage.analysedFrameObserver`).
public protocol AnalysedFrameObserver: AnyObject {
  /// One analysed frame after tracking: `rows` are the detection rows written for it, in
  /// order; `liveTracks` the ids of the tracks that may still continue (every other track seen
  /// so far has ended).
  func observe(_ frame: SourceFrame, rows: [Detection], liveTracks: Set<String>) throws

  /// The pass's files are committed; `tracks` are the rows of its `tracks.jsonl`.
  func committed(tracks: [Track])
}

/// The closing summary of a detect-track run, as the CLI prints it.
public enum DetectTrackSummaryFormatter {
  /// Multi-line text: tracks, detections, frames, cuts and time per part.
  public static func text(_ summary: DetectTrackSummary) -> String {
    let times = ["decode", "detect", "track", "total"].compactMap { key in
      summary.seconds[key].map { key + String(format: " %.2fs", $0) }
    }
    return [
      "detect-track \(summary.episode): \(summary.tracks) tracks, \(summary.detections) "
        + "detections (\(summary.trackedDetections) in tracks), detector \(summary.detector)",
      "  frames: \(summary.framesDecoded) in the video, \(summary.framesAnalysed) analysed "
        + "(stride \(summary.stride)), "
        + String(format: "%.1f analysed frames/s", summary.framesPerSecond)
        + ", \(summary.framesEnlarged) at the small-face input"
        + (summary.framesTiled > 0 ? " (\(summary.framesTiled) as a tile)" : ""),
      "  scene cuts: \(summary.sceneCuts), id switches: \(summary.idSwitches)",
      "  time: " + times.joined(separator: ", ") + " (decode overlaps detection)",
      "  wrote: " + summary.artifacts.joined(separator: ", "),
    ].joined(separator: "\n")
  }
}
