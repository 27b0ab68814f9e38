import Foundation
import Testing

@testable import Artifacts

@Suite("DataLayout and identifiers")
struct DataLayoutTests {
  let layout = DataLayout(root: URL(fileURLWithPath: "/srv/data", isDirectory: true))
  let episode: EpisodeID

  init() throws {
    episode = try EpisodeID("rhobh-s05e02")
  }

  @Test("paths follow DECISIONS.md")
  func paths() {
    let expectations: [(URL, String)] = [
      (layout.video(episode), "videos/rhobh-s05e02/episode.mp4"),
      (layout.manifestsDir(episode), "manifests/rhobh-s05e02"),
      (layout.detections(episode), "manifests/rhobh-s05e02/detections.jsonl"),
      (layout.tracks(episode), "manifests/rhobh-s05e02/tracks.jsonl"),
      (layout.trackMetrics(episode), "manifests/rhobh-s05e02/track_metrics.json"),
      (layout.faces(episode), "manifests/rhobh-s05e02/faces.jsonl"),
      (layout.identities(episode), "manifests/rhobh-s05e02/identities.json"),
      (layout.cleanupReport(episode), "manifests/rhobh-s05e02/cleanup_report.json"),
      (layout.embedsDir(episode), "embeds/rhobh-s05e02"),
      (layout.facesNPY(episode), "embeds/rhobh-s05e02/faces.npy"),
      (layout.trackEmbeddingsNPY(episode), "embeds/rhobh-s05e02/track_embeddings.npy"),
      (layout.framesDir(episode), "frames/rhobh-s05e02"),
      (layout.cropsDir(episode), "frames/rhobh-s05e02/crops"),
      (
        layout.crop(episode, trackID: "track-00001", frameIndex: 42),
        "frames/rhobh-s05e02/crops/track-00001/frame_000042.jpg"
      ),
      (layout.cropsDebug(episode), "frames/rhobh-s05e02/crops_debug.jsonl"),
      (
        layout.identityThumb(episode, identityID: "identity-00003"),
        "frames/rhobh-s05e02/thumbs/identity-00003/rep.jpg"
      ),
    ]
    for (url, relative) in expectations {
      #expect(url.path == "/srv/data/" + relative)
      #expect(layout.relativePath(url) == relative)
    }
  }

  @Test("crop paths are relative to frames/{ep_id} with six-digit frames")
  func cropRelativePath() {
    #expect(
      DataLayout.cropRelativePath(trackID: "track-00001", frameIndex: 42)
        == "crops/track-00001/frame_000042.jpg")
    #expect(
      layout.cropRelativePath(trackID: "track-00012", frameIndex: 1_234_567)
        == "crops/track-00012/frame_1234567.jpg")
    #expect(
      DataLayout.identityThumbRelativePath(identityID: "identity-00001")
        == "thumbs/identity-00001/rep.jpg")
  }

  @Test("ids never escape their folder")
  func unsafeIDs() {
    let crop = layout.crop(episode, trackID: "../../etc", frameIndex: 1)
    #expect(crop.path == "/srv/data/frames/rhobh-s05e02/crops/.._.._etc/frame_000001.jpg")
    #expect(crop.standardizedFileURL.path == crop.path)
    let thumb = layout.identityThumb(episode, identityID: "..")
    #expect(thumb.path == "/srv/data/frames/rhobh-s05e02/thumbs/_/rep.jpg")
    #expect(DataLayout.safeComponent("..") == "_")
    #expect(DataLayout.safeComponent("") == "_")
    #expect(DataLayout.safeComponent("a/b") == "a_b")
    #expect(DataLayout.safeComponent("track-00001") == "track-00001")
  }

  @Test("root precedence: flag, then FACEHARVEST_DATA_ROOT, then ./data")
  func resolveRoot() {
    let environment = ["FACEHARVEST_DATA_ROOT": "/from/env"]
    #expect(
      DataLayout.resolveRoot(explicit: "/from/flag", environment: environment).path == "/from/flag")
    #expect(DataLayout.resolveRoot(explicit: nil, environment: environment).path == "/from/env")
    #expect(DataLayout.resolveRoot(explicit: "", environment: environment).path == "/from/env")
    let fallback = DataLayout.resolveRoot(explicit: nil, environment: ["FACEHARVEST_DATA_ROOT": ""])
    let expected = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
      .appendingPathComponent("data").standardizedFileURL.path
    #expect(fallback.path == expected)
  }

  @Test("relativePath leaves paths outside the root whole")
  func relativeOutsideRoot() {
    #expect(layout.relativePath(URL(fileURLWithPath: "/elsewhere/x.jsonl")) == "/elsewhere/x.jsonl")
    #expect(layout.relativePath(URL(fileURLWithPath: "/srv/database/x")) == "/srv/database/x")
  }

  @Test("artifact ids are zero-padded to five digits, wider when needed")
  func identifiers() {
    #expect(ArtifactID.track(1) == "track-00001")
    #expect(ArtifactID.face(42) == "face-00042")
    #expect(ArtifactID.identity(3) == "identity-00003")
    #expect(ArtifactID.track(123_456) == "track-123456")
    #expect(ArtifactID.isValidTrackID("track-00001"))
    #expect(ArtifactID.isValidTrackID("track-123456"))
    for bad in [
      "track-0001", "track-1", "Track-00001", "track-0000a", "track_00001", "track-", "",
      " track-00001",
    ] {
      #expect(!ArtifactID.isValidTrackID(bad), "\(bad)")
    }
    #expect(ArtifactID.isValidFaceID("face-00001"))
    #expect(!ArtifactID.isValidFaceID("track-00001"))
    #expect(ArtifactID.isValidIdentityID("identity-00010"))
    #expect(!ArtifactID.isValidIdentityID("identity-10"))
    #expect(ArtifactID.number(in: "track-00042", prefix: "track") == 42)
    #expect(!ArtifactID.isValidTrackID(ArtifactID.track(-1)))
  }
}
