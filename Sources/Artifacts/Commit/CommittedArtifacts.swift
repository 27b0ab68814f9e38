public import Foundation

/// An episode's artifacts as a reader that takes no lock (`validate`, the job server) must see
/// them (docs/artifacts.md, "Commits"): without a commit journal, the files at their paths (the
/// last finished commit); with one (a commit under way, or one a killed writer left), the whole
/// new set: each destination the journal renames is read from its staged file or folder while
/// that is still there, and from the destination once it has been renamed in.
public struct CommittedArtifacts: Sendable {
  private struct Redirect: Sendable {
    let staged: URL
    let destination: URL
  }

  /// Where the episode lives.
  public let layout: DataLayout
  /// The episode read.
  public let episode: EpisodeID
  /// The journal's message when it exists but cannot be followed (paths are then read as they
  /// are; the next writer refuses to go on until a person has looked).
  public let journalProblem: String?
  private let redirects: [Redirect]

  /// What opening the episode did about a pending commit (`open(layout:episode:reader:)`);
  /// `.none` for a view made with `init`.
  public private(set) var pending = PendingCommit.none

  /// The episode as a reader opens it, under the hot-journal rule (docs/artifacts.md, "Commits",
  /// as SQLite does with a hot journal): a pending commit is completed first when the episode's
  /// lock is free (`EpisodeLeftovers.completePendingCommit`), else read through. A journal that
  /// cannot be followed is left alone and shows in `journalProblem`.
  public static func open(layout: DataLayout, episode: EpisodeID, reader: String) -> Self {
    let pending: PendingCommit
    do {
      pending = try EpisodeLeftovers.completePendingCommit(
        layout: layout, episode: episode, reader: reader)
    } catch {
      pending = .none
    }
    var view = CommittedArtifacts(layout: layout, episode: episode)
    view.pending = pending
    return view
  }

  /// Reads the episode's journal, if it has one.
  public init(layout: DataLayout, episode: EpisodeID) {
    self.layout = layout
    self.episode = episode
    do {
      let journal = try CommitJournal.load(layout: layout, episode: episode)
      redirects = (journal?.steps ?? []).compactMap { step in
        guard case .rename(let from, let to) = step else { return nil }
        return Redirect(
          staged: layout.root.appendingPathComponent(from),
          destination: layout.root.appendingPathComponent(to))
      }
      journalProblem = nil
    } catch {
      redirects = []
      journalProblem = "\(error)"
    }
  }

  /// Whether a commit journal was found (and could be followed).
  public var hasJournal: Bool { !redirects.isEmpty }

  /// Where to read `url` (an artifact, a folder, or a file inside a replaced folder) now.
  public func resolve(_ url: URL) -> URL {
    locate(url).source
  }

  /// `body` applied to where `url` is read now; when a writer renames the staged file in
  /// between (the staged copy vanishes under the read), `body` runs again on `url`, which then
  /// is the new file.
  public func read<T>(_ url: URL, _ body: (URL) throws -> T) throws -> T {
    let (source, staged) = locate(url)
    guard let staged else { return try body(url) }
    do {
      return try body(source)
    } catch {
      if FileIO.exists(staged) { throw error }
      return try body(url)
    }
  }

  /// The path to read for `url`, and the staged item it lies in (nil when read in place).
  private func locate(_ url: URL) -> (source: URL, staged: URL?) {
    let components = url.standardizedFileURL.pathComponents
    for redirect in redirects {
      let prefix = redirect.destination.standardizedFileURL.pathComponents
      guard components.starts(with: prefix), FileIO.exists(redirect.staged) else { continue }
      let source = components.dropFirst(prefix.count).reduce(redirect.staged) {
        $0.appendingPathComponent($1)
      }
      return (source, redirect.staged)
    }
    return (url, nil)
  }
}
