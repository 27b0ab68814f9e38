import Foundation
import Testing

@testable import Artifacts

@Suite("Artifact models round-trip through JSON")
struct ModelRoundTripTests {
  @Test("detections.jsonl rows, with and without track_id")
  func detections() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let rows = [Samples.detection(frame: 1), Samples.detection(frame: 2, trackID: nil)]
    let url = directory.file("detections.jsonl")
    try JSONLWriter.write(rows, to: url)
    #expect(try JSONLReader<Detection>.readAll(from: url) == rows)
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines[0].contains(#""track_id":"track-00001""#))
    #expect(!lines[1].contains("track_id"))
  }

  @Test("a det_v1 line is compact, sorted and snake_case")
  func detectionLineBytes() throws {
    let detection = Detection(
      epID: "rhobh-s05e02", frameIndex: 42, timestamp: 1.75, bbox: [0.1, 0.2, 0.3, 0.4],
      landmarks: Samples.landmarks, conf: 0.95, modelID: "retinaface_r50_v1")
    let data = try ArtifactJSON.encode(
      detection, with: ArtifactJSON.lineEncoder(), file: nil, line: nil)
    #expect(
      String(decoding: data, as: UTF8.self)
        == #"{"bbox":[0.1,0.2,0.3,0.4],"conf":0.95,"ep_id":"rhobh-s05e02","frame_idx":42,"#
        + #""landmarks":[0.15,0.25,0.25,0.25,0.2,0.3,0.15,0.35,0.25,0.35],"#
        + #""model_id":"retinaface_r50_v1","schema_version":"det_v1","ts_s":1.75}"#)
  }

  @Test("tracks.jsonl rows; sample_thumbs defaults to []")
  func tracks() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let rows = [
      Samples.track(1, frames: 30...246, thumbs: ["crops/track-00001/frame_000030.jpg"]),
      Samples.track(2, frames: 5...5),
    ]
    let url = directory.file("tracks.jsonl")
    try JSONLWriter.write(rows, to: url)
    #expect(try JSONLReader<Track>.readAll(from: url) == rows)
    #expect(
      try String(contentsOf: url, encoding: .utf8).contains(
        #""stats":{"avg_conf":0.92,"detections":1}"#))

    let withoutThumbs =
      #"{"ep_id":"e","track_id":"track-00001","start_s":1.5,"end_s":12.3,"frame_span":[30,246],"#
      + #""stats":{"detections":216,"avg_conf":0.92},"schema_version":"track_v1"}"#
    try writeText(withoutThumbs + "\n", to: url)
    let track = try #require(try JSONLReader<Track>.readAll(from: url).first)
    #expect(track.sampleThumbs == [])
    #expect(track.stats == TrackStats(detections: 216, avgConf: 0.92))
    #expect(track.frameSpan == [30, 246])
  }

  @Test("probe rows carry how the face was seen; rows without a view have none of its keys")
  func probeView() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    var probe = Samples.face(2, track: 1, frame: 7)
    probe.probeView = ProbeView(faceSize: 13.456, yaw: -4.321, sharpness: 7.891, padding: 0.23456)
    let rows = [Samples.face(1, track: 1, frame: 5), probe]
    let url = directory.file("probe_faces.jsonl")
    try JSONLWriter.write(rows, to: url)
    #expect(try JSONLReader<Face>.readAll(from: url) == rows)
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    for key in ["face_px", "yaw_deg", "sharpness", "padding"] { #expect(!lines[0].contains(key)) }
    #expect(lines[1].contains(#""face_px":13.46"#) && lines[1].contains(#""padding":0.2346"#))
    #expect(lines[1].contains(#""yaw_deg":-4.32"#) && lines[1].contains(#""sharpness":7.89"#))
  }

  @Test("faces.jsonl rows keep float32 embeddings bit-exact; crop_path defaults to \"\"")
  func faces() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    var rejected = Samples.face(2, track: 1, frame: 7, width: 512)
    rejected.rejectionReason = "low_quality"
    rejected.cropPath = ""
    var awkward = Samples.face(3, track: 2, frame: 9)
    awkward.embedding = [
      0.1, 1.0 / 3, Float.leastNonzeroMagnitude, -Float.greatestFiniteMagnitude, 0, -0.0, 1e-8,
      123_456.79,
    ]
    let rows = [Samples.face(1, track: 1, frame: 5, width: 512), rejected, awkward]
    let url = directory.file("faces.jsonl")
    try JSONLWriter.write(rows, to: url)
    let back = try JSONLReader<Face>.readAll(from: url)
    #expect(back == rows)
    for (written, read) in zip(rows, back) {
      #expect(written.embedding.map(\.bitPattern) == read.embedding.map(\.bitPattern))
    }
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.contains("[0.1,0.33333334,1e-45,"))
    #expect(text.contains(#""rejection_reason":"low_quality""#))
    #expect(text.components(separatedBy: "rejection_reason").count == 2)
    #expect(text.contains(#""crop_path":"crops/track-00001/frame_000005.jpg""#))

    let minimal =
      #"{"face_id":"face-00001","track_id":"track-00001","frame_idx":3,"bbox":[0,0,1,1],"#
      + #""landmarks":[0,0,0,0,0,0,0,0,0,0],"embedding":[1,0],"quality_score":1}"#
    try writeText(minimal, to: url)
    let face = try #require(try JSONLReader<Face>.readAll(from: url).first)
    #expect(face.cropPath == "")
    #expect(face.rejectionReason == nil)
    #expect(face.embedding == [1, 0])
  }

  @Test("track_metrics.json")
  func trackMetrics() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("manifests/x/track_metrics.json")
    try AtomicFile.writeJSON(Samples.trackMetrics(), to: url)
    #expect(try AtomicFile.readJSON(TrackMetrics.self, from: url) == Samples.trackMetrics())
    let text = try String(contentsOf: url, encoding: .utf8)
    for key in ["analyzed_fps", "elapsed_sec", "longest_tracks", "scene_cuts", "tracks_per_minute"]
    {
      #expect(text.contains("\"\(key)\""), "\(key)")
    }
  }

  @Test("identities.json: cluster_id null for singletons, labels default to {}")
  func identities() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("identities.json")
    try AtomicFile.writeJSON(Samples.identities(), to: url)
    #expect(try AtomicFile.readJSON(IdentitiesDocument.self, from: url) == Samples.identities())
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.contains(#""cluster_id" : null"#))
    #expect(text.contains(#""canonical_face_path" : "thumbs/identity-00001/rep.jpg""#))

    let value = try JSONValue.parse(Data(text.utf8))
    let withoutLabels = value.replacing(parsePath("identities[0].labels"), with: nil)
    try writeText(try withoutLabels.jsonText(), to: url)
    let document = try AtomicFile.readJSON(IdentitiesDocument.self, from: url)
    #expect(document.identities[0].labels == [:])

    let withoutCluster = value.replacing(parsePath("identities[0].cluster_id"), with: nil)
    try writeText(try withoutCluster.jsonText(), to: url)
    let error = artifactError { _ = try AtomicFile.readJSON(IdentitiesDocument.self, from: url) }
    #expect(
      error
        == .malformedDocument(
          file: url.path, field: "identities[0].cluster_id", reason: "missing required field"))
  }

  @Test("cleanup_report.json, with and without the summaries")
  func cleanupReport() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let url = directory.file("cleanup_report.json")
    for report in [Samples.cleanupReport(), Samples.cleanupReport(withSummaries: false)] {
      try AtomicFile.writeJSON(report, to: url)
      #expect(try AtomicFile.readJSON(CleanupReport.self, from: url) == report)
    }
    #expect(!(try String(contentsOf: url, encoding: .utf8).contains("summary")))
  }

  @Test("crops_debug.jsonl rows")
  func cropDebug() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let rows = [
      CropDebugEntry(
        frameIndex: 42, trackID: "track-00001", bbox: [0.1, 0.2, 0.3, 0.4],
        cropPath: "crops/track-00001/frame_000042.jpg", status: "success", qualityScore: 0.87),
      CropDebugEntry(
        frameIndex: 56, trackID: "track-00002", bbox: [-0.1, 0.2, 0.05, 0.4], cropPath: "",
        status: "rejected", reason: "bbox_out_of_bounds"),
    ]
    let url = directory.file("crops_debug.jsonl")
    try JSONLWriter.write(rows, to: url)
    #expect(try JSONLReader<CropDebugEntry>.readAll(from: url) == rows)
  }

  @Test("timestamps are ISO-8601 in UTC with whole seconds")
  func timestamps() throws {
    let date = Date(timeIntervalSince1970: 1_763_469_296)
    #expect(ArtifactTimestamp.string(from: date) == "2025-11-18T12:34:56Z")
    #expect(ArtifactTimestamp.date(from: "2025-11-18T12:34:56Z") == date)
    #expect(ArtifactTimestamp.date(from: "2025-11-18T12:34:56.500Z") == date + 0.5)
    #expect(ArtifactTimestamp.date(from: "yesterday") == nil)
  }
}
