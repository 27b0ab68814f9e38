public import Foundation

/// Where every artifact of an episode lives under one data root (see `DECISIONS.md`, Layout).
///
/// ```
/// videos/{ep_id}/episode.mp4
/// manifests/{ep_id}/detections.jsonl, tracks.jsonl, track_metrics.json, faces.jsonl,
///                   identities.json, cleanup_report.json
/// embeds/{ep_id}/faces.npy, track_embeddings.npy
/// frames/{ep_id}/crops/{track_id}/frame_{frame_idx:06d}.jpg
/// frames/{ep_id}/crops_debug.jsonl
/// frames/{ep_id}/thumbs/{identity_id}/rep.jpg
/// ```
///
/// Every path takes a validated `EpisodeID`; track and identity ids are reduced to safe path
/// components (see `safeComponent(_:)`), so no path built here leaves the data root.
public struct DataLayout: Hashable, Sendable {
  /// The environment variable that sets the data root when no flag does.
  public static let environmentKey = "FACEHARVEST_DATA_ROOT"
  /// The data root when neither flag nor environment sets one, relative to the working directory.
  public static let defaultRoot = "data"

  /// The data root; every path below is under it.
  public let root: URL

  /// A layout rooted at `root`.
  public init(root: URL) {
    self.root = root.standardizedFileURL
  }

  /// The data root: the explicit flag if given, else `$FACEHARVEST_DATA_ROOT`, else `./data`.
  ///
  /// Empty strings count as not given. Relative paths are resolved against the working
  /// directory.
  public static func resolveRoot(explicit: String?, environment: [String: String]) -> URL {
    let chosen: String
    if let explicit, !explicit.isEmpty {
      chosen = explicit
    } else if let fromEnvironment = environment[environmentKey], !fromEnvironment.isEmpty {
      chosen = fromEnvironment
    } else {
      chosen = defaultRoot
    }
    return URL(fileURLWithPath: chosen, isDirectory: true).standardizedFileURL
  }

  // MARK: Videos

  /// `videos/{ep_id}/episode.mp4`.
  public func video(_ episode: EpisodeID) -> URL {
    root.appendingPathComponent("videos/\(episode.rawValue)/episode.mp4")
  }

  // MARK: Manifests

  /// `manifests/{ep_id}/`.
  public func manifestsDir(_ episode: EpisodeID) -> URL {
    root.appendingPathComponent("manifests/\(episode.rawValue)", isDirectory: true)
  }

  /// `manifests/{ep_id}/detections.jsonl`.
  public func detections(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("detections.jsonl")
  }

  /// `manifests/{ep_id}/tracks.jsonl`.
  public func tracks(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("tracks.jsonl")
  }

  /// `manifests/{ep_id}/track_metrics.json`.
  public func trackMetrics(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("track_metrics.json")
  }

  /// `manifests/{ep_id}/faces.jsonl`.
  public func faces(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("faces.jsonl")
  }

  /// `manifests/{ep_id}/shots.jsonl`: the shots detect-track found (cuts between them).
  public func shots(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("shots.jsonl")
  }

  /// `manifests/{ep_id}/probe_faces.jsonl`: faces embedded only to assign tracks with no
  /// accepted face (docs/identities.md); row-aligned with `embeds/{ep_id}/probe_faces.npy`.
  public func probeFaces(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("probe_faces.jsonl")
  }

  /// `manifests/{ep_id}/identities.json`.
  public func identities(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("identities.json")
  }

  /// `shows/{show_id}/people.json`: the show's registry of labelled people (docs/people.md).
  public func people(_ show: ShowID) -> URL {
    root.appendingPathComponent("shows/\(show.rawValue)/people.json")
  }

  /// `manifests/{ep_id}/cleanup_report.json`.
  public func cleanupReport(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("cleanup_report.json")
  }

  // MARK: Embeddings

  /// `embeds/{ep_id}/`.
  public func embedsDir(_ episode: EpisodeID) -> URL {
    root.appendingPathComponent("embeds/\(episode.rawValue)", isDirectory: true)
  }

  /// `embeds/{ep_id}/faces.npy`: row i is the embedding of line i of `faces.jsonl`.
  public func facesNPY(_ episode: EpisodeID) -> URL {
    embedsDir(episode).appendingPathComponent("faces.npy")
  }

  /// `embeds/{ep_id}/probe_faces.npy`: row i is the embedding of line i of `probe_faces.jsonl`.
  public func probeFacesNPY(_ episode: EpisodeID) -> URL {
    embedsDir(episode).appendingPathComponent("probe_faces.npy")
  }

  /// `embeds/{ep_id}/track_embeddings.jsonl`: the row-aligned index of `track_embeddings.npy`
  /// (line i describes row i).
  public func trackEmbeddingsIndex(_ episode: EpisodeID) -> URL {
    embedsDir(episode).appendingPathComponent("track_embeddings.jsonl")
  }

  /// `embeds/{ep_id}/track_embeddings.npy`.
  public func trackEmbeddingsNPY(_ episode: EpisodeID) -> URL {
    embedsDir(episode).appendingPathComponent("track_embeddings.npy")
  }

  // MARK: Analytics

  /// `analytics/{ep_id}/`.
  public func analyticsDir(_ episode: EpisodeID) -> URL {
    root.appendingPathComponent("analytics/\(episode.rawValue)", isDirectory: true)
  }

  /// `analytics/{ep_id}/screentime.json`.
  public func screentimeJSON(_ episode: EpisodeID) -> URL {
    analyticsDir(episode).appendingPathComponent("screentime.json")
  }

  /// `analytics/{ep_id}/screentime.csv`.
  public func screentimeCSV(_ episode: EpisodeID) -> URL {
    analyticsDir(episode).appendingPathComponent("screentime.csv")
  }

  /// `analytics/shows/{show_id}/`: the show's season report (docs/screentime.md, "Season
  /// report").
  public func seasonDir(_ show: ShowID) -> URL {
    root.appendingPathComponent("analytics/shows/\(show.rawValue)", isDirectory: true)
  }

  /// `analytics/shows/{show_id}/screentime.json`.
  public func seasonJSON(_ show: ShowID) -> URL {
    seasonDir(show).appendingPathComponent("screentime.json")
  }

  /// `analytics/shows/{show_id}/screentime.csv`.
  public func seasonCSV(_ show: ShowID) -> URL {
    seasonDir(show).appendingPathComponent("screentime.csv")
  }

  // MARK: Frames, crops, thumbnails

  /// `frames/{ep_id}/`: the folder `crop_path` and `canonical_face_path` are relative to.
  public func framesDir(_ episode: EpisodeID) -> URL {
    root.appendingPathComponent("frames/\(episode.rawValue)", isDirectory: true)
  }

  /// `frames/{ep_id}/crops/`.
  public func cropsDir(_ episode: EpisodeID) -> URL {
    framesDir(episode).appendingPathComponent("crops", isDirectory: true)
  }

  /// `frames/{ep_id}/crops/{track_id}/frame_{frame_idx:06d}.jpg`.
  public func crop(_ episode: EpisodeID, trackID: String, frameIndex: Int) -> URL {
    framesDir(episode).appendingPathComponent(
      Self.cropRelativePath(trackID: trackID, frameIndex: frameIndex))
  }

  /// `crops/{track_id}/frame_{frame_idx:06d}.jpg`, the `crop_path` of `faces.jsonl` (relative
  /// to `framesDir`), e.g. `crops/track-00001/frame_000042.jpg`.
  public static func cropRelativePath(trackID: String, frameIndex: Int) -> String {
    "crops/\(safeComponent(trackID))/frame_\(ArtifactID.padded(frameIndex, width: 6)).jpg"
  }

  /// `crops/{track_id}/probe_{frame_idx:06d}.jpg`: a probe face's crop (docs/harvest.md), named
  /// apart from an accepted face's crop of the same frame.
  public static func probeCropRelativePath(trackID: String, frameIndex: Int) -> String {
    "crops/\(safeComponent(trackID))/probe_\(ArtifactID.padded(frameIndex, width: 6)).jpg"
  }

  /// `crops/{track_id}/thumb_{frame_idx:06d}.jpg`: one of a track's review thumbnails
  /// (docs/harvest.md, "Review thumbnails"), listed in its `sample_thumbs`.
  public static func reviewThumbRelativePath(trackID: String, frameIndex: Int) -> String {
    "crops/\(safeComponent(trackID))/thumb_\(ArtifactID.padded(frameIndex, width: 6)).jpg"
  }

  /// The frame of a crop or thumbnail path this layout names (`…/frame_000042.jpg`,
  /// `probe_…`, `thumb_…`), or nil for any other name.
  public static func frameIndex(ofCropPath path: String) -> Int? {
    let name = path.split(separator: "/").last ?? ""
    guard name.hasSuffix(".jpg"), let underscore = name.firstIndex(of: "_") else { return nil }
    let prefix = name[..<underscore]
    guard ["frame", "probe", "thumb"].contains(prefix) else { return nil }
    let digits = name[name.index(after: underscore)..<name.index(name.endIndex, offsetBy: -4)]
    guard digits.count >= 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
      return nil
    }
    return Int(digits)
  }

  /// Same as the static `cropRelativePath(trackID:frameIndex:)`, for callers holding a layout.
  public func cropRelativePath(trackID: String, frameIndex: Int) -> String {
    Self.cropRelativePath(trackID: trackID, frameIndex: frameIndex)
  }

  /// `frames/{ep_id}/crops_debug.jsonl`.
  public func cropsDebug(_ episode: EpisodeID) -> URL {
    framesDir(episode).appendingPathComponent("crops_debug.jsonl")
  }

  /// `frames/{ep_id}/thumbs/`: one folder per identity.
  public func thumbsDir(_ episode: EpisodeID) -> URL {
    framesDir(episode).appendingPathComponent("thumbs", isDirectory: true)
  }

  /// `frames/{ep_id}/thumbs/{identity_id}/rep.jpg`.
  public func identityThumb(_ episode: EpisodeID, identityID: String) -> URL {
    framesDir(episode).appendingPathComponent(
      Self.identityThumbRelativePath(identityID: identityID))
  }

  /// `thumbs/{identity_id}/rep.jpg`, the `canonical_face_path` of `identities.json` (relative
  /// to `framesDir`).
  public static func identityThumbRelativePath(identityID: String) -> String {
    "thumbs/\(safeComponent(identityID))/rep.jpg"
  }

  // MARK: Helpers

  /// A new data root in the temporary folder whose `episode` has this layout's video (a
  /// symbolic link) and copies of the listed artifacts: benchmarks run stages there without
  /// touching the real episode. The caller removes `root` when done.
  public func scratchCopy(
    of episode: EpisodeID, copying artifacts: [(DataLayout, EpisodeID) -> URL] = []
  ) throws -> DataLayout {
    let scratch = DataLayout(
      root: FileManager.default.temporaryDirectory
        .appendingPathComponent("faceharvest-scratch-\(UUID().uuidString)"))
    let manager = FileManager.default
    try manager.createDirectory(
      at: scratch.video(episode).deletingLastPathComponent(), withIntermediateDirectories: true)
    try manager.createSymbolicLink(
      at: scratch.video(episode), withDestinationURL: video(episode).standardizedFileURL)
    for artifact in artifacts {
      let destination = artifact(scratch, episode)
      try manager.createDirectory(
        at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
      try manager.copyItem(at: artifact(self, episode), to: destination)
    }
    return scratch
  }

  /// `url` relative to the data root (`manifests/x/faces.jsonl`) when it is under the root,
  /// else its full path. Used to name files in messages.
  public func relativePath(_ url: URL) -> String {
    let rootComponents = root.standardizedFileURL.pathComponents
    let components = url.standardizedFileURL.pathComponents
    guard components.count > rootComponents.count,
      Array(components.prefix(rootComponents.count)) == rootComponents
    else { return url.path }
    return components.dropFirst(rootComponents.count).joined(separator: "/")
  }

  /// `id` as a single safe path component: characters other than ASCII letters, digits, `.`,
  /// `_` and `-` become `_`, and an empty, `.` or `..` component becomes `_`. Valid artifact
  /// ids pass through unchanged.
  public static func safeComponent(_ id: String) -> String {
    let mapped = String(
      String.UnicodeScalarView(
        id.unicodeScalars.map { scalar -> Unicode.Scalar in
          let allowed =
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"
          return allowed ? scalar : "_"
        }))
    if mapped.isEmpty || mapped == "." || mapped == ".." { return "_" }
    return mapped
  }
}
