import Foundation
import Testing

@testable import Artifacts

/// What the failure hook throws to simulate a kill at one point of a commit.
struct SimulatedKill: Error, Equatable {
  let index: Int
}

/// `ArtifactTransaction` killed at every point of a realistic commit (docs/artifacts.md,
/// "Commits"): readers see exactly the old or the new set, and recovery leaves exactly one.
@Suite("Artifact transaction: a kill at every point")
struct ArtifactTransactionTests {
  /// An episode holding an old set of artifacts, and the new set a transaction stages: four
  /// files replaced and one new, `crops/` replaced (one crop rewritten, one gone, one new) and
  /// `thumbs/`, which did not exist.
  struct Scene {
    static let episodeName = "ep-txn"
    /// The files, in the order they are staged (the journal renames them in this order).
    static let files = [
      "manifests/ep-txn/faces.jsonl", "manifests/ep-txn/probe_faces.jsonl",
      "embeds/ep-txn/faces.npy", "analytics/ep-txn/screentime.json", "manifests/ep-txn/shots.jsonl",
    ]
    static let folders = ["frames/ep-txn/crops", "frames/ep-txn/thumbs"]
    static let oldSet = [
      "manifests/ep-txn/faces.jsonl": "old faces",
      "manifests/ep-txn/probe_faces.jsonl": "old probes",
      "embeds/ep-txn/faces.npy": "old npy", "analytics/ep-txn/screentime.json": "old screen time",
      "frames/ep-txn/crops/track-00001/frame_000001.jpg": "old crop 1",
      "frames/ep-txn/crops/track-00002/frame_000005.jpg": "old crop 5",
    ]
    static let newSet = [
      "manifests/ep-txn/faces.jsonl": "new faces",
      "manifests/ep-txn/probe_faces.jsonl": "new probes",
      "embeds/ep-txn/faces.npy": "new npy", "analytics/ep-txn/screentime.json": "new screen time",
      "manifests/ep-txn/shots.jsonl": "new shots",
      "frames/ep-txn/crops/track-00001/frame_000001.jpg": "new crop 1",
      "frames/ep-txn/crops/track-00003/frame_000009.jpg": "new crop 9",
      "frames/ep-txn/thumbs/identity-00001/rep.jpg": "new thumb",
    ]
    /// 5 renames, a move aside and a rename per folder, a removal per folder.
    static let stepCount = 5 + 2 * 2 + 2

    let directory: TemporaryDirectory
    let layout: DataLayout
    let episode: EpisodeID

    init() throws {
      directory = try TemporaryDirectory()
      layout = DataLayout(root: directory.url)
      episode = try EpisodeID(Self.episodeName)
      for (path, text) in Self.oldSet { try writeText(text, to: url(path)) }
    }

    func url(_ path: String) -> URL { layout.root.appendingPathComponent(path) }

    /// A transaction holding the new set, staged.
    func stageNewSet() throws -> ArtifactTransaction {
      let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
      for path in Self.files { try transaction.stage(Data(Self.newSet[path]!.utf8), at: url(path)) }
      for folder in Self.folders {
        let staged = try transaction.stageFolder(replacing: url(folder))
        for (path, text) in Self.newSet where path.hasPrefix(folder + "/") {
          try writeText(
            text, to: staged.appendingPathComponent(String(path.dropFirst(folder.count))))
        }
      }
      return transaction
    }

    /// Every artifact as read through `resolve`: the files, and each file under the folders.
    func artifacts(_ resolve: (URL) -> URL) -> [String: String] {
      var found: [String: String] = [:]
      for path in Self.files {
        if let text = try? String(contentsOf: resolve(url(path)), encoding: .utf8) {
          found[path] = text
        }
      }
      for folder in Self.folders {
        let root = resolve(url(folder))
        guard let walk = FileManager.default.enumerator(atPath: root.path) else { continue }
        while let relative = walk.nextObject() as? String {
          let file = root.appendingPathComponent(relative)
          guard FileIO.isRegularFile(file) else { continue }
          found["\(folder)/\(relative)"] = try? String(contentsOf: file, encoding: .utf8)
        }
      }
      return found
    }

    /// The artifacts on disk, read in place.
    var onDisk: [String: String] { artifacts { $0 } }

    /// The artifacts as a reader that takes no lock sees them.
    var asReaderSees: [String: String] {
      let committed = CommittedArtifacts(layout: layout, episode: episode)
      return artifacts(committed.resolve)
    }

    /// Hidden entries (journal, temporary files, staged or old folders) in the episode's folders,
    /// at any depth.
    func leftovers() -> [String] {
      ["manifests", "embeds", "analytics", "frames"].flatMap { top -> [String] in
        let folder = url("\(top)/\(Self.episodeName)")
        let walk = FileManager.default.enumerator(atPath: folder.path)
        var hidden: [String] = []
        while let relative = walk?.nextObject() as? String {
          if (relative as NSString).lastPathComponent.hasPrefix(".") {
            hidden.append("\(top)/\(Self.episodeName)/\(relative)")
          }
        }
        return hidden
      }
    }

    /// The new set staged and committed with a kill at point `index`.
    func commitKilled(at index: Int) throws {
      let transaction = try stageNewSet()
      transaction.beforeStep = { if $0.index == index { throw SimulatedKill(index: index) } }
      #expect(throws: SimulatedKill(index: index)) { try transaction.commit() }
    }
  }

  @Test("without a kill: the whole new set, every point visited once in order, nothing left")
  func commitWhole() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    let transaction = try scene.stageNewSet()
    var points: [CommitStep] = []
    transaction.beforeStep = { points.append($0) }
    try transaction.commit()
    #expect(scene.onDisk == Scene.newSet)
    #expect(scene.leftovers() == [])
    #expect(points.map(\.index) == Array(0...(Scene.stepCount + 1)))
    #expect(points.first?.action == .publishJournal)
    #expect(points.last?.action == .removeJournal)
    let performed = points.compactMap { point -> JournalStep? in
      guard case .perform(let step) = point.action else { return nil }
      return step
    }
    #expect(performed.count == Scene.stepCount)
    #expect(
      performed.prefix(5).map(\.paths.last) == Scene.files.map { Optional($0) },
      "files renamed first, in staging order")
  }

  @Test("a kill at any point: readers see exactly the old or the new set, recovery keeps it")
  func killAtEveryPoint() throws {
    var mixedOnDisk: Set<Int> = []
    for index in 0...(Scene.stepCount + 1) {
      let scene = try Scene()
      defer { scene.directory.cleanUp() }
      try scene.commitKilled(at: index)
      let expected = index == 0 ? Scene.oldSet : Scene.newSet
      #expect(scene.asReaderSees == expected, "killed at \(index)")
      if scene.onDisk != Scene.oldSet && scene.onDisk != Scene.newSet { mixedOnDisk.insert(index) }
      let done = try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
      #expect(scene.onDisk == expected, "killed at \(index), recovered: \(done)")
      #expect(scene.leftovers() == [], "killed at \(index)")
      #expect(!CommittedArtifacts(layout: scene.layout, episode: scene.episode).hasJournal)
    }
    // In place, the files were a mix from the second rename until the last folder was renamed
    // in: only the journal made them whole.
    #expect(mixedOnDisk == Set(2...9))
  }

  @Test("recovery killed at any point of its own roll-forward and run again: the new set")
  func killDuringRecovery() throws {
    for index in 1...(Scene.stepCount + 1) {
      for recoveryIndex in 1...(Scene.stepCount + 1) {
        let scene = try Scene()
        defer { scene.directory.cleanUp() }
        try scene.commitKilled(at: index)
        #expect(throws: SimulatedKill(index: recoveryIndex)) {
          try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode) {
            if $0.index == recoveryIndex { throw SimulatedKill(index: recoveryIndex) }
          }
        }
        #expect(scene.asReaderSees == Scene.newSet, "killed at \(index), then \(recoveryIndex)")
        try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
        #expect(scene.onDisk == Scene.newSet, "killed at \(index), then \(recoveryIndex)")
        #expect(scene.leftovers() == [])
      }
    }
  }

  @Test("a transaction dropped before its commit removes what it staged")
  func dropped() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    do {
      let transaction = try scene.stageNewSet()
      #expect(transaction.destinations.count == 7)
      #expect(!scene.leftovers().isEmpty)
    }
    #expect(scene.onDisk == Scene.oldSet)
    #expect(scene.leftovers() == [])
  }

  @Test("a failure before the commit point removes the staging and keeps the old set")
  func failureBeforeCommitPoint() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    // A folder where the journal goes: publishing it (a rename onto a folder) fails.
    let journal = CommitJournal.url(layout: scene.layout, episode: scene.episode)
    try FileManager.default.createDirectory(at: journal, withIntermediateDirectories: true)
    let transaction = try scene.stageNewSet()
    let error = artifactError { try transaction.commit() }
    guard case .io(let path, _)? = error else {
      Issue.record("expected an io error, got \(String(describing: error))")
      return
    }
    #expect(path == "manifests/ep-txn/.commit-journal.json")
    #expect(scene.onDisk == Scene.oldSet)
    #expect(scene.leftovers() == ["manifests/ep-txn/.commit-journal.json"])
  }

  @Test("a destination outside the episode, or staged twice, is refused")
  func misuse() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    let transaction = ArtifactTransaction(
      layout: scene.layout, episode: scene.episode, purpose: "test")
    let outside = artifactError {
      try transaction.stage(Data(), at: scene.url("manifests/other-episode/faces.jsonl"))
    }
    #expect(
      outside?.description
        == "commit of ep-txn: manifests/other-episode/faces.jsonl is outside the episode's folders")
    try transaction.stage(Data(), at: scene.url(Scene.files[0]))
    let twice = artifactError { try transaction.stage(Data(), at: scene.url(Scene.files[0])) }
    #expect(twice?.description == "commit of ep-txn: manifests/ep-txn/faces.jsonl staged twice")
    transaction.discard()
    #expect(scene.leftovers() == [])
  }

  @Test(
    "a journal that cannot be followed stops the next writer, touches nothing, and is a violation")
  func damagedJournal() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.commitKilled(at: 3)
    let journal = CommitJournal.url(layout: scene.layout, episode: scene.episode)
    let text = try String(contentsOf: journal, encoding: .utf8)
    for damaged in [
      String(text.prefix(40)),
      text.replacingOccurrences(of: "frames/ep-txn/.crops-old-", with: "videos/ep-txn/.crops-old-"),
    ] {
      try writeText(damaged, to: journal)
      let before = scene.leftovers()
      let error = artifactError {
        try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
      }
      guard case .damagedJournal(let path, _)? = error else {
        Issue.record("expected damagedJournal, got \(String(describing: error))")
        continue
      }
      #expect(path == "manifests/ep-txn/.commit-journal.json")
      #expect(scene.leftovers() == before)
      let report = ArtifactValidator(layout: scene.layout, episode: scene.episode).validate()
      #expect(
        report.violations.contains { $0.artifact == "manifests/ep-txn/.commit-journal.json" },
        "\(report.violations)")
    }
    #expect(
      artifactError { try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode) }?
        .description.contains("outside the episode's folders") == true)
  }

  @Test("a reader whose staged copy is renamed in under it reads the destination instead")
  func readerRace() throws {
    let scene = try Scene()
    defer { scene.directory.cleanUp() }
    try scene.commitKilled(at: 1)
    let committed = CommittedArtifacts(layout: scene.layout, episode: scene.episode)
    let faces = scene.url(Scene.files[0])
    #expect(committed.resolve(faces) != faces)
    var reads: [URL] = []
    let text = try committed.read(faces) { url in
      reads.append(url)
      // The writer finishes the commit between the resolution and the read.
      if reads.count == 1 {
        try EpisodeLeftovers.recover(layout: scene.layout, episode: scene.episode)
      }
      return try String(contentsOf: url, encoding: .utf8)
    }
    #expect(text == "new faces")
    #expect(reads.count == 2 && reads.last == faces)
  }

  @Test("validate reads an interrupted commit through its journal: faces.jsonl and faces.npy agree")
  func validateThroughJournal() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    try EpisodeFixture.writeWithLibrary(to: directory.url)
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID(EpisodeFixture.episode)
    let faces = Array(EpisodeFixture.faceModels.prefix(2))
    let transaction = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
    let writer = try JSONLWriter<Face>(destination: layout.faces(episode))
    try writer.write(contentsOf: faces)
    try writer.stage(in: transaction)
    try transaction.stage(
      NPYMatrix(rowVectors: faces.map(\.embedding)), at: layout.facesNPY(episode))
    // Killed after faces.jsonl was renamed in, before faces.npy was.
    transaction.beforeStep = { if $0.index == 2 { throw SimulatedKill(index: 2) } }
    #expect(throws: SimulatedKill(index: 2)) { try transaction.commit() }
    let inPlace = try NPYMatrix.read(from: layout.facesNPY(episode))
    #expect(try JSONLReader<Face>.readAll(from: layout.faces(episode)).count == 2)
    #expect(inPlace.rows == 4)
    let report = ArtifactValidator(layout: layout, episode: episode).validate()
    #expect(report.violations.map(\.description) == [])
    #expect(report.checked["embeds/\(EpisodeFixture.episode)/faces.npy"] == 2)
    try EpisodeLeftovers.recover(layout: layout, episode: episode)
    #expect(try NPYMatrix.read(from: layout.facesNPY(episode)).rows == 2)
  }
}
