import Artifacts
import Foundation
import Testing

/// `episode-run --faces-embed --save-crops` killed by a real SIGKILL inside its commit (the
/// debug-only `FACEHARVEST_TEST_KILL_AT_COMMIT_STEP` raises it before point k; no timing is
/// involved): `validate` and other readers see one whole run, and the next writer keeps it
/// (docs/artifacts.md, "Commits").
@Suite("A harvest killed by SIGKILL inside its commit", .serialized)
struct CommitKillEndToEndTests {
  static let episode = "sample-s01e01"

  /// What makes one harvest's set recognisable: faces and probes (ids, tracks, frames, crop
  /// paths) with their `.npy` row counts, `sample_thumbs` and the crop files.
  struct RunSet: Equatable {
    var faces: [String]
    var facesRows: Int
    var probes: [String]
    var probesRows: Int
    var sampleThumbs: [String]
    var crops: [String]

    /// The set at `root`, each path read where `resolve` says.
    init(root: URL, through resolve: (URL) -> URL = { $0 }) throws {
      let layout = DataLayout(root: root)
      let id = try EpisodeID(CommitKillEndToEndTests.episode)
      func keys(_ url: URL) throws -> [String] {
        try JSONLReader<Face>.readAll(from: resolve(url)).map {
          "\($0.faceID) \($0.trackID) \($0.frameIndex) \($0.cropPath)"
        }
      }
      faces = try keys(layout.faces(id))
      facesRows = try NPYMatrix.read(from: resolve(layout.facesNPY(id))).rows
      probes = try keys(layout.probeFaces(id))
      probesRows = try NPYMatrix.read(from: resolve(layout.probeFacesNPY(id))).rows
      sampleThumbs = try JSONLReader<Track>.readAll(from: resolve(layout.tracks(id)))
        .flatMap(\.sampleThumbs)
      let crops = resolve(layout.cropsDir(id))
      let walk = FileManager.default.enumerator(atPath: crops.path)
      var files: [String] = []
      while let relative = walk?.nextObject() as? String {
        if relative.hasSuffix(".jpg") { files.append("crops/" + relative) }
      }
      self.crops = files.sorted()
    }

    /// Rows match their `.npy` files and every crop path names a crop of this set.
    var isWhole: Bool {
      let paths = (faces + probes).compactMap { $0.split(separator: " ").last.map(String.init) }
      return faces.count == facesRows && probes.count == probesRows
        && Set(paths).isSubset(of: Set(crops)) && !crops.isEmpty
    }
  }

  static func harvest(_ root: URL, interval: String, environment: [String: String] = [:]) throws
    -> EpisodeRunProcess.Outcome
  {
    try EpisodeRunProcess.run(
      [
        "--ep-id", episode, "--faces-embed", "--save-crops", "--sample-interval", interval,
        "--data-root", root.path,
      ], environment: environment)
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
    "killed before the journal, between file renames, with no crops/ at all, before the journal's removal"
  )
  func killedInsideCommit() throws {
    let base = try EpisodeRunProcess.freshSample()
    defer { try? FileManager.default.removeItem(at: base) }
    let first = try Self.harvest(base, interval: "20")
    try #require(first.status == 0, "\(first.combined)")
    let oldSet = try RunSet(root: base)
    let reference = try Self.copy(base)
    defer { try? FileManager.default.removeItem(at: reference) }
    let second = try Self.harvest(reference, interval: "10")
    try #require(second.status == 0, "\(second.combined)")
    let newSet = try RunSet(root: reference)
    try #require(oldSet.isWhole && newSet.isWhole && oldSet != newSet)
    let id = try EpisodeID(Self.episode)

    // Points of this commit: 0 publishes the journal; 1-5 rename faces.jsonl,
    // probe_faces.jsonl, faces.npy, probe_faces.npy, tracks.jsonl; 6 moves crops/ aside; 7
    // renames the staged crops in; 8 removes the old crops; 9 removes the journal.
    for point in [0, 3, 7, 9] {
      let root = try Self.copy(base)
      defer { try? FileManager.default.removeItem(at: root) }
      let killed = try Self.harvest(
        root, interval: "10",
        environment: [ArtifactTransaction.killAtStepVariable: String(point)])
      #expect(killed.signalled && killed.status == SIGKILL, "\(point): \(killed.combined)")
      let here = DataLayout(root: root)
      if point == 3 {
        // In place, faces.jsonl is the new run's beside the old faces.npy.
        #expect(try RunSet(root: root).isWhole == false)
      }
      if point == 7 {
        #expect(!FileManager.default.fileExists(atPath: here.cropsDir(id).path))
      }
      let committed = CommittedArtifacts(layout: here, episode: id)
      let seen = try RunSet(root: root, through: committed.resolve)
      #expect(seen == (point == 0 ? oldSet : newSet), "killed at \(point)")
      let validate = try EpisodeRunProcess.run([
        "validate", "--ep-id", Self.episode, "--data-root", root.path,
      ])
      #expect(validate.status == 0, "killed at \(point): \(validate.combined)")
      // The next writer, right after it takes the lock.
      try EpisodeLeftovers.recover(layout: here, episode: id)
      #expect(try RunSet(root: root) == seen, "killed at \(point), recovered")
      #expect(Self.leftovers(root) == [], "killed at \(point)")
    }
  }
}
