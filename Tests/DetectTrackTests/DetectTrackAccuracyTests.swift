import Artifacts
import FaceHarvestCore
import Foundation
import Inference
import Testing

@testable import DetectTrack

/// Scores a detect-track run against the sample episode's ground truth (issue 4's accuracy
/// targets).
struct SampleScorer {
  struct TruthFace {
    let frame: Int
    let shot: Int
    let identity: String
    let box: [Double]
    let landmarks: [Double]
  }

  struct Row {
    let frame: Int
    let box: [Double]
    let landmarks: [Double]
    let trackID: String?
  }

  let width = 1280.0
  let height = 720.0
  var truth: [Int: [TruthFace]] = [:]
  var shots: [(start: Int, end: Int)] = []

  init(episode: String) throws {
    let folder = DetectTestEnvironment.data.appendingPathComponent("ground_truth/\(episode)")
    for line in try String(
      contentsOf: folder.appendingPathComponent("ground_truth.jsonl"), encoding: .utf8
    ).split(separator: "\n") {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let face = TruthFace(
        frame: try #require(object["frame_idx"] as? Int),
        shot: try #require(object["shot"] as? Int),
        identity: try #require(object["identity"] as? String),
        box: try #require(object["bbox_px"] as? [Double]),
        landmarks: try #require(object["landmarks_px"] as? [Double]))
      truth[face.frame, default: []].append(face)
    }
    let shotsObject = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: folder.appendingPathComponent("shots.json"))) as? [String: Any])
    for shot in try #require(shotsObject["shots"] as? [[String: Any]]) {
      shots.append(
        (try #require(shot["start_frame"] as? Int), try #require(shot["end_frame"] as? Int)))
    }
  }

  /// A ground-truth box clamped to the frame: the part a detector can see.
  func visible(_ box: [Double]) -> [Double] {
    [max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])]
  }

  func shortSide(_ box: [Double]) -> Double { min(box[2] - box[0], box[3] - box[1]) }

  struct Score {
    var recall = 0.0
    var precision = 0.0
    var medianLandmarkError = 0.0
    var singleTrackPairs = 0.0
    var pairs = 0
    var eligible = 0
    var tracksAcrossCuts: [String] = []
  }

  /// Scores `rows` on the ground-truth faces whose visible short side is in `sizes` (pixels);
  /// precision counts the detections of those sizes.
  func score(
    rows: [Row], tracks: [(id: String, span: [Int])],
    sizes: ClosedRange<Double> = 40...Double.infinity
  ) -> Score {
    var result = Score()
    let byFrame = Dictionary(grouping: rows, by: \.frame)
    var found = 0
    var detections = 0
    var correct = 0
    var errors: [Double] = []
    var tracksOfPair: [String: Set<String>] = [:]
    for frame in Set(truth.keys).union(byFrame.keys) {
      let faces = truth[frame] ?? []
      let detected = byFrame[frame] ?? []
      for row in detected where sizes.contains(shortSide(row.box)) {
        detections += 1
        if faces.contains(where: { intersectionOverUnion(visible($0.box), row.box) >= 0.5 }) {
          correct += 1
        }
      }
      for face in faces where sizes.contains(shortSide(visible(face.box))) {
        result.eligible += 1
        let key = "\(face.shot)/\(face.identity)"
        tracksOfPair[key, default: []] = tracksOfPair[key, default: []]
        guard
          let match = detected.max(by: {
            intersectionOverUnion($0.box, visible(face.box))
              < intersectionOverUnion($1.box, visible(face.box))
          }), intersectionOverUnion(match.box, visible(face.box)) >= 0.5
        else { continue }
        found += 1
        if let track = match.trackID { tracksOfPair[key]!.insert(track) }
        let size = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        let error =
          stride(from: 0, to: 10, by: 2).map {
            hypot(
              match.landmarks[$0] - face.landmarks[$0],
              match.landmarks[$0 + 1] - face.landmarks[$0 + 1])
          }.reduce(0, +) / 5
        errors.append(error / size)
      }
    }
    result.recall = Double(found) / Double(max(1, result.eligible))
    result.precision = Double(correct) / Double(max(1, detections))
    result.medianLandmarkError = errors.isEmpty ? 1 : errors.sorted()[errors.count / 2]
    result.pairs = tracksOfPair.count
    result.singleTrackPairs =
      Double(tracksOfPair.values.filter { $0.count == 1 }.count)
      / Double(max(1, tracksOfPair.count))
    result.tracksAcrossCuts = tracks.filter { track in
      !shots.contains { $0.start <= track.span[0] && track.span[1] <= $0.end }
    }.map(\.id)
    return result
  }
}

@Suite("Detect & track on the sample episode", .serialized)
struct DetectTrackAccuracyTests {
  static let episode = "sample-s01e01"

  /// A scratch data root holding only the sample's video.
  static func scratchRoot(episode: String = Self.episode) throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-detect-\(UUID().uuidString)")
    let folder = root.appendingPathComponent("videos/\(episode)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: folder.appendingPathComponent("episode.mp4"),
      withDestinationURL: DetectTestEnvironment.data.appendingPathComponent(
        "videos/\(episode)/episode.mp4"))
    return root
  }

  /// Every frame analysed (stride 1): the detector and tracker themselves.
  static var everyFrame: TrackingConfig {
    var config = TrackingConfig()
    config.targetFPS = 0
    config.stride = 1
    return config
  }

  @Test("every frame: recall/precision ≥ 0.95, landmarks < 5%, one track per (shot, person)")
  func accuracy() throws {
    let root = try Self.scratchRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    let layout = DataLayout(root: root)
    let episode = try EpisodeID(Self.episode)
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    let summary = try DetectTrackStage(
      layout: layout, episode: episode, config: Self.everyFrame, manifest: manifest
    ).run()
    #expect(summary.framesDecoded == 500 && summary.framesAnalysed == 500)
    #expect(summary.sceneCuts == 8, "the sample has 8 hard cuts")

    let detections = try JSONLReader<Detection>.readAll(from: layout.detections(episode))
    let tracks = try JSONLReader<Track>.readAll(from: layout.tracks(episode))
    let metrics = try AtomicFile.readJSON(TrackMetrics.self, from: layout.trackMetrics(episode))
    let scorer = try SampleScorer(episode: Self.episode)
    let rows = detections.map { row in
      SampleScorer.Row(
        frame: row.frameIndex,
        box: zip(row.bbox, [1280.0, 720, 1280, 720]).map(*),
        landmarks: zip(row.landmarks, Array(repeating: [1280.0, 720], count: 5).flatMap { $0 })
          .map(*),
        trackID: row.trackID)
    }
    let score = scorer.score(rows: rows, tracks: tracks.map { ($0.trackID, $0.frameSpan) })
    print(
      "detect-track accuracy on \(Self.episode): recall \(score.recall), precision "
        + "\(score.precision), median landmark error \(score.medianLandmarkError), single-track "
        + "pairs \(score.singleTrackPairs) of \(score.pairs), eligible faces \(score.eligible)")
    #expect(score.eligible > 500)
    #expect(score.recall >= 0.95, "recall \(score.recall)")
    #expect(score.precision >= 0.95, "precision \(score.precision)")
    #expect(score.medianLandmarkError < 0.05, "median landmark error \(score.medianLandmarkError)")
    #expect(score.singleTrackPairs >= 0.9, "\(score.singleTrackPairs) of \(score.pairs) pairs")
    #expect(score.tracksAcrossCuts.isEmpty, "\(score.tracksAcrossCuts)")

    // The artifacts agree with each other and validate clean.
    #expect(tracks.map(\.trackID) == (1...tracks.count).map(ArtifactID.track))
    for track in tracks {
      let own = detections.filter { $0.trackID == track.trackID }
      #expect(own.count == track.stats.detections)
      #expect(own.first?.frameIndex == track.frameSpan[0])
      #expect(own.last?.frameIndex == track.frameSpan[1])
      #expect(own.allSatisfy { $0.modelID == "yunet" })
    }
    #expect(metrics.tracksBorn == tracks.count && metrics.sceneCuts == 8)
    #expect(metrics.totalFrames == 500 && abs(metrics.analyzedFPS - 25) < 1e-9)
    let report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.isClean, "\(report.violations)")
  }

  /// Recall of `sample-s01e02`'s faces of 16–40 px (its wide shots) with `config`.
  static func smallFaceRecall(_ config: TrackingConfig) throws -> (Double, DetectTrackSummary) {
    let episode = "sample-s01e02"
    let root = try Self.scratchRoot(episode: episode)
    defer { try? FileManager.default.removeItem(at: root) }
    let layout = DataLayout(root: root)
    let summary = try DetectTrackStage(
      layout: layout, episode: try EpisodeID(episode), config: config,
      manifest: try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    ).run()
    let rows = try JSONLReader<Detection>.readAll(
      from: layout.detections(try EpisodeID(episode))
    ).map { row in
      SampleScorer.Row(
        frame: row.frameIndex, box: zip(row.bbox, [1280.0, 720, 1280, 720]).map(*),
        landmarks: zip(row.landmarks, Array(repeating: [1280.0, 720], count: 5).flatMap { $0 })
          .map(*), trackID: row.trackID)
    }
    let score = try SampleScorer(episode: episode).score(rows: rows, tracks: [], sizes: 16...40)
    return (score.recall, summary)
  }

  @Test("small faces of wide shots are found by the small-face scan, and only by it")
  func smallFaces() throws {
    let (recall, summary) = try Self.smallFaceRecall(Self.everyFrame)
    var off = Self.everyFrame
    off.smallFaceScale = 1
    let (recallOff, summaryOff) = try Self.smallFaceRecall(off)
    print("small-face recall: \(recall) with the scan, \(recallOff) without")
    #expect(recall >= 0.95, "recall \(recall)")
    #expect(recall - recallOff >= 0.1, "recall without the scan \(recallOff)")
    // Only the three wide shots (165 frames) and one scan per other shot run enlarged.
    #expect(summaryOff.framesEnlarged == 0)
    #expect((165...200).contains(summary.framesEnlarged), "\(summary.framesEnlarged)")
  }

  /// Tiles (`small_face_tiles`): the shots with small faces run the normal input plus a tile
  /// around them, and find the wide shots' faces as the whole enlarged frame does.
  @Test("with tiles, the wide shots' small faces are found as with the whole frame enlarged")
  func smallFacesInTiles() throws {
    var tiles = Self.everyFrame
    tiles.smallFaceTiles = true
    let (recall, summary) = try Self.smallFaceRecall(tiles)
    let whole = summary.framesEnlarged - summary.framesTiled
    print(
      "small-face recall with tiles: \(recall), \(summary.framesTiled) tiled frames, \(whole) "
        + "enlarged whole")
    #expect(recall >= 0.95, "recall \(recall)")
    // The three wide shots (165 frames) are tiled but for their scans (one a second); whole
    // frames are enlarged only for the scans (the first frame of each of the 16 shots and one a
    // second in the tiled ones), not for whole shots (188 frames without tiles).
    #expect(summary.framesTiled >= 120, "\(summary.framesTiled)")
    #expect(whole <= 40, "\(whole)")
  }

  /// Track spans of a detect-track run of the first sample with `config`.
  static func spans(_ config: TrackingConfig) throws -> ([[Int]], DetectTrackSummary) {
    let root = try Self.scratchRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    let layout = DataLayout(root: root)
    let episode = try EpisodeID(Self.episode)
    let summary = try DetectTrackStage(
      layout: layout, episode: episode, config: config,
      manifest: try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    ).run()
    let report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.isClean, "\(report.violations)")
    return (try JSONLReader<Track>.readAll(from: layout.tracks(episode)).map(\.frameSpan), summary)
  }

  @Test(
    "defaults (8 frames/s): a third of the frames analysed, the same track spans as every frame")
  func defaultSchedule() throws {
    let (spans, summary) = try Self.spans(TrackingConfig())
    let (everyFrame, _) = try Self.spans(Self.everyFrame)
    #expect(summary.stride == 3 && summary.framesAnalysed == 167 && summary.sceneCuts == 8)
    #expect(spans == everyFrame, "\(spans) against \(everyFrame)")
  }
}
