import Foundation

/// What a killed writer of an episode can leave behind, and how the next writer (holding the
/// episode's lock, so no other writer is running) deals with it (docs/artifacts.md, "Commits"):
/// - a commit journal `manifests/{ep_id}/.commit-journal.json`: the commit happened; its steps
///   are performed again (each skips itself when done) and the journal is removed;
/// - then, with no journal left, every staged leftover in the episode's `manifests/`, `embeds/`,
///   `analytics/` and `frames/` folders is removed: temporary files `.{name}.tmp-XXXXXXXX` (an
///   unpublished journal's too) and folders `.{name}-staging-{uuid}` / `.{name}-old-{uuid}`;
/// - a `crops/` or `thumbs/` folder missing beside a `.{name}-old-*` folder can only come from
///   a writer older than the journal (which renamed the old folder aside before it had
///   committed): the old folder is moved back.
public enum EpisodeLeftovers {
  /// Finishes or rolls back what a killed writer left; returns what it did, paths relative to
  /// the data root. Call it only while holding the episode's `EpisodeLock`.
  ///
  /// - Parameter beforeStep: called before each point of a finished commit (tests simulate a
  ///   kill during recovery with it).
  /// - Throws: `ArtifactError.damagedJournal` for a journal that cannot be followed (nothing is
  ///   touched), `ArtifactError.io` when a step fails (the journal stays for the next try).
  @discardableResult
  public static func recover(
    layout: DataLayout, episode: EpisodeID,
    beforeStep: ArtifactTransaction.StepHook? = nil
  ) throws -> [String] {
    var done: [String] = []
    if let journal = try CommitJournal.load(layout: layout, episode: episode) {
      try journal.finish(layout: layout, episode: episode) { try beforeStep?($0) }
      done.append(
        "finished the interrupted commit of \(journal.purpose) (\(journal.steps.count) steps)")
    }
    done += restoreFolders(layout: layout, episode: episode)
    done += removeStaged(layout: layout, episode: episode)
    return done
  }

  /// The hot-journal rule for readers (docs/artifacts.md, "Commits"): an episode with a commit
  /// journal whose lock is free had its writer killed mid-commit, and its published files are a
  /// mix of two runs until somebody finishes the commit. A reader (`validate`, `identities
  /// show`, the server, …) that finds one takes the lock without waiting, finishes the commit
  /// (`recover`) and releases the lock; when a writer holds the lock, the commit is its own,
  /// under way, and the reader reads through the journal.
  ///
  /// - Throws: what `recover` throws (`ArtifactError.damagedJournal`: nothing is touched).
  public static func completePendingCommit(
    layout: DataLayout, episode: EpisodeID, reader: String
  ) throws -> PendingCommit {
    guard FileIO.exists(CommitJournal.url(layout: layout, episode: episode)) else { return .none }
    let lock: EpisodeLock
    do {
      lock = try EpisodeLock.takeOnly(
        layout: layout, episode: episode, purpose: "\(reader), finishing an interrupted commit")
    } catch ArtifactError.episodeLocked(_, let holder, _) {
      return .underWay(holder: holder)
    }
    defer { lock.release() }
    let done = try recover(layout: layout, episode: episode)
    return done.isEmpty ? .none : .completed(done)
  }

  /// Names a staged leftover: `.x.tmp-…`, `.x-staging-…`, `.x-old-…`.
  static func isStaged(_ name: String) -> Bool {
    name.hasPrefix(".")
      && (name.contains(".tmp-") || name.contains("-staging-") || name.contains("-old-"))
  }

  private static func removeStaged(layout: DataLayout, episode: EpisodeID) -> [String] {
    let folders = [
      layout.manifestsDir(episode), layout.embedsDir(episode), layout.analyticsDir(episode),
      layout.framesDir(episode),
    ]
    var done: [String] = []
    for folder in folders {
      for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      where isStaged(name) {
        let url = folder.appendingPathComponent(name)
        if (try? FileManager.default.removeItem(at: url)) != nil {
          done.append("removed " + layout.relativePath(url))
        }
      }
    }
    return done
  }

  /// Moves `.crops-old-*` (`.thumbs-old-*`) back when `crops/` (`thumbs/`) is missing.
  private static func restoreFolders(layout: DataLayout, episode: EpisodeID) -> [String] {
    let frames = layout.framesDir(episode)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: frames.path)) ?? [])
      .sorted()
    var done: [String] = []
    for folder in ["crops", "thumbs"] {
      let live = frames.appendingPathComponent(folder)
      guard !FileIO.exists(live),
        let old = names.first(where: { $0.hasPrefix(".\(folder)-old-") }),
        (try? FileIO.rename(frames.appendingPathComponent(old), to: live, displayPath: folder))
          != nil
      else { continue }
      done.append("restored \(layout.relativePath(live)) from \(old)")
    }
    return done
  }
}

/// What a reader found about a pending commit when it opened an episode
/// (`EpisodeLeftovers.completePendingCommit`).
public enum PendingCommit: Equatable, Sendable, CustomStringConvertible {
  /// No commit journal: the published files are one complete set.
  case none
  /// A killed writer's commit, now finished (what was done, for the log).
  case completed([String])
  /// A writer holding the lock is committing: the reader reads through its journal.
  case underWay(holder: String)

  /// One line for a note or a log, empty for `.none`.
  public var description: String {
    switch self {
    case .none: return ""
    case .completed(let done): return done.joined(separator: "; ")
    case .underWay(let holder):
      return "a commit is under way (\(holder)); read through its journal"
    }
  }
}
