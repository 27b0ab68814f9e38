public import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Replaces several artifacts of one episode so that a reader (and `validate`) sees either the
/// whole old set or the whole new set, whatever point a kill falls at (docs/artifacts.md,
/// "Commits"). A redo journal:
///
/// 1. every new file is staged as an fsynced temporary file beside its destination
///    (`.{name}.tmp-XXXXXXXX`), every new folder as `.{name}-staging-{uuid}` beside the folder
///    it replaces; nothing the readers look at changes;
/// 2. `commit()` fsyncs the staged folders and the folders holding what was staged, then
///    publishes `manifests/{ep_id}/.commit-journal.json` (written, fsynced, renamed into place):
///    the commit point;
/// 3. performs the journal's steps, each idempotent: files renamed onto their destinations, each
///    replaced folder moved aside (`.{name}-old-{uuid}`), its staged folder renamed in, the old
///    one removed;
/// 4. fsyncs the changed folders and removes the journal.
///
/// A transaction dropped (or `discard()`ed) before `commit()` removes what it staged. After a
/// kill, the next writer's `EpisodeLeftovers.recover` finishes a commit whose journal exists and
/// removes the staged leftovers of one that never got one. Readers that take no lock resolve
/// paths through the journal with `CommittedArtifacts`. Only a writer holding the episode's
/// `EpisodeLock` may commit.
public final class ArtifactTransaction {
  /// Called before each point of a commit where a kill can fall; throwing stops the commit
  /// there, touching nothing more, as a kill would (tests simulate kills with it).
  public typealias StepHook = (CommitStep) throws -> Void

  /// The environment variable that, in debug builds only, makes a process raise SIGKILL before
  /// point k of its first commit that reaches k (end-to-end crash tests).
  public static let killAtStepVariable = "FACEHARVEST_TEST_KILL_AT_COMMIT_STEP"

  /// Where the episode lives.
  public let layout: DataLayout
  /// The episode whose artifacts are replaced.
  public let episode: EpisodeID
  /// What commits (`faces harvest`), recorded in the journal for messages.
  public let purpose: String
  /// Called before every point of `commit()`; by default nil (debug builds: SIGKILL at the point
  /// `FACEHARVEST_TEST_KILL_AT_COMMIT_STEP` names).
  public var beforeStep: StepHook?
  /// How the commit updates `provenance.json` (docs/artifacts.md, "What artifacts were made
  /// from"): by default the hashes of the files it rewrites are carried forward (an edit keeps
  /// the set consistent); a stage sets `.stage` to record what it was made from.
  public var provenance = ProvenanceUpdate.carryForward

  /// What a commit records in `provenance.json`.
  public enum ProvenanceUpdate: Sendable {
    /// Entries that matched a file this commit rewrites now hold its new hash; no document is
    /// created.
    case carryForward
    /// The stage's record is replaced (its inputs hashed as published, its outputs the files
    /// staged); other stages' outputs are carried forward, their inputs are not (so they
    /// become stale when they read what this stage rewrote).
    case stage(ProvenanceStage, video: VideoIdentity?)
  }

  private enum State { case staging, committed, stopped, discarded }
  private struct Staged {
    let source: URL
    let destination: URL
    /// For a folder: where the folder it replaces is moved aside (`.{name}-old-{uuid}`).
    var aside: URL?
    var isFolder: Bool { aside != nil }
  }
  private var staged: [Staged] = []
  private var state = State.staging
  /// The last point the commit reached, for the message when a step fails.
  private var reached: CommitStep?

  /// A transaction replacing artifacts of `episode`, for `purpose`.
  public init(layout: DataLayout, episode: EpisodeID, purpose: String) {
    self.layout = layout
    self.episode = episode
    self.purpose = purpose
    beforeStep = Self.environmentHook()
  }

  deinit {
    if state == .staging { discard() }
  }

  /// The destinations staged so far: files in staging order, then folders (the journal's
  /// order).
  public var destinations: [URL] { ordered.map(\.destination) }

  private var ordered: [Staged] { staged.filter { !$0.isFolder } + staged.filter(\.isFolder) }

  // MARK: Staging

  /// Stages `data` as the new content of `destination`.
  public func stage(_ data: Data, at destination: URL) throws {
    try checkDestination(destination)
    let file = try TemporaryFile.sealed(
      data, beside: destination, displayPath: display(destination))
    staged.append(Staged(source: file.url, destination: destination))
  }

  /// Stages `value` as pretty-printed JSON (as `AtomicFile.writeJSON` writes it).
  public func stageJSON<T: Encodable>(_ value: T, at destination: URL) throws {
    try stage(AtomicFile.jsonData(value, displayPath: display(destination)), at: destination)
  }

  /// Stages `matrix` as a `.npy` file.
  public func stage(_ matrix: NPYMatrix, at destination: URL) throws {
    try stage(matrix.encoded(), at: destination)
  }

  /// Takes over a sealed temporary file (`JSONLWriter.stage(in:)`); on a throw the caller still
  /// owns it.
  func adopt(_ file: TemporaryFile) throws {
    try checkDestination(file.destination)
    staged.append(Staged(source: file.url, destination: file.destination))
  }

  /// Stages a new folder that will replace `destination` as a whole, and returns it for the
  /// caller to fill. Files of the current folder whose path relative to it passes `keeping` are
  /// hard-linked into it first (copied where links are refused), so a commit can keep most of a
  /// large folder cheaply; the current folder itself is never changed.
  public func stageFolder(replacing destination: URL, keeping: (String) -> Bool = { _ in false })
    throws -> URL
  {
    try checkDestination(destination)
    let (parent, name, id) = (
      destination.deletingLastPathComponent(), destination.lastPathComponent, UUID().uuidString
    )
    let folder = parent.appendingPathComponent(".\(name)-staging-\(id)", isDirectory: true)
    try FileIO.createDirectory(folder, displayPath: display(folder))
    staged.append(
      Staged(
        source: folder, destination: destination,
        aside: parent.appendingPathComponent(".\(name)-old-\(id)", isDirectory: true)))
    try Self.keepFiles(
      from: destination, in: folder, keeping: keeping, displayPath: display(folder))
    return folder
  }

  // MARK: Commit

  /// Publishes everything staged (see the type's description). A commit with nothing staged
  /// does nothing.
  ///
  /// - Throws: before the commit point, the error (what was staged is removed and the old
  ///   artifacts stay); after it, `ArtifactError.commitUnfinished` (the journal stays, readers
  ///   see the new set and the next writer finishes); a `beforeStep` error as thrown, with
  ///   everything left as it is.
  public func commit() throws {
    guard state == .staging else {
      throw ArtifactError.transaction(
        episode: episode.rawValue, reason: "already committed or discarded")
    }
    guard !staged.isEmpty else {
      state = .committed
      return
    }
    do {
      try stageProvenance()
    } catch {
      discard()
      throw error
    }
    let journal = CommitJournal(
      epID: episode.rawValue, purpose: purpose,
      createdAt: ArtifactTimestamp.string(from: Date()), steps: steps())
    try publish(journal)
    do {
      try journal.finish(layout: layout, episode: episode, point: point)
      state = .committed
    } catch let error where state == .staging {
      state = .committed
      throw ArtifactError.commitUnfinished(
        episode: episode.rawValue, step: reached?.description ?? "the journal",
        reason: "\(error)")
    }
  }

  /// Removes everything staged; the artifacts are untouched. Safe to call more than once; a
  /// no-op after `commit()`.
  public func discard() {
    guard state == .staging || state == .discarded else { return }
    for item in staged { try? FileManager.default.removeItem(at: item.source) }
    staged.removeAll()
    state = .discarded
  }

  // MARK: Internals

  /// Stages the new `provenance.json` for `provenance` (nothing when it does not change).
  private func stageProvenance() throws {
    let url = layout.provenance(episode)
    let existing = try? ProvenanceCheck(layout: layout, episode: episode).document()
    // An edit of an episode with no record has nothing to carry: hash nothing.
    if case .carryForward = provenance, existing == nil { return }
    var newHashes: [String: String] = [:]
    var oldHashes: [String: String] = [:]
    for item in staged where !item.isFolder && item.destination != url {
      let path = display(item.destination)
      newHashes[path] = try ContentHash.sha256(of: item.source, displayPath: path)
      oldHashes[path] = try ContentHash.sha256(of: item.destination, displayPath: path)
    }
    var document: ProvenanceDocument
    switch provenance {
    case .carryForward:
      guard let existing else { return }
      document = existing.carryingForward(newHashes, from: oldHashes, inputs: true)
      guard document != existing else { return }
    case .stage(let stage, let video):
      document = (existing ?? ProvenanceDocument(epID: episode.rawValue))
        .carryingForward(newHashes, from: oldHashes, inputs: false)
      var video = video
      if let seen = document.stages[ProvenanceStage.detectTrack.rawValue]?.video,
        let current = video, current.frameCount == nil, current.isSameVideo(as: seen)
      {
        video = current.with(frameCount: seen.frameCount, durationSeconds: seen.durationSeconds)
      }
      var inputs: [String: String] = [:]
      for input in stage.inputs(layout, episode) {
        let path = display(input)
        inputs[path] = try newHashes[path] ?? ContentHash.sha256(of: input, displayPath: path)
      }
      document.stages[stage.rawValue] = StageProvenance(
        madeAt: ArtifactTimestamp.string(from: Date()), video: video, inputs: inputs,
        outputs: newHashes)
    }
    try stageJSON(document, at: url)
  }

  /// Makes everything staged durable, then publishes `journal`: the commit point. On a failure
  /// (not a hook's stop) the staging and the unpublished journal are removed.
  private func publish(_ journal: CommitJournal) throws {
    var journalFile: TemporaryFile?
    do {
      try makeDurable()
      journalFile = try journal.stage(layout: layout, episode: episode)
      try point(CommitStep(index: 0, action: .publishJournal))
      try journalFile?.commit()
    } catch {
      if state == .staging {
        journalFile?.discard()
        discard()
      }
      throw error
    }
  }

  /// The journal's steps: files renamed, then each folder moved aside and its staged one renamed
  /// in, then the old folders removed.
  private func steps() -> [JournalStep] {
    var steps: [JournalStep] = []
    var removals: [JournalStep] = []
    for item in ordered {
      let (source, destination) = (display(item.source), display(item.destination))
      if let aside = item.aside.map(display) {
        steps.append(.moveAside(from: destination, to: aside, staged: source))
        removals.append(.remove(path: aside))
      }
      steps.append(.rename(from: source, to: destination))
    }
    return steps + removals
  }

  /// fsyncs every staged folder's content, every folder holding something staged, and the
  /// folder above each (an episode folder created by this run must survive too: a staged file
  /// lost with it would read as already renamed when the journal is rolled forward).
  private func makeDurable() throws {
    for item in staged where item.isFolder {
      try FileIO.syncTree(item.source, displayPath: display(item.source))
    }
    let parents = staged.map { $0.source.deletingLastPathComponent().standardizedFileURL }
    let folders = Set(parents + parents.map { $0.deletingLastPathComponent() })
    for parent in folders.sorted(by: { $0.path < $1.path }) {
      try FileIO.syncDirectory(parent, displayPath: display(parent))
    }
  }

  /// Runs the hook; a throw from it marks the transaction stopped (nothing more is touched).
  private func point(_ step: CommitStep) throws {
    reached = step
    do {
      try beforeStep?(step)
    } catch {
      state = .stopped
      throw error
    }
  }

  private func checkDestination(_ destination: URL) throws {
    guard state == .staging else {
      throw ArtifactError.transaction(
        episode: episode.rawValue, reason: "staging \(display(destination)) after the commit")
    }
    let path = display(destination)
    guard CommitJournal.isEpisodePath(path, episode: episode) else {
      throw ArtifactError.transaction(
        episode: episode.rawValue, reason: "\(path) is outside the episode's folders")
    }
    guard !staged.contains(where: { display($0.destination) == path }) else {
      throw ArtifactError.transaction(episode: episode.rawValue, reason: "\(path) staged twice")
    }
  }

  private func display(_ url: URL) -> String { layout.relativePath(url) }

  /// Hard-links (or copies) the files of `source` that pass `keeping` into `target`.
  private static func keepFiles(
    from source: URL, in target: URL, keeping: (String) -> Bool, displayPath: String
  ) throws {
    let manager = FileManager.default
    guard FileIO.exists(source), let walk = manager.enumerator(atPath: source.path) else { return }
    while let relative = walk.nextObject() as? String {
      let from = source.appendingPathComponent(relative)
      guard FileIO.isRegularFile(from), keeping(relative) else { continue }
      let to = target.appendingPathComponent(relative)
      do {
        try manager.createDirectory(
          at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        if link(from.path, to.path) != 0 { try manager.copyItem(at: from, to: to) }
      } catch {
        throw ArtifactError.io(
          path: displayPath,
          underlying: "cannot keep \(relative): \(FileSystemFailure.reason(error))")
      }
    }
  }

  /// Debug builds only: SIGKILL before the point `FACEHARVEST_TEST_KILL_AT_COMMIT_STEP` names.
  private static func environmentHook() -> StepHook? {
    #if DEBUG
      guard let text = ProcessInfo.processInfo.environment[killAtStepVariable],
        let index = Int(text)
      else { return nil }
      return { step in
        if step.index == index { kill(getpid(), SIGKILL) }
      }
    #else
      return nil
    #endif
  }
}
