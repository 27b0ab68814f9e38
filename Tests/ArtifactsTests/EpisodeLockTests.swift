import Foundation
import Testing

@testable import Artifacts

@Suite("Episode lock")
struct EpisodeLockTests {
  @Test("a second writer is refused at once, naming the holder; after release it may write")
  func oneWriter() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID("ep-lock")
    let first = try EpisodeLock.acquire(layout: layout, episode: episode, purpose: "the first run")
    #expect(first.url.path.hasSuffix("locks/ep-lock.lock"))
    let refusal = artifactError {
      _ = try EpisodeLock.acquire(layout: layout, episode: episode, purpose: "a second run")
    }
    guard case .episodeLocked(let name, let holder, let lockFile)? = refusal else {
      Issue.record("expected episodeLocked, got \(String(describing: refusal))")
      return
    }
    #expect(name == "ep-lock" && lockFile == "locks/ep-lock.lock")
    #expect(holder.hasPrefix("the first run (pid \(getpid()) on "), "\(holder)")
    // Another episode is not affected.
    _ = try EpisodeLock.acquire(layout: layout, episode: try EpisodeID("ep-other"), purpose: "x")
    first.release()
    let second = try EpisodeLock.acquire(layout: layout, episode: episode, purpose: "a second run")
    second.release()
  }
}
