import Artifacts
import Foundation
import Testing

/// Every stage of `episode-run` killed by a real SIGKILL at every point of its commit (the
/// debug-only `FACEHARVEST_TEST_KILL_AT_COMMIT_STEP` raises it before point k; no timing is
/// involved), then one `validate`, then a direct read of the files as a NumPy or pandas user
/// reads them: one whole run's set, the old one before the journal exists and the new one from
/// then on (docs/artifacts.md, "Commits").
@Suite("Every stage killed by SIGKILL at every point of its commit", .serialized)
struct CommitKillEndToEndTests {
  static let episode = "sample-s01e01"

  /// A stage under test: the command that makes the old set, the one killed (and, run whole,
  /// the new set), and what makes a set recognisable and whole.
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    /// Runs before the old set (the stage's inputs).
    var setUp: [[String]]
    var old: [String]
    var new: [String]
    var description: String { name }
  }

  static let cases = [
    Case(
      name: "detect-track", setUp: [], old: ["--detect-track", "--target-fps", "5"],
      new: ["--detect-track"]),
    Case(
      name: "faces-embed", setUp: [],
      old: ["--faces-embed", "--save-crops", "--sample-interval", "20"],
      new: ["--faces-embed", "--save-crops", "--sample-interval", "10"]),
    Case(
      name: "cluster", setUp: [["--faces-embed", "--save-crops", "--sample-interval", "10"]],
      old: ["--cluster", "--cluster-thresh", "0.9"], new: ["--cluster"]),
  ]

  static func run(_ root: URL, _ arguments: [String], environment: [String: String] = [:]) throws
    -> EpisodeRunProcess.Outcome
  {
    try EpisodeRunProcess.run(
      ["--ep-id", episode, "--data-root", root.path] + arguments, environment: environment)
  }

  /// A copy of `root` (the video stays a link to the repository's).
  static func copy(_ root: URL) throws -> URL {
    let copy = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-e2e-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: root, to: copy)
    return copy
  }

  /// Hidden entries left in the episode's folders (journal, temporary or staged files).
  static func leftovers(_ root: URL) -> [String] {
    ["manifests", "embeds", "analytics", "frames"].flatMap { top in
      let folder = root.appendingPathComponent("\(top)/\(episode)")
      return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasPrefix(".") }.map { "\(top)/\($0)" }
    }
  }

  @Test(
    "killed at every point, then one validate: the files in place are one whole set",
    arguments: cases)
  func killedAtEveryPoint(_ stage: Case) throws {
    let base = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: base) }
    for arguments in stage.setUp + [stage.old] {
      let outcome = try Self.run(base, arguments)
      try #require(outcome.status == 0, "\(outcome.combined)")
    }
    let oldSet = try PublishedSet(root: base)
    let reference = try Self.copy(base)
    defer { try? FileManager.default.removeItem(at: reference) }
    let finished = try Self.run(reference, stage.new)
    try #require(finished.status == 0, "\(finished.combined)")
    let newSet = try PublishedSet(root: reference)
    try #require(oldSet.isWhole && newSet.isWhole, "\(oldSet.problems + newSet.problems)")
    try #require(oldSet != newSet, "the two runs must differ to tell them apart")

    var point = 0
    var sawMix = false
    while true {
      let root = try Self.copy(base)
      defer { try? FileManager.default.removeItem(at: root) }
      let killed = try Self.run(
        root, stage.new, environment: [ArtifactTransaction.killAtStepVariable: String(point)])
      if !killed.signalled {
        // Past the commit's last point: the run finished.
        #expect(killed.status == 0, "\(killed.combined)")
        break
      }
      #expect(killed.status == SIGKILL, "\(stage) at \(point): \(killed.combined)")
      // Before validate, the files in place may be neither run's set.
      let before = try? PublishedSet(root: root)
      sawMix = sawMix || before.map { $0 != oldSet && $0 != newSet || !$0.isWhole } ?? true
      let validate = try EpisodeRunProcess.run([
        "validate", "--ep-id", Self.episode, "--data-root", root.path,
      ])
      #expect(validate.status == 0, "\(stage) killed at \(point): \(validate.combined)")
      let direct = try PublishedSet(root: root)
      #expect(direct.isWhole, "\(stage) killed at \(point): \(direct.problems)")
      #expect(direct == (point == 0 ? oldSet : newSet), "\(stage) killed at \(point)")
      if point > 0 {
        #expect(Self.leftovers(root) == [], "\(stage) killed at \(point)")
      }
      point += 1
      try #require(point < 30, "the commit never finished")
    }
    #expect(point >= 4, "\(stage): a commit has a journal, renames and the journal's removal")
    #expect(sawMix, "\(stage): some kill must leave the files in place torn before validate")
  }
}

/// What a direct reader finds: every artifact's rows, read in place (no journal), and whether
/// they belong together.
struct PublishedSet: Equatable {
  var detections: [String] = []
  var tracks: [String] = []
  var shots = 0
  var faces: [String] = []
  var facesRows = 0
  var probes: [String] = []
  var probesRows = 0
  var crops: [String] = []
  var identities: [String] = []
  var screenTime: [String] = []
  var thumbs: [String] = []
  var trackEmbeddingRows = 0
  var trackEmbeddingLines = 0
  /// Why the set is not whole (empty: it is).
  var problems: [String] = []

  var isWhole: Bool { problems.isEmpty }

  static func == (a: Self, b: Self) -> Bool {
    (a.detections, a.tracks, a.shots, a.faces, a.probes, a.crops)
      == (b.detections, b.tracks, b.shots, b.faces, b.probes, b.crops)
      && (a.facesRows, a.probesRows, a.trackEmbeddingRows)
        == (b.facesRows, b.probesRows, b.trackEmbeddingRows)
      && (a.identities, a.screenTime, a.thumbs) == (b.identities, b.screenTime, b.thumbs)
  }

  init(root: URL) throws {
    let layout = DataLayout(root: root)
    let id = try EpisodeID(CommitKillEndToEndTests.episode)
    let manager = FileManager.default
    func exists(_ url: URL) -> Bool { manager.fileExists(atPath: url.path) }
    let trackRows = try JSONLReader<Track>.readAll(from: layout.tracks(id))
    tracks = trackRows.map {
      "\($0.trackID) \($0.frameSpan) \($0.stats.detections) \($0.sampleThumbs)"
    }
    let spans = Dictionary(uniqueKeysWithValues: trackRows.map { ($0.trackID, $0.frameSpan) })
    var perTrack: [String: Int] = [:]
    for detection in try JSONLReader<Detection>.readAll(from: layout.detections(id)) {
      if let track = detection.trackID { perTrack[track, default: 0] += 1 }
      detections.append("\(detection.frameIndex) \(detection.trackID ?? "-")")
      if let track = detection.trackID {
        guard let span = spans[track] else {
          problems.append("detection of \(track), not in tracks.jsonl")
          continue
        }
        if !(span[0]...span[1]).contains(detection.frameIndex) {
          problems.append("detection at \(detection.frameIndex) outside \(track)")
        }
      }
    }
    for track in trackRows where perTrack[track.trackID, default: 0] != track.stats.detections {
      problems.append(
        "\(track.trackID): stats.detections \(track.stats.detections), rows \(perTrack[track.trackID, default: 0])"
      )
    }
    shots =
      exists(layout.shots(id)) ? try JSONLReader<Shot>.readAll(from: layout.shots(id)).count : 0
    try readFaces(layout, id, spans: spans)
    try readIdentities(layout, id, tracks: Set(spans.keys))
  }

  private mutating func readFaces(_ layout: DataLayout, _ id: EpisodeID, spans: [String: [Int]])
    throws
  {
    guard FileManager.default.fileExists(atPath: layout.faces(id).path) else { return }
    func keys(_ url: URL) throws -> [String] {
      try JSONLReader<Face>.readAll(from: url).map {
        "\($0.faceID) \($0.trackID) \($0.frameIndex) \($0.cropPath)"
      }
    }
    faces = try keys(layout.faces(id))
    facesRows = try NPYMatrix.read(from: layout.facesNPY(id)).rows
    probes = try keys(layout.probeFaces(id))
    probesRows = try NPYMatrix.read(from: layout.probeFacesNPY(id)).rows
    if faces.count != facesRows {
      problems.append("faces.jsonl \(faces.count) vs .npy \(facesRows)")
    }
    if probes.count != probesRows {
      problems.append("probe_faces.jsonl \(probes.count) vs .npy \(probesRows)")
    }
    let walk = FileManager.default.enumerator(atPath: layout.cropsDir(id).path)
    while let relative = walk?.nextObject() as? String {
      if relative.hasSuffix(".jpg") { crops.append("crops/" + relative) }
    }
    crops.sort()
    let cropSet = Set(crops)
    for face in faces + probes {
      let parts = face.split(separator: " ").map(String.init)
      if spans[parts[1]] == nil { problems.append("face of \(parts[1]), not in tracks.jsonl") }
      if parts.count > 3, !cropSet.contains(parts[3]) {
        problems.append("crop \(parts[3]) missing")
      }
    }
  }

  private mutating func readIdentities(_ layout: DataLayout, _ id: EpisodeID, tracks: Set<String>)
    throws
  {
    guard FileManager.default.fileExists(atPath: layout.identities(id).path) else { return }
    let document = try AtomicFile.readJSON(IdentitiesDocument.self, from: layout.identities(id))
    identities = document.identities.map { "\($0.identityID) \($0.trackIDs)" }
    let screen =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: layout.screentimeJSON(id))) as? [String: Any]
    let rows = (screen?["identities"] as? [[String: Any]]) ?? []
    screenTime = rows.compactMap { $0["identity_id"] as? String }.sorted()
    if screenTime != document.identities.map(\.identityID).sorted() {
      problems.append("screentime.json identities \(screenTime) differ from identities.json")
    }
    for identity in document.identities {
      if !identity.trackIDs.allSatisfy(tracks.contains) {
        problems.append("\(identity.identityID) lists a track not in tracks.jsonl")
      }
      let thumb = layout.identityThumb(id, identityID: identity.identityID)
      if FileManager.default.fileExists(atPath: thumb.path) {
        thumbs.append(identity.identityID)
      } else {
        problems.append("no thumbnail for \(identity.identityID)")
      }
    }
    trackEmbeddingRows = try NPYMatrix.read(from: layout.trackEmbeddingsNPY(id)).rows
    trackEmbeddingLines = try String(
      contentsOf: layout.trackEmbeddingsIndex(id), encoding: .utf8
    ).split(separator: "\n").count
    if trackEmbeddingRows != trackEmbeddingLines {
      problems.append("track_embeddings.npy \(trackEmbeddingRows) vs .jsonl \(trackEmbeddingLines)")
    }
  }
}
