import Foundation
import Testing

@testable import Artifacts

/// A violation a breakage must produce.
struct ExpectedViolation: Sendable, CustomStringConvertible {
  var artifact: FixtureArtifact
  var line: Int?
  var field: String
  var message: String

  var description: String {
    "\(artifact.relativePath):\(line.map(String.init) ?? "-"): \(field): …\(message)…"
  }

  func matches(_ violation: Violation) -> Bool {
    violation.artifact == artifact.relativePath && violation.line == line
      && violation.field == field && violation.message.contains(message)
  }
}

/// One damage to the valid fixture and the violations it must cause (exactly these).
struct Breakage: Sendable, CustomTestStringConvertible {
  var name: String
  var edit: @Sendable (inout EpisodeFixture) throws -> Void
  var expected: [ExpectedViolation]

  var testDescription: String { name }

  init(
    _ name: String, _ artifact: FixtureArtifact, _ line: Int?, _ field: String, _ message: String,
    edit: @escaping @Sendable (inout EpisodeFixture) throws -> Void
  ) {
    self.name = name
    self.edit = edit
    expected = [ExpectedViolation(artifact: artifact, line: line, field: field, message: message)]
  }

  init(
    _ name: String, expecting expected: [ExpectedViolation],
    edit: @escaping @Sendable (inout EpisodeFixture) throws -> Void
  ) {
    self.name = name
    self.edit = edit
    self.expected = expected
  }
}

extension JSONValue {
  static func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .number($0) }) }
}

@Suite("ArtifactValidator")
struct ValidatorTests {
  static let trackBreakages: [Breakage] = [
    Breakage("tracks: wrong schema_version", .tracks, 2, "schema_version", "must be \"track_v1\"") {
      $0.set(.tracks, line: 2, "schema_version", .string("track_v2"))
    },
    Breakage(
      "tracks: schema_version missing", .tracks, 1, "schema_version", "required field is missing"
    ) {
      $0.set(.tracks, line: 1, "schema_version", nil)
    },
    Breakage("tracks: malformed track_id", .tracks, 4, "track_id", "must match track-NNNNN") {
      $0.appendCopy(.tracks, of: 1)
      $0.set(.tracks, line: 4, "track_id", .string("track-4"))
    },
    Breakage(
      "tracks: duplicate track_id", .tracks, 4, "track_id", "duplicate track_id (first on line 1)"
    ) {
      $0.appendCopy(.tracks, of: 1)
    },
    Breakage(
      "tracks: a thumbnail of another track", .tracks, 1, "sample_thumbs[1]",
      "must be crops/track-00001/thumb_NNNNNN.jpg"
    ) {
      $0.set(
        .tracks, line: 1, "sample_thumbs",
        .array([
          .string("crops/track-00001/thumb_000004.jpg"),
          .string("crops/track-00002/thumb_000012.jpg"),
        ]))
    },
    Breakage(
      "tracks: a thumbnail outside the track", .tracks, 2, "sample_thumbs[0]",
      "frame 45 is outside the frame_span [10, 40]"
    ) {
      $0.set(
        .tracks, line: 2, "sample_thumbs", .array([.string("crops/track-00002/thumb_000045.jpg")]))
    },
    Breakage("tracks: start_s after end_s", .tracks, 1, "start_s", "must be ≤ end_s") {
      $0.set(.tracks, line: 1, "start_s", .number(5))
    },
    Breakage(
      "tracks: start_s is a string", .tracks, 1, "start_s", "expected a number, found string"
    ) {
      $0.set(.tracks, line: 1, "start_s", .string("0"))
    },
    Breakage("tracks: frame_span reversed", .tracks, 1, "frame_span", "must be ordered") {
      $0.set(.tracks, line: 1, "frame_span", .array([.integer(20), .integer(0)]))
    },
    Breakage(
      "tracks: frame_span of three", .tracks, 1, "frame_span", "must have 2 elements, found 3"
    ) {
      $0.set(.tracks, line: 1, "frame_span[2]", .integer(30))
    },
    Breakage("tracks: negative frame", .tracks, 2, "frame_span[0]", "must be ≥ 0") {
      $0.set(.tracks, line: 2, "frame_span[0]", .integer(-1))
    },
    Breakage("tracks: fractional frame", .tracks, 2, "frame_span[0]", "expected an integer") {
      $0.set(.tracks, line: 2, "frame_span[0]", .number(10.5))
    },
    Breakage("tracks: stats.detections 0", .tracks, 3, "stats.detections", "must be ≥ 1") {
      $0.set(.tracks, line: 3, "stats.detections", .integer(0))
    },
    Breakage(
      "tracks: stats.avg_conf missing", .tracks, 1, "stats.avg_conf", "required field is missing"
    ) {
      $0.set(.tracks, line: 1, "stats.avg_conf", nil)
    },
    Breakage("tracks: stats not an object", .tracks, 1, "stats", "expected an object, found string")
    {
      $0.set(.tracks, line: 1, "stats", .string("216"))
    },
    Breakage("tracks: other episode", .tracks, 1, "ep_id", "must equal the episode id") {
      $0.set(.tracks, line: 1, "ep_id", .string("other-ep"))
    },
    Breakage(
      "tracks: sample_thumbs of numbers", .tracks, 1, "sample_thumbs[0]", "expected a string"
    ) {
      $0.set(.tracks, line: 1, "sample_thumbs", .array([.integer(1)]))
    },
    Breakage("tracks: empty line", .tracks, 2, "", "empty line") {
      $0.insertRaw(.tracks, at: 2, "")
    },
    Breakage(
      "tracks: a line that is not an object", .tracks, 4, "", "expected a JSON object, found array"
    ) {
      $0.insertRaw(.tracks, at: 4, "[1, 2]")
    },
  ]

  static let detectionBreakages: [Breakage] = [
    Breakage("detections: conf missing", .detections, 3, "conf", "required field is missing") {
      $0.set(.detections, line: 3, "conf", nil)
    },
    Breakage(
      "detections: frame_idx a string", .detections, 1, "frame_idx",
      "expected an integer, found string"
    ) {
      $0.set(.detections, line: 1, "frame_idx", .string("x"))
    },
    Breakage(
      "detections: frame_idx with a fraction", .detections, 1, "frame_idx", "expected an integer"
    ) {
      $0.set(.detections, line: 1, "frame_idx", .number(1.5))
    },
    Breakage("detections: bbox of three", .detections, 2, "bbox", "must have 4 elements, found 3") {
      $0.set(.detections, line: 2, "bbox", .numbers([0.1, 0.2, 0.3]))
    },
    Breakage("detections: bbox outside [0, 1]", .detections, 3, "bbox[2]", "must be in [0, 1]") {
      $0.set(.detections, line: 3, "bbox[2]", .number(1.5))
    },
    Breakage("detections: bbox x1 > x2", .detections, 1, "bbox", "x1 must be ≤ x2") {
      $0.set(.detections, line: 1, "bbox", .numbers([0.5, 0.2, 0.3, 0.4]))
    },
    Breakage("detections: bbox y1 > y2", .detections, 1, "bbox", "y1 must be ≤ y2") {
      $0.set(.detections, line: 1, "bbox", .numbers([0.1, 0.5, 0.3, 0.4]))
    },
    Breakage("detections: bbox a string", .detections, 1, "bbox", "expected an array, found string")
    {
      $0.set(.detections, line: 1, "bbox", .string("0.1,0.2,0.3,0.4"))
    },
    Breakage(
      "detections: bbox element a string", .detections, 1, "bbox[1]",
      "expected a number, found string"
    ) {
      $0.set(.detections, line: 1, "bbox[1]", .string("0.2"))
    },
    Breakage(
      "detections: landmarks of nine", .detections, 4, "landmarks", "must have 10 elements, found 9"
    ) {
      $0.set(.detections, line: 4, "landmarks[9]", nil)
    },
    Breakage(
      "detections: landmark outside [0, 1]", .detections, 4, "landmarks[0]", "must be in [0, 1]"
    ) {
      $0.set(.detections, line: 4, "landmarks[0]", .number(-0.1))
    },
    Breakage("detections: conf above 1", .detections, 5, "conf", "must be in [0, 1]") {
      $0.set(.detections, line: 5, "conf", .number(1.2))
    },
    Breakage(
      "detections: wrong schema_version", .detections, 6, "schema_version", "must be \"det_v1\""
    ) {
      $0.set(.detections, line: 6, "schema_version", .string("det_v2"))
    },
    Breakage("detections: unknown track", .detections, 2, "track_id", "not in tracks.jsonl") {
      $0.set(.detections, line: 2, "track_id", .string("track-00009"))
    },
    Breakage("detections: malformed track_id", .detections, 2, "track_id", "must match track-NNNNN")
    {
      $0.set(.detections, line: 2, "track_id", .string("t1"))
    },
    Breakage(
      "detections: frame outside its track", .detections, 1, "frame_idx",
      "outside the frame_span [0, 20]"
    ) {
      $0.set(.detections, line: 1, "frame_idx", .integer(25))
    },
    Breakage("detections: negative timestamp", .detections, 1, "ts_s", "must be ≥ 0") {
      $0.set(.detections, line: 1, "ts_s", .number(-0.5))
    },
    Breakage("detections: empty model_id", .detections, 1, "model_id", "must not be empty") {
      $0.set(.detections, line: 1, "model_id", .string(""))
    },
    Breakage("detections: other episode", .detections, 6, "ep_id", "must equal the episode id") {
      $0.set(.detections, line: 6, "ep_id", .string("other"))
    },
    Breakage(
      "detections: truncated line", .detections, 5, "frame_idx", "not valid JSON: truncated JSON"
    ) {
      $0.replaceRaw(.detections, line: 5, #"{"frame_idx": "#)
    },
    Breakage("detections: NaN", .detections, 2, "conf", "NaN is not a JSON number") {
      try $0.replaceText(.detections, line: 2, #""conf":0.95"#, #""conf":NaN"#)
    },
    Breakage("detections: Infinity", .detections, 2, "ts_s", "Infinity is not a JSON number") {
      try $0.replaceText(.detections, line: 2, #""ts_s":"#, #""ts_s":Infinity,"x":"#)
    },
    Breakage("detections: number overflow", .detections, 2, "conf", "out of range") {
      try $0.replaceText(.detections, line: 2, #""conf":0.95"#, #""conf":1e999"#)
    },
  ]

  static let faceBreakages: [Breakage] = [
    Breakage("faces: quality_score above 1", .faces, 1, "quality_score", "must be in [0, 1]") {
      $0.set(.faces, line: 1, "quality_score", .number(1.1))
    },
    Breakage("faces: embedding not unit-norm", .faces, 2, "embedding", "must be unit-norm") {
      $0.setEmbedding(line: 2, unitVector(seed: 2, width: EpisodeFixture.width).map { $0 * 2 })
    },
    Breakage(
      "faces: embedding of another width", .faces, 3, "embedding", "embedding width must be 8"
    ) {
      $0.setEmbedding(line: 3, unitVector(seed: 3, width: 4))
    },
    Breakage(
      "faces: embedding element a string", .faces, 1, "embedding[0]",
      "expected a number, found string"
    ) {
      $0.set(.faces, line: 1, "embedding[0]", .string("0.1"))
    },
    Breakage("faces: empty embedding", .faces, 1, "embedding", "must not be empty") {
      $0.set(.faces, line: 1, "embedding", .array([]))
    },
    Breakage("faces: malformed face_id", .faces, 1, "face_id", "must match face-NNNNN") {
      $0.set(.faces, line: 1, "face_id", .string("face-1"))
    },
    Breakage(
      "faces: duplicate face_id", .faces, 3, "face_id", "duplicate face_id (first on line 1)"
    ) {
      $0.set(.faces, line: 3, "face_id", .string("face-00001"))
    },
    Breakage("faces: unknown track", .faces, 1, "track_id", "not in tracks.jsonl") {
      $0.set(.faces, line: 1, "track_id", .string("track-00009"))
      $0.set(.faces, line: 1, "crop_path", .string(""))
    },
    Breakage("faces: malformed track_id", .faces, 1, "track_id", "must match track-NNNNN") {
      $0.set(.faces, line: 1, "track_id", .string("track-1"))
      $0.set(.faces, line: 1, "crop_path", .string(""))
    },
    Breakage(
      "faces: frame outside its track", .faces, 4, "frame_idx", "outside the frame_span [30, 50]"
    ) {
      $0.set(.faces, line: 4, "frame_idx", .integer(60))
      $0.set(.faces, line: 4, "crop_path", nil)
    },
    Breakage("faces: frame_idx missing", .faces, 2, "frame_idx", "required field is missing") {
      $0.set(.faces, line: 2, "frame_idx", nil)
    },
    Breakage(
      "faces: four-digit crop_path", .faces, 1, "crop_path", "crops/track-00001/frame_000005.jpg"
    ) {
      $0.set(.faces, line: 1, "crop_path", .string("crops/track-00001/frame_0005.jpg"))
    },
    Breakage(
      "faces: rejected face in faces.jsonl", .faces, 2, "rejection_reason", "accepted faces only"
    ) {
      $0.set(.faces, line: 2, "rejection_reason", .string("low_quality"))
    },
    Breakage(
      "faces: bbox element a string", .faces, 3, "bbox[1]", "expected a number, found string"
    ) {
      $0.set(.faces, line: 3, "bbox[1]", .string("x"))
    },
    Breakage("faces: NaN", .faces, 1, "quality_score", "NaN is not a JSON number") {
      try $0.replaceText(.faces, line: 1, #""quality_score":0.87"#, #""quality_score":NaN"#)
    },
    Breakage("faces.npy: a row differs", .facesNPY, 2, "", "differs from the embedding on line 2") {
      $0.facesNPY?[1] = unitVector(seed: 99, width: EpisodeFixture.width)
    },
    Breakage(
      "faces.npy: a row too few", .facesNPY, nil, "shape[0]",
      "must equal the number of lines of faces.jsonl (4)"
    ) {
      $0.facesNPY?.removeLast()
    },
    Breakage("faces.npy: missing", .facesNPY, nil, "", "missing, but faces.jsonl exists") {
      $0.remove(.facesNPY)
    },
    Breakage("faces.npy: not a .npy file", .facesNPY, nil, "", "bad magic") {
      $0.rawNPY = Data("not numpy at all".utf8)
    },
    Breakage("faces.npy: float64", .facesNPY, nil, "", "'<f8' is not supported") {
      $0.rawNPY = NPYTests.file(
        header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4), }", payload: 32)
    },
    Breakage(
      "faces.jsonl: missing while faces.npy exists", .faces, nil, "",
      "missing, but faces.npy exists"
    ) {
      $0.remove(.faces)
    },
    Breakage(
      "track_embeddings.npy: another width", .trackEmbeddings, nil, "shape[1]",
      "embedding width must be 8"
    ) {
      $0.trackEmbeddings = [unitVector(seed: 1, width: 4)]
    },
  ]

  /// `metadata.unidentified_tracks` holding one track with `reason`.
  static func unidentified(_ trackID: String, _ reason: String = "unmatched") -> JSONValue {
    .array([.object(["track_id": .string(trackID), "reason": .string(reason)])])
  }

  static let documentBreakages: [Breakage] = [
    Breakage("tracks.jsonl missing while others refer to it", .tracks, nil, "", "missing, but") {
      $0.remove(.tracks)
    },
    Breakage(
      "identities: unknown track",
      expecting: [
        ExpectedViolation(
          artifact: .identities, line: nil, field: "identities[1].track_ids[0]",
          message: "not in tracks.jsonl"),
        ExpectedViolation(
          artifact: .identities, line: nil, field: "metadata.unidentified_tracks",
          message: "in no identity and not listed here: track-00003"),
      ]
    ) {
      $0.set(.identities, "identities[1].track_ids[0]", .string("track-00009"))
    },
    Breakage(
      "identities: a track both identified and unidentified", .identities, nil,
      "metadata.unidentified_tracks[0].track_id", "is in an identity"
    ) {
      $0.set(.identities, "metadata.unidentified_tracks", Self.unidentified("track-00003"))
    },
    Breakage(
      "identities: a rejected pair of one track", .identities, nil, "metadata.rejected_pairs[0]",
      "must be two different track ids"
    ) {
      $0.set(
        .identities, "metadata.rejected_pairs",
        .array([.array([.string("track-00001"), .string("track-00001")])]))
    },
    Breakage(
      "identities: a rejected pair naming an unknown track", .identities, nil,
      "metadata.rejected_pairs[0]", "not in tracks.jsonl"
    ) {
      $0.set(
        .identities, "metadata.rejected_pairs",
        .array([.array([.string("track-00001"), .string("track-00009")])]))
    },
    Breakage(
      "identities: an unidentified track that does not exist", .identities, nil,
      "metadata.unidentified_tracks[0].track_id", "not in tracks.jsonl"
    ) {
      $0.set(.identities, "metadata.unidentified_tracks", Self.unidentified("track-00009"))
    },
    Breakage(
      "identities: an unknown reason", .identities, nil, "metadata.unidentified_tracks[0].reason",
      "must be one of ambiguous, degraded, no_detections, no_usable_face, not_a_face, too_small,"
        + " unmatched"
    ) {
      $0.set(.identities, "identities[1].track_ids[0]", .string("track-00002"))
      $0.set(.identities, "identities[0].track_ids", .array([.string("track-00001")]))
      $0.set(.identities, "identities[0].embedding_stats.num_tracks", .integer(1))
      $0.set(.identities, "metadata.unidentified_tracks", Self.unidentified("track-00003", "bored"))
    },
    Breakage(
      "identities: a track neither identified nor unidentified", .identities, nil,
      "metadata.unidentified_tracks", "1 track(s) of tracks.jsonl are in no identity"
    ) {
      $0.set(.identities, "identities[0].track_ids", .array([.string("track-00001")]))
      $0.set(.identities, "identities[0].embedding_stats.num_tracks", .integer(1))
    },
    Breakage(
      "identities: a track in two identities", .identities, nil, "identities[1].track_ids[1]",
      "already in identities[0] (identity-00001)"
    ) {
      $0.set(.identities, "identities[1].track_ids[1]", .string("track-00001"))
      $0.set(.identities, "identities[1].embedding_stats.num_tracks", .integer(2))
    },
    Breakage(
      "identities: cluster_id missing", .identities, nil, "identities[0].cluster_id",
      "required field is missing"
    ) {
      $0.set(.identities, "identities[0].cluster_id", nil)
    },
    Breakage(
      "identities: cluster_id a string", .identities, nil, "identities[0].cluster_id",
      "expected an integer or null, found string"
    ) {
      $0.set(.identities, "identities[0].cluster_id", .string("one"))
    },
    Breakage("identities: bad timestamp", .identities, nil, "identities[0].created_at", "ISO-8601")
    {
      $0.set(.identities, "identities[0].created_at", .string("yesterday"))
    },
    Breakage(
      "identities: other episode", .identities, nil, "metadata.ep_id", "must equal the episode id"
    ) {
      $0.set(.identities, "metadata.ep_id", .string("other"))
    },
    Breakage(
      "identities: malformed identity_id", .identities, nil, "identities[0].identity_id",
      "must match identity-NNNNN"
    ) {
      $0.set(.identities, "identities[0].identity_id", .string("id-1"))
    },
    Breakage(
      "identities: duplicate identity_id", .identities, nil, "identities[1].identity_id",
      "duplicate identity_id (first at identities[0])"
    ) {
      $0.set(.identities, "identities[1].identity_id", .string("identity-00001"))
    },
    Breakage(
      "identities: num_tracks disagrees", .identities, nil,
      "identities[0].embedding_stats.num_tracks", "must equal the number of track_ids (2)"
    ) {
      $0.set(.identities, "identities[0].embedding_stats.num_tracks", .integer(3))
    },
    Breakage(
      "identities: a label that is not a string", .identities, nil, "identities[0].labels.name",
      "expected a string, found number"
    ) {
      $0.set(.identities, "identities[0].labels.name", .integer(5))
    },
    Breakage(
      "identities: locked not a boolean", .identities, nil, "identities[0].locked",
      "expected a boolean, found string"
    ) {
      $0.set(.identities, "identities[0].locked", .string("yes"))
    },
    Breakage(
      "identities: cluster_thresh out of range", .identities, nil, "metadata.cluster_thresh",
      "must be in [-1, 1]"
    ) {
      $0.set(.identities, "metadata.cluster_thresh", .number(2))
    },
    Breakage(
      "identities: identities not an array", .identities, nil, "identities",
      "expected an array, found object"
    ) {
      $0.set(.identities, "identities", .object([:]))
    },
    Breakage("identities: not JSON", .identities, nil, "", "not valid JSON: truncated JSON") {
      $0.documents[.identities] = .raw("{")
    },
    Breakage(
      "identities: no tracks",
      expecting: [
        ExpectedViolation(
          artifact: .identities, line: nil, field: "identities[1].track_ids",
          message: "must not be empty"),
        ExpectedViolation(
          artifact: .identities, line: nil, field: "identities[1].embedding_stats.num_tracks",
          message: "(0)"),
        ExpectedViolation(
          artifact: .identities, line: nil, field: "metadata.unidentified_tracks",
          message: "not listed here: track-00003"),
      ]
    ) {
      $0.set(.identities, "identities[1].track_ids", .array([]))
    },
    Breakage(
      "track_metrics: tracks_born missing", .trackMetrics, nil, "tracks_born",
      "required field is missing"
    ) {
      $0.set(.trackMetrics, "tracks_born", nil)
    },
    Breakage(
      "track_metrics: malformed longest track", .trackMetrics, nil, "longest_tracks[0].track_id",
      "must match track-NNNNN"
    ) {
      $0.set(.trackMetrics, "longest_tracks[0].track_id", .string("x"))
    },
    Breakage(
      "track_metrics: fraction above 1", .trackMetrics, nil, "short_track_fraction",
      "must be in [0, 1]"
    ) {
      $0.set(.trackMetrics, "short_track_fraction", .number(1.5))
    },
    Breakage(
      "track_metrics: elapsed_sec a string", .trackMetrics, nil, "elapsed_sec",
      "expected a number, found string"
    ) {
      $0.set(.trackMetrics, "elapsed_sec", .string("fast"))
    },
    Breakage(
      "cleanup_report: before.num_faces a string", .cleanupReport, nil, "before.num_faces",
      "expected an integer, found string"
    ) {
      $0.set(.cleanupReport, "before.num_faces", .string("many"))
    },
    Breakage(
      "cleanup_report: created_at missing", .cleanupReport, nil, "created_at",
      "required field is missing"
    ) {
      $0.set(.cleanupReport, "created_at", nil)
    },
    Breakage(
      "cleanup_report: quality above 1", .cleanupReport, nil, "reembed_summary.mean_quality_after",
      "must be in [0, 1]"
    ) {
      $0.set(.cleanupReport, "reembed_summary.mean_quality_after", .number(1.5))
    },
    Breakage(
      "cleanup_report: other episode", .cleanupReport, nil, "ep_id", "must equal the episode id"
    ) {
      $0.set(.cleanupReport, "ep_id", .string("x"))
    },
    Breakage(
      "cleanup_report: not an object", .cleanupReport, nil, "",
      "expected a JSON object, found array"
    ) {
      $0.documents[.cleanupReport] = .raw("[]")
    },
  ]

  @Test("the fixture written by the library's writers validates clean")
  func writtenByLibraryIsClean() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    try EpisodeFixture.writeWithLibrary(to: directory.url)
    let report = ArtifactValidator(
      layout: DataLayout(root: directory.url), episode: try EpisodeID(EpisodeFixture.episode)
    ).validate(expectedEmbeddingWidth: EpisodeFixture.width)
    #expect(report.violations.map(\.description) == [])
    #expect(report.isClean)
    #expect(report.absent == [])
    let episode = EpisodeFixture.episode
    #expect(
      report.checked == [
        "manifests/\(episode)/tracks.jsonl": 3, "manifests/\(episode)/detections.jsonl": 6,
        "manifests/\(episode)/faces.jsonl": 4, "embeds/\(episode)/faces.npy": 4,
        "embeds/\(episode)/track_embeddings.npy": 3, "manifests/\(episode)/identities.json": 1,
        "manifests/\(episode)/track_metrics.json": 1, "manifests/\(episode)/cleanup_report.json": 1,
        "manifests/\(episode)/probe_faces.jsonl": 0, "embeds/\(episode)/probe_faces.npy": 0,
        "manifests/\(episode)/shots.jsonl": 2, "analytics/\(episode)/screentime.json": 1,
        "analytics/\(episode)/screentime.csv": 1,
      ])
  }

  @Test("probe_faces.jsonl is checked like faces.jsonl: rows, ids across both files, npy rows")
  func probeFacesChecked() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    try EpisodeFixture.writeWithLibrary(to: directory.url)
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID(EpisodeFixture.episode)
    // face-00001 is already the first line of faces.jsonl; the .npy still has no rows.
    var probe = Samples.face(1, track: 3, frame: 35, width: EpisodeFixture.width)
    probe.cropPath = DataLayout.probeCropRelativePath(trackID: probe.trackID, frameIndex: 35)
    try JSONLWriter<Face>.write([probe], to: layout.probeFaces(episode))
    var report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(
      report.violations.map(\.description) == [
        "manifests/ep-test/probe_faces.jsonl:1: face_id = \"face-00001\": duplicate face_id "
          + "(first at manifests/ep-test/faces.jsonl:1)",
        "embeds/ep-test/probe_faces.npy: shape[0] = 0: must equal the number of lines of "
          + "probe_faces.jsonl (1): row i is line i",
      ])
    probe.faceID = "face-00005"
    try JSONLWriter<Face>.write([probe], to: layout.probeFaces(episode))
    try NPYMatrix(rowVectors: [probe.embedding]).write(to: layout.probeFacesNPY(episode))
    report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.violations.map(\.description) == [])
    // How the probe was seen and which of its track's probes it is: ranges and rank ≤ count.
    probe.probeView = ProbeView(
      faceSize: 14, yaw: 12, sharpness: 30, padding: 0.1, rank: 4, trackProbes: 3)
    try JSONLWriter<Face>.write([probe], to: layout.probeFaces(episode))
    report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(
      report.violations.map(\.description) == [
        "manifests/ep-test/probe_faces.jsonl:1: probe_rank = 4: must be at most track_probes "
          + "(3): the rank among the track's probes"
      ])
    probe.probeView = ProbeView(
      faceSize: -1, yaw: 12, sharpness: 30, padding: 1.5, rank: 1, trackProbes: 3)
    try JSONLWriter<Face>.write([probe], to: layout.probeFaces(episode))
    report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.violations.map(\.field).sorted() == ["face_px", "padding"])
  }

  @Test("the editable fixture is clean before any breakage")
  func baselineIsClean() throws {
    let report = try EpisodeFixture.valid().validate()
    #expect(report.violations.map(\.description) == [])
  }

  @Test(
    "each broken rule is reported with artifact, line and field",
    arguments: trackBreakages + detectionBreakages + faceBreakages + documentBreakages
      + shotBreakages + screenTimeBreakages)
  func breakage(_ breakage: Breakage) throws {
    var fixture = try EpisodeFixture.valid()
    try breakage.edit(&fixture)
    let report = try fixture.validate()
    let listing = report.violations.map(\.description).joined(separator: "\n")
    #expect(!report.isClean)
    for expected in breakage.expected {
      #expect(
        report.violations.contains(where: expected.matches),
        "expected \(expected); got:\n\(listing)"
      )
    }
    #expect(
      report.violations.count == breakage.expected.count,
      "exactly \(breakage.expected.count) violation(s) expected; got:\n\(listing)"
    )
  }

  @Test("a spec-schema identities.json (no metadata.unidentified_tracks) is clean, with a note")
  func specSchemaIdentities() throws {
    var fixture = try EpisodeFixture.valid()
    let full = try fixture.validate()
    #expect(full.notes == [])
    fixture.set(.identities, "metadata.unidentified_tracks", nil)
    let report = try fixture.validate()
    #expect(report.violations.map(\.description) == [])
    #expect(report.notes.count == 1)
    #expect(report.notes.first?.contains("no metadata.unidentified_tracks") == true)
    #expect(report.notes.first?.contains("0 of 3 track(s) are in no identity") == true)
    // Track 3 in no identity: still no coverage violation, and the note counts it.
    fixture.set(.identities, "identities[1].track_ids[0]", .string("track-00009"))
    let partial = try fixture.validate()
    #expect(partial.violations.map(\.field) == ["identities[1].track_ids[0]"])
    #expect(partial.notes.first?.contains("1 of 3 track(s) are in no identity") == true)
  }

  @Test("a violation reads artifact:line: field = value: message")
  func description() throws {
    var fixture = try EpisodeFixture.valid()
    fixture.set(.tracks, line: 3, "stats.detections", .integer(0))
    let report = try fixture.validate()
    #expect(
      report.violations.map(\.description)
        == ["\(FixtureArtifact.tracks.relativePath):3: stats.detections = 0: must be ≥ 1"]
    )
    #expect(
      Violation(artifact: "a.json", line: nil, field: "", value: "", message: "missing").description
        == "a.json: missing")
    #expect(
      Violation(
        artifact: "a.json", line: nil, field: "x", value: "", message: "required field is missing"
      )
      .description == "a.json: x: required field is missing")
  }

  @Test("every violation of one file is reported, in line order")
  func manyViolationsInOneFile() throws {
    var fixture = try EpisodeFixture.valid()
    fixture.set(.faces, line: 1, "quality_score", .number(2))
    fixture.set(.faces, line: 1, "landmarks[3]", .string("x"))
    fixture.set(.faces, line: 2, "face_id", .string("face-2"))
    fixture.set(.faces, line: 3, "bbox[0]", .number(3))
    fixture.set(.faces, line: 4, "landmarks", nil)
    fixture.insertRaw(.tracks, at: 4, "{not json")
    let report = try fixture.validate()
    let faces = FixtureArtifact.faces.relativePath
    let found = report.violations.filter { $0.artifact == faces }.map {
      "\($0.line ?? 0) \($0.field)"
    }
    #expect(
      found == [
        "1 landmarks[3]", "1 quality_score", "2 face_id", "3 bbox[0]", "3 bbox", "4 landmarks",
      ])
    #expect(
      report.violations.contains {
        $0.artifact == FixtureArtifact.tracks.relativePath && $0.line == 4
      })
    #expect(report.violations.count == 7, "\(report.violations.map(\.description))")
  }

  @Test("the expected embedding width is enforced on every row and matrix")
  func expectedWidth() throws {
    let fixture = try EpisodeFixture.valid()
    #expect(try fixture.validate(expectedEmbeddingWidth: 8).isClean)
    let report = try fixture.validate(expectedEmbeddingWidth: 512)
    let places = report.violations.map { "\($0.artifact):\($0.line ?? 0):\($0.field)" }
    let episode = EpisodeFixture.episode
    #expect(
      places == [
        "embeds/\(episode)/faces.npy:0:shape[1]",
        "manifests/\(episode)/faces.jsonl:1:embedding",
        "manifests/\(episode)/faces.jsonl:2:embedding",
        "manifests/\(episode)/faces.jsonl:3:embedding",
        "manifests/\(episode)/faces.jsonl:4:embedding",
        "embeds/\(episode)/track_embeddings.npy:0:shape[1]",
      ])
    #expect(report.violations.allSatisfy { $0.message.contains("must be 512") })
  }

  @Test("absent artifacts are skipped and listed")
  func absentArtifacts() throws {
    var fixture = try EpisodeFixture.valid()
    for artifact in [
      FixtureArtifact.faces, .facesNPY, .identities, .trackMetrics, .cleanupReport,
      .trackEmbeddings, .shots, .screenTime, .screenTimeCSV,
    ] {
      fixture.remove(artifact)
    }
    let report = try fixture.validate()
    #expect(report.isClean, "\(report.violations)")
    let episode = EpisodeFixture.episode
    #expect(
      report.absent == [
        "analytics/\(episode)/screentime.csv", "analytics/\(episode)/screentime.json",
        "embeds/\(episode)/faces.npy", "embeds/\(episode)/probe_faces.npy",
        "embeds/\(episode)/track_embeddings.npy", "manifests/\(episode)/cleanup_report.json",
        "manifests/\(episode)/faces.jsonl", "manifests/\(episode)/identities.json",
        "manifests/\(episode)/probe_faces.jsonl", "manifests/\(episode)/shots.jsonl",
        "manifests/\(episode)/track_metrics.json",
      ])
    #expect(
      report.checked.keys.sorted() == [
        "manifests/\(episode)/detections.jsonl", "manifests/\(episode)/tracks.jsonl",
      ])
  }

  @Test("detections before tracking need no tracks.jsonl")
  func detectionsWithoutTracks() throws {
    var fixture = EpisodeFixture()
    fixture.lines[.detections] = try EpisodeFixture.detectionModels.map {
      var detection = $0
      detection.trackID = nil
      return .value(try EpisodeFixture.value(of: detection))
    }
    #expect(try fixture.validate().isClean)
    fixture.set(.detections, line: 2, "track_id", .string("track-00001"))
    let report = try fixture.validate()
    #expect(report.violations.map(\.field) == [""])
    #expect(report.violations.first?.artifact == FixtureArtifact.tracks.relativePath)
  }

  @Test("an empty data root is clean, with everything absent")
  func nothingThere() throws {
    let report = try EpisodeFixture().validate()
    #expect(report.isClean)
    #expect(report.absent.count == 13)
    #expect(report.checked.isEmpty)
  }

  @Test("an unreadable artifact is a violation, not a crash")
  func unreadable() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let episode = try EpisodeID(EpisodeFixture.episode)
    let layout = DataLayout(root: directory.url)
    try FileManager.default.createDirectory(
      at: layout.tracks(episode), withIntermediateDirectories: true)
    let report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.violations.count == 1)
    #expect(report.violations.first?.artifact == FixtureArtifact.tracks.relativePath)
  }

  @Test("the report encodes to JSON for --json, with line null when absent")
  func reportJSON() throws {
    var fixture = try EpisodeFixture.valid()
    fixture.set(.tracks, line: 2, "schema_version", .string("x"))
    fixture.set(.identities, "metadata.linkage", .string(""))
    let report = try fixture.validate()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(report)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["is_clean"] as? Bool == false)
    let violations = try #require(object["violations"] as? [[String: Any]])
    #expect(violations.count == 2)
    #expect(violations[0]["line"] as? Int == 2)
    #expect(violations[0]["value"] as? String == "\"x\"")
    #expect(violations[1]["line"] is NSNull)
    #expect(violations[1]["field"] as? String == "metadata.linkage")
    #expect(try JSONDecoder().decode(ValidationReport.self, from: data) == report)
  }
}
