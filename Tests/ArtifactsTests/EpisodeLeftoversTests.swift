import Foundation
import Testing

@testable import Artifacts

/// `EpisodeLeftovers` without a journal (with one: `ArtifactTransactionTests`).
@Suite("Leftovers of a killed run")
struct EpisodeLeftoversTests {
  struct Scene {
    let directory: TemporaryDirectory
    let layout: DataLayout
    let episode: EpisodeID
    var frames: URL { layout.framesDir(episode) }

    init() throws {
      directory = try TemporaryDirectory()
      layout = DataLayout(root: directory.url)
      episode = try EpisodeID("ep-left")
      for folder in [layout.manifestsDir(episode), layout.embedsDir(episode), frames] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      }
    }

    /// A folder under `frames/` holding one marker file.
    func folder(_ name: String, marker: String) throws {
      let url = frames.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      try Data(marker.utf8).write(to: url.appendingPathComponent("marker"))
    }

    func file(_ url: URL) throws {
      try Data("x\n".utf8).write(to: url)
    }

    var cropsMarker: String? {
      try? String(
        contentsOf: layout.cropsDir(episode).appendingPathComponent("marker"), encoding: .utf8)
    }

    func hidden() throws -> [String] {
      try [layout.manifestsDir(episode), layout.embedsDir(episode), frames].flatMap {
        try FileManager.default.contentsOfDirectory(atPath: $0.path).filter { $0.hasPrefix(".") }
      }
    }
  }

  @Test(
    "no journal, crops/ missing beside old and staged crops (a writer older than the journal): the old crops come back"
  )
  func legacyRollBack() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.folder(".crops-old-a", marker: "old")
    try scene.folder(".crops-staging-b", marker: "new")
    try scene.file(scene.layout.faces(scene.episode))
    try scene.file(
      scene.layout.manifestsDir(scene.episode).appendingPathComponent(".faces.jsonl.tmp-1a2b3c4d"))
    let done = try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
    #expect(scene.cropsMarker == "old", "\(done)")
    #expect(done.first == "restored frames/ep-left/crops from .crops-old-a")
    #expect(try scene.hidden().isEmpty)
  }

  @Test("with crops/ in place, leftover folders and temporary files are only removed")
  func onlyRemoved() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.folder("crops", marker: "current")
    try scene.folder(".crops-old-a", marker: "old")
    try scene.folder(".crops-staging-b", marker: "new")
    try scene.file(
      scene.layout.embedsDir(scene.episode).appendingPathComponent(".faces.npy.tmp-9f8e7d6c"))
    let done = try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
    #expect(done.count == 3, "\(done)")
    #expect(scene.cropsMarker == "current")
    #expect(try scene.hidden().isEmpty)
  }
}
