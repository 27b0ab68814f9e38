import Artifacts
import Foundation
import HTTPTypes

/// What the review page shows of one episode, `GET /episodes/{ep_id}/review` (docs/review_app.md,
/// "The review model"): every identity with its labels, lock, counts, screen time and tracks
/// (each with a few crops and their frame times), the unidentified tracks with their reason,
/// the episode's duration and cuts. Read from the last committed artifacts, without a lock.
struct EpisodeReview {
  /// Crops shown per track, spread evenly over its faces.
  static let cropsPerTrack = 6

  let layout: DataLayout
  let episode: EpisodeID

  /// The model as JSON; `ProblemError` 404 when the episode has no `identities.json`.
  func json() throws -> JSONValue {
    let committed = CommittedArtifacts.open(
      layout: layout, episode: episode, reader: "faceharvest-server")
    let identitiesURL = layout.identities(episode)
    guard exists(committed.resolve(identitiesURL)) else {
      throw ProblemError(
        .notFound, "not found", "\(episode) has no identities.json (run the pipeline)")
    }
    let document = try committed.read(identitiesURL) {
      try AtomicFile.readJSON(
        IdentitiesDocument.self, from: $0, displayPath: layout.relativePath(identitiesURL))
    }
    let tracks = try read(layout.tracks(episode), committed) {
      try JSONLReader<Track>.readAll(from: $0, displayPath: $1)
    }
    let byTrack = Dictionary(uniqueKeysWithValues: (tracks ?? []).map { ($0.trackID, $0) })
    let faces = try facesByTrack(committed)
    let screenTime = try read(layout.screentimeJSON(episode), committed) {
      try AtomicFile.readJSON(ScreenTimeReport.self, from: $0, displayPath: $1)
    }
    let shots = try read(layout.shots(episode), committed) {
      try JSONLReader<Shot>.readAll(from: $0, displayPath: $1)
    }
    let views = TrackViews(byTrack: byTrack, faces: faces, frames: committed, layout: layout)
    let seconds = Dictionary(
      (screenTime?.identities ?? []).map { ($0.identityID, $0) }, uniquingKeysWith: { a, _ in a })
    return .object([
      "ep_id": .string(episode.rawValue),
      "duration_s": .number(screenTime?.durationSeconds ?? duration(tracks ?? [])),
      "frame_step_s": .number(screenTime?.frameStepSeconds ?? 0),
      "cuts_s": .array(
        (shots ?? []).sorted { $0.shotIndex < $1.shotIndex }.dropFirst().map {
          .number($0.startSeconds)
        }),
      "identities": .array(
        document.identities.map { identity(with: $0, seconds: seconds[$0.identityID], views) }),
      "unidentified": .array(
        (document.metadata.unidentifiedTracks ?? []).map { unidentified($0, views) }),
      "unidentified_s": .number(screenTime?.unidentified.seconds ?? 0),
    ])
  }

  private func identity(with identity: Identity, seconds: ScreenTimeEntry?, _ views: TrackViews)
    -> JSONValue
  {
    .object([
      "identity_id": .string(identity.identityID),
      "cluster_id": identity.clusterID.map { .integer($0) } ?? .null,
      "labels": .object(identity.labels.mapValues { .string($0) }),
      "locked": .bool(identity.locked),
      "num_tracks": .integer(identity.trackIDs.count),
      "num_faces": .integer(identity.embeddingStats.numFacesTotal),
      "seconds": .number(seconds?.seconds ?? 0),
      "share": .number(seconds?.share ?? 0),
      "first_seen_s": .number(seconds?.firstSeenSeconds ?? 0),
      "last_seen_s": .number(seconds?.lastSeenSeconds ?? 0),
      "thumb": .string(identity.canonicalFacePath),
      "updated_at": .string(identity.updatedAt),
      "tracks": .array(identity.trackIDs.map { views.json($0) }),
    ])
  }

  private func unidentified(_ track: UnidentifiedTrack, _ views: TrackViews) -> JSONValue {
    .object([
      "track_id": .string(track.trackID),
      "reason": .string(track.reason),
      "best_identity_id": track.bestIdentityID.map { .string($0) } ?? .null,
      "best_similarity": track.bestSimilarity.map { .number($0) } ?? .null,
      "track": views.json(track.trackID),
    ])
  }

  /// The faces of `faces.jsonl` by track, without embeddings; empty when it is absent.
  private func facesByTrack(_ committed: CommittedArtifacts) throws -> [String: [JSONValue]] {
    let rows = try read(layout.faces(episode), committed) {
      try FacesPage.read($0, displayPath: $1, track: nil, offset: 0, limit: .max).rows
    }
    return Dictionary(grouping: rows ?? []) { $0.objectValue?["track_id"]?.stringValue ?? "" }
  }

  /// `body` on the committed `url` and its display path; nil when it is absent.
  private func read<T>(
    _ url: URL, _ committed: CommittedArtifacts, _ body: (URL, String) throws -> T
  ) throws -> T? {
    guard exists(committed.resolve(url)) else { return nil }
    return try committed.read(url) { try body($0, layout.relativePath(url)) }
  }

  private func exists(_ url: URL) -> Bool {
    FileManager.default.fileExists(atPath: url.path)
  }

  private func duration(_ tracks: [Track]) -> Double {
    tracks.map(\.endSeconds).max() ?? 0
  }
}

/// A track as the review page draws it: its time span, face count and a few crops, each with
/// its frame and that frame's time (interpolated over the track's frame span).
struct TrackViews {
  let byTrack: [String: Track]
  let faces: [String: [JSONValue]]
  let frames: CommittedArtifacts
  let layout: DataLayout

  func json(_ trackID: String) -> JSONValue {
    let track = byTrack[trackID]
    let rows = faces[trackID] ?? []
    return .object([
      "track_id": .string(trackID),
      "start_s": .number(track?.startSeconds ?? 0),
      "end_s": .number(track?.endSeconds ?? 0),
      "frame_span": .array((track?.frameSpan ?? []).map { .integer($0) }),
      "num_faces": .integer(rows.count),
      "crops": .array(crops(rows, track: track)),
    ])
  }

  /// Up to `EpisodeReview.cropsPerTrack` faces with a crop on disk (`--save-crops`), spread
  /// over the track; without them, the track's review thumbnails (`sample_thumbs`,
  /// docs/harvest.md, "Review thumbnails"), so every track can be judged after a default run.
  private func crops(_ rows: [JSONValue], track: Track?) -> [JSONValue] {
    let withCrop = rows.compactMap(\.objectValue).filter { row in
      guard let path = row["crop_path"]?.stringValue, !path.isEmpty else { return false }
      return onDisk(path)
    }
    let count = min(withCrop.count, EpisodeReview.cropsPerTrack)
    guard count > 0 else { return thumbs(of: track) }
    return (0..<count).map { index in
      let row = withCrop[index * withCrop.count / count]
      let frame = row["frame_idx"]?.intValue ?? 0
      return .object([
        "path": row["crop_path"] ?? .null, "frame_idx": .integer(frame),
        "t_s": .number(Self.seconds(of: frame, in: track)),
        "quality": row["quality_score"] ?? .null,
      ])
    }
  }

  /// The track's review thumbnails on disk, in frame order.
  private func thumbs(of track: Track?) -> [JSONValue] {
    (track?.sampleThumbs ?? []).prefix(EpisodeReview.cropsPerTrack).compactMap { path in
      guard let frame = DataLayout.frameIndex(ofCropPath: path), onDisk(path) else { return nil }
      return .object([
        "path": .string(path), "frame_idx": .integer(frame),
        "t_s": .number(Self.seconds(of: frame, in: track)), "quality": .null,
      ])
    }
  }

  /// Whether `path` (relative to the episode's frames folder) is a committed file.
  private func onDisk(_ path: String) -> Bool {
    let url = layout.framesDir(frames.episode).appendingPathComponent(path)
    return FileManager.default.fileExists(atPath: frames.resolve(url).path)
  }

  /// The time of `frame` in `track`: linear over its frame span and `start_s…end_s`.
  static func seconds(of frame: Int, in track: Track?) -> Double {
    guard let track, track.frameSpan.count == 2, track.frameSpan[1] > track.frameSpan[0] else {
      return track?.startSeconds ?? 0
    }
    let fraction =
      Double(frame - track.frameSpan[0]) / Double(track.frameSpan[1] - track.frameSpan[0])
    return track.startSeconds + fraction * (track.endSeconds - track.startSeconds)
  }
}
