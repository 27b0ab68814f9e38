public import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One writer per episode (docs/artifacts.md, "One writer per episode"): an advisory `flock` on
/// `{data root}/locks/{ep_id}.lock`, taken without waiting. A second writer is refused at once
/// with the holder's description (process, host, what it runs, since when), which the holder
/// writes into the file. Readers (`validate`, the server's reading routes) never take it. The
/// lock goes with its process, so a killed writer leaves no stale lock behind; the next writer
/// finishes or rolls back its commit (`EpisodeLeftovers`).
public final class EpisodeLock {
  /// The lock file.
  public let url: URL
  private var descriptor: Int32

  private init(url: URL, descriptor: Int32) {
    self.url = url
    self.descriptor = descriptor
  }

  deinit { release() }

  /// `locks/{ep_id}.lock` under the data root.
  public static func url(layout: DataLayout, episode: EpisodeID) -> URL {
    layout.root.appendingPathComponent("locks/\(episode.rawValue).lock")
  }

  /// Takes the episode's lock for `purpose` (for example `episode-run --faces-embed`), or throws
  /// `ArtifactError.episodeLocked` naming the holder when another writer has it. Then deals with
  /// what a killed writer left (`EpisodeLeftovers.recover`, whose errors it throws).
  public static func acquire(layout: DataLayout, episode: EpisodeID, purpose: String) throws
    -> EpisodeLock
  {
    let url = url(layout: layout, episode: episode)
    let lock = try take(url, path: layout.relativePath(url), purpose: purpose) { holder, path in
      ArtifactError.episodeLocked(episode: episode.rawValue, holder: holder, lockFile: path)
    }
    // No other writer runs now: a killed one's commit is finished, or its staging removed.
    try EpisodeLeftovers.recover(layout: layout, episode: episode)
    return lock
  }

  /// Takes the episode's lock without dealing with leftovers (the hot-journal rule does that
  /// itself: `EpisodeLeftovers.completePendingCommit`).
  static func takeOnly(layout: DataLayout, episode: EpisodeID, purpose: String) throws
    -> EpisodeLock
  {
    let url = url(layout: layout, episode: episode)
    return try take(url, path: layout.relativePath(url), purpose: purpose) { holder, path in
      ArtifactError.episodeLocked(episode: episode.rawValue, holder: holder, lockFile: path)
    }
  }

  /// Takes the lock of a file that is not an episode's (a show's people registry,
  /// docs/people.md): `locks/{name}.lock`, refused at once with `busy(holder, lock file)`.
  public static func acquire(
    name: String, layout: DataLayout, purpose: String,
    busy: (_ holder: String, _ lockFile: String) -> any Error
  ) throws -> EpisodeLock {
    let url = layout.root.appendingPathComponent("locks/\(name).lock")
    return try take(url, path: layout.relativePath(url), purpose: purpose, busy: busy)
  }

  /// `flock`s `url` without waiting, or throws `busy` naming the holder.
  private static func take(
    _ url: URL, path: String, purpose: String,
    busy: (_ holder: String, _ lockFile: String) -> any Error
  ) throws -> EpisodeLock {
    try FileSystemFailure.makeFolders(url.deletingLastPathComponent(), displayPath: path)
    let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw ArtifactError.io(path: path, underlying: String(cString: strerror(errno)))
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = (try? String(contentsOf: url, encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
      close(descriptor)
      throw busy(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "another writer", path)
    }
    let lock = EpisodeLock(url: url, descriptor: descriptor)
    lock.describe(purpose)
    return lock
  }

  /// Writes who holds the lock into the file, for the writers it refuses.
  private func describe(_ purpose: String) {
    let host = ProcessInfo.processInfo.hostName
    let since = ArtifactTimestamp.string(from: Date())
    let text = "\(purpose) (pid \(getpid()) on \(host), since \(since))\n"
    _ = ftruncate(descriptor, 0)
    _ = text.withCString { pointer in pwrite(descriptor, pointer, strlen(pointer), 0) }
  }

  /// Releases the lock (also on deinit).
  public func release() {
    guard descriptor >= 0 else { return }
    _ = ftruncate(descriptor, 0)
    _ = flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }
}
