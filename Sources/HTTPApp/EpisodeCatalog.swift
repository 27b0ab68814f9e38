import Artifacts
import Foundation
import JobQueue

/// The episodes under the data root and how far each has come, `GET /episodes`
/// (docs/review_app.md, "Episode list"): which artifacts exist, their counts, when the last
/// one was written, and the newest job the server knows for the episode (in queue mode, the
/// queue's newest job of the episode: state, attempts, worker, progress).
struct EpisodeCatalog {
  /// Artifacts reported, by the name the JSON gives them.
  static let artifacts: [(name: String, url: @Sendable (DataLayout, EpisodeID) -> URL)] = [
    ("video", { $0.video($1) }), ("detections", { $0.detections($1) }),
    ("tracks", { $0.tracks($1) }), ("faces", { $0.faces($1) }),
    ("identities", { $0.identities($1) }), ("screentime", { $0.screentimeJSON($1) }),
  ]

  let layout: DataLayout
  let manager: JobManager
  /// In queue mode, each episode's newest queued job (`newestByEpisode`); nil: the server runs
  /// jobs itself and `manager` knows them.
  var queuedJobs: [String: QueuedJob]?

  init(layout: DataLayout, manager: JobManager) {
    self.layout = layout
    self.manager = manager
  }

  /// The newest job of each episode among `jobs`.
  static func newestByEpisode(_ jobs: [QueuedJob]) -> [String: QueuedJob] {
    var newest: [String: QueuedJob] = [:]
    for job in jobs where job.id > (newest[job.epID]?.id ?? Int64.min) { newest[job.epID] = job }
    return newest
  }

  /// Every episode with a folder under `videos/` or `manifests/`, in id order.
  func episodes() -> [EpisodeID] {
    let names = ["videos", "manifests"].flatMap { folder in
      (try? FileManager.default.contentsOfDirectory(
        atPath: layout.root.appendingPathComponent(folder).path)) ?? []
    }
    return Set(names).compactMap { try? EpisodeID($0) }.sorted()
  }

  /// `{episodes: [...], jobs: "server" | "queue"}`: where Run's jobs go, so the page knows to
  /// follow a job's event stream or to poll the queue's row.
  func json() -> JSONValue {
    .object([
      "episodes": .array(episodes().map(entry)),
      "jobs": .string(queuedJobs == nil ? "server" : "queue"),
    ])
  }

  /// One episode's entry.
  func entry(_ episode: EpisodeID) -> JSONValue {
    let committed = CommittedArtifacts.open(
      layout: layout, episode: episode, reader: "faceharvest-server")
    var present: [String: JSONValue] = [:]
    var newest: Date?
    for artifact in Self.artifacts {
      let path = committed.resolve(artifact.url(layout, episode)).path
      let attributes = try? FileManager.default.attributesOfItem(atPath: path)
      present[artifact.name] = .bool(attributes != nil)
      if artifact.name != "video", let modified = attributes?[.modificationDate] as? Date {
        newest = max(newest ?? modified, modified)
      }
    }
    var fields: [String: JSONValue] = [
      "ep_id": .string(episode.rawValue), "artifacts": .object(present),
      "show_id": ShowID.derived(from: episode).map { .string($0.rawValue) } ?? .null,
      "counts": .object(counts(episode, committed)),
      "last_written_at": newest.map { .string(ArtifactTimestamp.string(from: $0)) } ?? .null,
      "last_job": .null,
    ]
    if let queuedJobs {
      fields["last_job"] = queuedJobs[episode.rawValue].map(QueuedJobRoutes.snapshot) ?? .null
    } else if let job = manager.recent(limit: manager.history).first(where: {
      $0.episode == episode
    }) {
      fields["last_job"] = .object([
        "job_id": .string(job.id), "kind": .string(job.kind.rawValue),
        "state": .string(job.state.rawValue),
      ])
    }
    return .object(fields)
  }

  /// Tracks and faces (lines of their JSONL files), identities, labelled and locked ones, and
  /// unidentified tracks; a count whose file is absent or unreadable is left out.
  private func counts(_ episode: EpisodeID, _ committed: CommittedArtifacts) -> [String: JSONValue]
  {
    var counts: [String: JSONValue] = [:]
    for (name, url) in [("tracks", layout.tracks(episode)), ("faces", layout.faces(episode))] {
      if let lines = Self.lineCount(committed.resolve(url)) { counts[name] = .integer(lines) }
    }
    let url = layout.identities(episode)
    if let document = try? committed.read(
      url,
      {
        try AtomicFile.readJSON(IdentitiesDocument.self, from: $0, displayPath: url.path)
      })
    {
      let identities = document.identities
      counts["identities"] = .integer(identities.count)
      // A people-registry suggestion is not a label yet (docs/people.md).
      counts["labelled"] = .integer(
        identities.filter { !($0.labels["name"] ?? "").isEmpty && $0.labels["source"] != "people" }
          .count)
      counts["locked"] = .integer(identities.filter(\.locked).count)
      counts["unidentified_tracks"] = .integer(document.metadata.unidentifiedTracks?.count ?? 0)
    }
    return counts
  }

  /// The lines of the file at `url` (newline bytes, read in 1 MiB chunks), nil when absent.
  static func lineCount(_ url: URL) -> Int? {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
    defer { try? handle.close() }
    var lines = 0
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      lines += chunk.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
    }
    return lines
  }
}
