import Foundation
import Testing

@testable import Artifacts

/// `provenance.json` written by commits and read by `ProvenanceCheck` (docs/artifacts.md, "What
/// artifacts were made from").
@Suite("What artifacts were made from")
struct ProvenanceTests {
  struct Scene {
    let directory: TemporaryDirectory
    let layout: DataLayout
    let episode: EpisodeID

    init() throws {
      directory = try TemporaryDirectory()
      layout = DataLayout(root: directory.url)
      episode = try EpisodeID("ep-prov")
      try FileManager.default.createDirectory(
        at: layout.manifestsDir(episode), withIntermediateDirectories: true)
      try write(video: "video bytes, first cut")
    }

    func write(video: String) throws {
      let url = layout.video(episode)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(video.utf8).write(to: url)
    }

    var video: VideoIdentity? {
      get throws {
        try ContentHash.videoIdentity(of: layout.video(episode), displayPath: "episode.mp4")
      }
    }

    /// Commits `files` (url → text) as `stage` (nil: an edit that carries hashes forward).
    func commit(_ files: [URL: String], as stage: ProvenanceStage?, frames: Int? = nil) throws {
      let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
      for (url, text) in files.sorted(by: { $0.key.path < $1.key.path }) {
        try transaction.stage(Data(text.utf8), at: url)
      }
      if let stage {
        transaction.provenance = .stage(
          stage, video: try video?.with(frameCount: frames, durationSeconds: nil))
      }
      try transaction.commit()
    }

    func detectTrack(_ version: String) throws {
      try commit(
        [layout.detections(episode): "d\(version)\n", layout.tracks(episode): "t\(version)\n"],
        as: .detectTrack, frames: 500)
    }

    func harvest(_ version: String) throws {
      let tracks = try String(contentsOf: layout.tracks(episode), encoding: .utf8)
      try commit(
        [layout.faces(episode): "f\(version)\n", layout.tracks(episode): tracks + "thumbs\n"],
        as: .facesEmbed)
    }

    func findings(frames: Int? = nil) throws -> [String] {
      var check = ProvenanceCheck(layout: layout, episode: episode)
      return try check.findings(of: ProvenanceStage.allCases, video: video) { frames }
        .map { "\($0.stage.rawValue): \($0.message)" }
    }
  }

  @Test("a fresh chain is not stale; the harvest's own rewrite of tracks.jsonl keeps it fresh")
  func freshChain() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.detectTrack("1")
    try scene.harvest("1")
    #expect(try scene.findings() == [])
    let document = try #require(
      try ProvenanceCheck(layout: scene.layout, episode: scene.episode).document())
    let harvest = try #require(document.stages["faces_embed"])
    #expect(
      harvest.inputs.keys.sorted() == [
        "manifests/ep-prov/detections.jsonl",
        "manifests/ep-prov/tracks.jsonl",
      ])
    // detect-track's record follows the tracks.jsonl the harvest rewrote; the frame count
    // detect-track counted is carried to the harvest's record of the same video.
    #expect(
      document.stages["detect_track"]?.outputs["manifests/ep-prov/tracks.jsonl"]
        == harvest.outputs["manifests/ep-prov/tracks.jsonl"])
    #expect(harvest.video?.frameCount == 500)
  }

  @Test("detect-track run again makes the harvest stale, naming the file and the rewriter")
  func upstreamRewritten() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.detectTrack("1")
    try scene.harvest("1")
    try scene.detectTrack("2")
    let findings = try scene.findings()
    #expect(findings.count == 1)
    #expect(findings.first?.hasPrefix("faces_embed: manifests/ep-prov/") == true)
    #expect(
      findings.first?.contains("changed since faces-embed: detect-track wrote it again") == true)
    #expect(findings.first?.hasSuffix("run --faces-embed again") == true)
    try scene.harvest("2")
    #expect(try scene.findings() == [])
  }

  @Test("an edit that rewrites a file keeps the records fresh; a hand edit is not called stale")
  func editsAndHandEdits() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.detectTrack("1")
    try scene.harvest("1")
    try scene.commit([scene.layout.tracks(scene.episode): "split\n"], as: nil)
    #expect(try scene.findings() == [])
    try Data("by hand\n".utf8).write(to: scene.layout.tracks(scene.episode))
    #expect(try scene.findings() == [])
  }

  @Test("another video is named with the frames now and then, for every stage that read it")
  func videoChanged() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.detectTrack("1")
    try scene.harvest("1")
    try scene.write(video: "video bytes")
    let findings = try scene.findings(frames: 121)
    #expect(
      findings == [
        "detect_track: videos/ep-prov/episode.mp4 changed since detect-track: 121 frames now, "
          + "500 then; run --detect-track again",
        "faces_embed: videos/ep-prov/episode.mp4 changed since faces-embed: 121 frames now, "
          + "500 then; run --detect-track again",
      ])
    // Unknown frame count now: the sizes say it.
    #expect(try scene.findings().first?.contains("11 bytes now, 22 then") == true)
  }

  @Test("no provenance.json (older artifacts, another implementation): nothing to compare")
  func nothingRecorded() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.commit([scene.layout.tracks(scene.episode): "t\n"], as: nil)
    #expect(!FileManager.default.fileExists(atPath: scene.layout.provenance(scene.episode).path))
    #expect(try scene.findings() == [])
  }

  @Test("carrying forward updates only entries that matched the file replaced")
  func carryingForward() {
    let document = ProvenanceDocument(
      epID: "ep",
      stages: [
        "a": StageProvenance(madeAt: "", video: nil, inputs: ["x": "old"], outputs: ["y": "old"]),
        "b": StageProvenance(madeAt: "", video: nil, inputs: ["x": "older"], outputs: [:]),
      ])
    let carried = document.carryingForward(
      ["x": "new", "y": "new"], from: ["x": "old", "y": "old"], inputs: true)
    #expect(carried.stages["a"]?.inputs == ["x": "new"])
    #expect(carried.stages["a"]?.outputs == ["y": "new"])
    #expect(carried.stages["b"]?.inputs == ["x": "older"])
    let outputsOnly = document.carryingForward(
      ["x": "new", "y": "new"], from: ["x": "old", "y": "old"], inputs: false)
    #expect(outputsOnly.stages["a"]?.inputs == ["x": "old"])
    #expect(outputsOnly.stages["a"]?.outputs == ["y": "new"])
  }
}

/// The hot-journal rule: a reader finishes a killed writer's commit when the lock is free.
@Suite("Readers finish a killed writer's commit")
struct PendingCommitTests {
  struct Stop: Error {}

  /// An episode whose two files were committed as "old", then a commit of "new" stopped before
  /// `point` (as a kill would).
  static func killed(at point: Int) throws -> (TemporaryDirectory, DataLayout, EpisodeID) {
    let directory = try TemporaryDirectory()
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID("ep-hot")
    for text in ["old", "new"] {
      let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "a test")
      try transaction.stage(Data("\(text)\n".utf8), at: layout.faces(episode))
      try transaction.stage(Data("\(text)\n".utf8), at: layout.tracks(episode))
      if text == "new" {
        transaction.beforeStep = { if $0.index == point { throw Stop() } }
        #expect(throws: Stop.self) { try transaction.commit() }
      } else {
        try transaction.commit()
      }
    }
    return (directory, layout, episode)
  }

  static func published(_ layout: DataLayout, _ episode: EpisodeID) throws -> [String] {
    try [layout.faces(episode), layout.tracks(episode)].map {
      try String(contentsOf: $0, encoding: .utf8)
    }
  }

  @Test(
    "lock free: the commit is finished and a direct reader sees one whole set",
    arguments: [
      1, 2, 3,
    ])
  func finished(point: Int) throws {
    let (directory, layout, episode) = try Self.killed(at: point)
    defer { directory.cleanUp() }
    if point == 2 { #expect(try Self.published(layout, episode) == ["new\n", "old\n"]) }
    let view = CommittedArtifacts.open(layout: layout, episode: episode, reader: "a reader")
    guard case .completed(let done) = view.pending else {
      Issue.record("expected the commit finished, got \(view.pending)")
      return
    }
    #expect(done.first?.hasPrefix("finished the interrupted commit of a test") == true)
    #expect(try Self.published(layout, episode) == ["new\n", "new\n"])
    #expect(!view.hasJournal)
    #expect(CommittedArtifacts.open(layout: layout, episode: episode, reader: "r").pending == .none)
  }

  @Test("lock held by a writer: the reader reads through the journal and touches nothing")
  func underWay() throws {
    let (directory, layout, episode) = try Self.killed(at: 2)
    defer { directory.cleanUp() }
    let lock = try EpisodeLock.takeOnly(layout: layout, episode: episode, purpose: "a live writer")
    defer { lock.release() }
    let view = CommittedArtifacts.open(layout: layout, episode: episode, reader: "a reader")
    guard case .underWay(let holder) = view.pending else {
      Issue.record("expected a commit under way, got \(view.pending)")
      return
    }
    #expect(holder.hasPrefix("a live writer"))
    #expect(try Self.published(layout, episode) == ["new\n", "old\n"])
    #expect(
      try String(contentsOf: view.resolve(layout.tracks(episode)), encoding: .utf8) == "new\n")
  }
}
