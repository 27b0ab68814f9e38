import Artifacts
import FaceHarvestCore
import Media

/// What detect-track learns frame by frame, apart from the frames themselves (docs/
/// detect_track.md): the shot it is in, the detection rows each analysed frame yields, and a
/// record per track; at the end, the `tracks.jsonl` rows. A value type with no I/O, so each rule
/// is tested on its own (`TrackingLedgerTests`); `DetectTrackStage.run` only wires it to the
/// decoder, the detector, ByteTrack and the writers.
struct TrackingLedger {
  /// The episode (`ep_id` of every row).
  let episode: String
  /// The detector's manifest name (`model_id` of every row).
  let modelID: String
  /// A detection below this is written only when a track took it (docs/detect_track.md).
  let detThresh: Double

  /// A record per track number.
  private(set) var records: [Int: TrackRecord] = [:]
  /// The current shot (0-based, counted by cuts).
  private(set) var shot = 0
  /// Scene cuts seen.
  private(set) var sceneCuts = 0
  /// Frames analysed, and the last of them.
  private(set) var analysed = 0
  private(set) var lastAnalysedFrame = 0
  /// Rows that belong to a track.
  private(set) var trackedDetections = 0
  private var firstFrameOfShot = true

  /// An empty ledger for `episode`'s rows.
  init(episode: String, modelID: String, detThresh: Double) {
    self.episode = episode
    self.modelID = modelID
    self.detThresh = detThresh
  }

  /// One analysed frame: its number, time and size in pixels.
  struct Frame: Equatable {
    var index: Int
    var timestamp: Double
    var width: Int
    var height: Int
  }

  /// A scene cut comes before the next frame: a new shot.
  mutating func cut() {
    shot += 1
    sceneCuts += 1
    firstFrameOfShot = true
  }

  /// The detection rows of `frame`: every detection at or above `detThresh`, and every lower
  /// one a track took (`assignments`: ByteTrack's answer for these `detections`); box and
  /// landmarks normalised to [0, 1]. Records the tracks' detections.
  mutating func rows(
    for frame: Frame, detections: [FaceDetection], assignments: [ByteTracker.Assignment]
  ) -> [Detection] {
    let trackOf = Self.trackNumbers(detections, assignments)
    var rows: [Detection] = []
    for (index, detection) in detections.enumerated() {
      let number = trackOf[index]
      guard detection.score >= detThresh || number != nil else { continue }
      rows.append(row(detection, in: frame, track: number))
      if let number { record(detection, track: number, in: frame) }
    }
    firstFrameOfShot = false
    analysed += 1
    lastAnalysedFrame = frame.index
    return rows
  }

  /// The detection index each assignment belongs to (equal detections in order).
  static func trackNumbers(_ detections: [FaceDetection], _ assignments: [ByteTracker.Assignment])
    -> [Int: Int]
  {
    var trackOf: [Int: Int] = [:]
    var taken = Set<Int>()
    for assignment in assignments {
      if let index = detections.indices.first(where: {
        !taken.contains($0) && detections[$0] == assignment.detection
      }) {
        taken.insert(index)
        trackOf[index] = assignment.trackNumber
      }
    }
    return trackOf
  }

  private func row(_ detection: FaceDetection, in frame: Frame, track: Int?) -> Detection {
    let (width, height) = (Double(frame.width), Double(frame.height))
    let box = detection.box
    return Detection(
      epID: episode, frameIndex: frame.index, timestamp: frame.timestamp,
      bbox: [box[0] / width, box[1] / height, box[2] / width, box[3] / height].map(Self.unit),
      landmarks: detection.landmarks.flatMap {
        [Self.unit($0.x / width), Self.unit($0.y / height)]
      },
      conf: Self.unit(detection.score), modelID: modelID, trackID: track.map(ArtifactID.track))
  }

  private mutating func record(_ detection: FaceDetection, track number: Int, in frame: Frame) {
    trackedDetections += 1
    let score = Self.unit(detection.score)
    if var record = records[number] {
      record.lastFrame = frame.index
      record.endSeconds = frame.timestamp
      record.detections += 1
      record.confidenceSum += score
      record.lastBox = detection.box
      records[number] = record
    } else {
      records[number] = TrackRecord(
        number: number, shot: shot, firstFrame: frame.index, lastFrame: frame.index,
        startSeconds: frame.timestamp, endSeconds: frame.timestamp, detections: 1,
        confidenceSum: score, firstBox: detection.box, lastBox: detection.box,
        bornAtShotStart: firstFrameOfShot)
    }
  }

  /// The tracks in order of birth.
  var tracks: [TrackRecord] { records.values.sorted { $0.number < $1.number } }

  /// The `tracks.jsonl` rows: each track's held span (`DetectTrackStage.heldSpan`), count and
  /// mean confidence.
  func trackRows(stride: Int, shots: [Shot], frameSeconds: Double) -> [Track] {
    tracks.map { record in
      let span = DetectTrackStage.heldSpan(
        of: record, stride: stride, shots: shots, frameSeconds: frameSeconds)
      return Track(
        trackID: record.trackID, epID: episode, startSeconds: span.startSeconds,
        endSeconds: span.endSeconds, frameSpan: [span.first, span.last],
        stats: TrackStats(
          detections: record.detections,
          avgConf: record.confidenceSum / Double(record.detections)))
    }
  }

  static func unit(_ value: Double) -> Double { min(1, max(0, value)) }
}
