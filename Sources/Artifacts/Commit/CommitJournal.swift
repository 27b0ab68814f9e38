import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One idempotent step of a commit, as its journal records it (docs/artifacts.md, "Commits").
/// Paths are relative to the data root and lie in the episode's own folders. Each step checks
/// whether it is already done, so a commit can be performed again from its first step after a
/// kill at any point, as often as it takes.
public enum JournalStep: Equatable, Sendable, CustomStringConvertible {
  /// Renames a staged file or folder onto its destination (a file replaces the old one in one
  /// `rename`); done once `from` is gone.
  case rename(from: String, to: String)
  /// Moves the folder `from` aside to `to`, so that `staged` can be renamed in; done once `to`
  /// exists or `staged` is gone (renamed in), and nothing to do when `from` does not exist.
  case moveAside(from: String, to: String, staged: String)
  /// Removes a file or a folder tree (an old folder moved aside); done once it is gone.
  case remove(path: String)

  /// `rename a -> b`, `move aside a -> b (for c)`, `remove a`.
  public var description: String {
    switch self {
    case .rename(let from, let to): return "rename \(from) -> \(to)"
    case .moveAside(let from, let to, let staged):
      return "move aside \(from) -> \(to) (for \(staged))"
    case .remove(let path): return "remove \(path)"
    }
  }

  /// Every path the step names.
  var paths: [String] {
    switch self {
    case .rename(let from, let to): return [from, to]
    case .moveAside(let from, let to, let staged): return [from, to, staged]
    case .remove(let path): return [path]
    }
  }

  /// Performs the step on the files under `root`, unless it is already done.
  func perform(root: URL) throws {
    let url = { (path: String) in root.appendingPathComponent(path) }
    switch self {
    case .rename(let from, let to):
      guard FileIO.exists(url(from)) else { return }
      try FileIO.rename(url(from), to: url(to), displayPath: to)
    case .moveAside(let from, let to, let staged):
      guard FileIO.exists(url(staged)), FileIO.exists(url(from)), !FileIO.exists(url(to)) else {
        return
      }
      try FileIO.rename(url(from), to: url(to), displayPath: from)
    case .remove(let path):
      guard FileIO.exists(url(path)) else { return }
      do {
        try FileManager.default.removeItem(at: url(path))
      } catch {
        throw ArtifactError.io(
          path: path, underlying: "cannot remove: \(FileSystemFailure.reason(error))")
      }
    }
  }
}

extension JournalStep: Codable {
  private enum CodingKeys: String, CodingKey {
    case op, from, to, staged, path
  }

  /// Decodes `{"op": "rename" | "move_aside" | "remove", …}`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let op = try container.decode(String.self, forKey: .op)
    switch op {
    case "rename":
      self = .rename(
        from: try container.decode(String.self, forKey: .from),
        to: try container.decode(String.self, forKey: .to))
    case "move_aside":
      self = .moveAside(
        from: try container.decode(String.self, forKey: .from),
        to: try container.decode(String.self, forKey: .to),
        staged: try container.decode(String.self, forKey: .staged))
    case "remove":
      self = .remove(path: try container.decode(String.self, forKey: .path))
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .op, in: container,
        debugDescription: "unknown op \"\(op)\" (rename, move_aside or remove)")
    }
  }

  /// Encodes the step as `{"op": …}` with its paths.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .rename(let from, let to):
      try container.encode("rename", forKey: .op)
      try container.encode(from, forKey: .from)
      try container.encode(to, forKey: .to)
    case .moveAside(let from, let to, let staged):
      try container.encode("move_aside", forKey: .op)
      try container.encode(from, forKey: .from)
      try container.encode(to, forKey: .to)
      try container.encode(staged, forKey: .staged)
    case .remove(let path):
      try container.encode("remove", forKey: .op)
      try container.encode(path, forKey: .path)
    }
  }
}

/// A point of a commit where a kill can fall, as the failure hook of `ArtifactTransaction` (and
/// of `EpisodeLeftovers.recover`) sees it before the point's action runs: index 0 publishes the
/// journal (the commit point), 1…n perform the journal's steps, n + 1 removes the journal.
public struct CommitStep: Sendable, Equatable, CustomStringConvertible {
  /// What happens at the point.
  public enum Action: Sendable, Equatable {
    /// The fsynced journal is renamed into place: after this the commit happens.
    case publishJournal
    /// One step of the journal.
    case perform(JournalStep)
    /// Every step is done and durable: the journal goes.
    case removeJournal
  }

  /// 0 for the journal's publication, 1…n for its steps, n + 1 for its removal.
  public let index: Int
  /// What the point does.
  public let action: Action

  /// `#3 rename a -> b`.
  public var description: String {
    switch action {
    case .publishJournal: return "#\(index) publish the journal"
    case .perform(let step): return "#\(index) \(step)"
    case .removeJournal: return "#\(index) remove the journal"
    }
  }
}

/// The journal of one commit, `manifests/{ep_id}/.commit-journal.json` (docs/artifacts.md,
/// "Commits"): its atomic, fsynced creation is the commit point; it lists every step that turns
/// the staged files and folders into the episode's artifacts; it is removed once they are done
/// and durable.
struct CommitJournal: Codable, Equatable {
  static let currentSchema = "commit_journal_v1"
  static let fileName = ".commit-journal.json"

  var schemaVersion = currentSchema
  var epID: String
  /// The writer that committed (`faces harvest`), for messages.
  var purpose: String
  var createdAt: String
  var steps: [JournalStep]

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version"
    case epID = "ep_id"
    case purpose
    case createdAt = "created_at"
    case steps
  }

  static func url(layout: DataLayout, episode: EpisodeID) -> URL {
    layout.manifestsDir(episode).appendingPathComponent(fileName)
  }

  /// The episode's journal; nil when there is none.
  ///
  /// - Throws: `ArtifactError.damagedJournal` when it cannot be read, is not this episode's, or
  ///   names a path outside the episode's folders.
  static func load(layout: DataLayout, episode: EpisodeID) throws -> CommitJournal? {
    let url = url(layout: layout, episode: episode)
    let path = layout.relativePath(url)
    guard FileIO.exists(url) else { return nil }
    let journal: CommitJournal
    do {
      journal = try AtomicFile.readJSON(CommitJournal.self, from: url, displayPath: path)
    } catch {
      // A journal deleted between the check and the read: the commit has just finished.
      if case ArtifactError.fileNotFound = error { return nil }
      throw ArtifactError.damagedJournal(path: path, reason: "\(error)")
    }
    guard journal.schemaVersion == currentSchema, journal.epID == episode.rawValue else {
      throw ArtifactError.damagedJournal(
        path: path,
        reason: "schema \(journal.schemaVersion) of \(journal.epID), expected \(currentSchema) "
          + "of \(episode.rawValue)")
    }
    for step in journal.steps {
      for named in step.paths where !isEpisodePath(named, episode: episode) {
        throw ArtifactError.damagedJournal(
          path: path, reason: "\(step) names \(named), outside the episode's folders")
      }
    }
    return journal
  }

  /// Whether `path` (relative to the data root) lies inside one of the episode's folders
  /// (`manifests/`, `embeds/`, `analytics/`, `frames/` + `{ep_id}`) with no `.` or `..`.
  static func isEpisodePath(_ path: String, episode: EpisodeID) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 3, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
      return false
    }
    return ["manifests", "embeds", "analytics", "frames"].contains(parts[0])
      && parts[1] == episode.rawValue
  }

  /// Writes the journal beside its place, fsynced: publishing it is then one rename.
  func stage(layout: DataLayout, episode: EpisodeID) throws -> TemporaryFile {
    let url = Self.url(layout: layout, episode: episode)
    let path = layout.relativePath(url)
    return try TemporaryFile.sealed(
      AtomicFile.jsonData(self, displayPath: path), beside: url, displayPath: path)
  }

  /// Performs every step from the first (each one skips itself when done), fsyncs every folder
  /// the steps changed, then removes the journal and fsyncs its folder. `point` runs before
  /// each step (indices 1…n) and before the removal (n + 1); it may throw to stop there.
  func finish(layout: DataLayout, episode: EpisodeID, point: (CommitStep) throws -> Void) throws {
    for (offset, step) in steps.enumerated() {
      try point(CommitStep(index: offset + 1, action: .perform(step)))
      try step.perform(root: layout.root)
    }
    let folders = Set(steps.flatMap(\.paths).map { ($0 as NSString).deletingLastPathComponent })
    for folder in folders.sorted() {
      let url = layout.root.appendingPathComponent(folder)
      if FileIO.exists(url) { try FileIO.syncDirectory(url, displayPath: folder) }
    }
    try point(CommitStep(index: steps.count + 1, action: .removeJournal))
    let url = Self.url(layout: layout, episode: episode)
    let path = layout.relativePath(url)
    guard unlink(url.path) == 0 || errno == ENOENT else {
      throw ArtifactError.io(path: path, underlying: "cannot remove: \(FileIO.errnoMessage())")
    }
    try FileIO.syncDirectory(url.deletingLastPathComponent(), displayPath: path)
  }
}
