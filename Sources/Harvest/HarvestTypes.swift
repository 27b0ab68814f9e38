public import Foundation

/// Why a considered face is not in `faces.jsonl` (DECISIONS.md's reasons, plus
/// `invalid_embedding` for a zero or non-finite model output).
public enum RejectionReason: String, Sendable, CaseIterable, Codable, Comparable {
  /// Detector confidence below `min_confidence`.
  case lowConfidence = "low_confidence"
  /// Face box short side below `min_face_size`.
  case tooSmall = "too_small"
  /// Laplacian variance of the aligned crop below `max_blur`.
  case tooBlurry = "too_blurry"
  /// |yaw| above `max_yaw_angle` or |pitch| above `max_pitch_angle`.
  case poseTooExtreme = "pose_too_extreme"
  /// Combined quality below `min_quality`.
  case lowQuality = "low_quality"
  /// The box, clamped to the frame, is too small.
  case bboxOutOfBounds = "bbox_out_of_bounds"
  /// The crop is (near) uniform.
  case blankCrop = "blank_crop"
  /// The face region is mostly exactly flat: painted or printed, not skin (`max_flat_fraction`).
  case flatCrop = "flat_crop"
  /// Landmarks missing, not finite or degenerate.
  case invalidLandmarks = "invalid_landmarks"
  /// The video has no such frame.
  case decodeFailed = "decode_failed"
  /// Removed by `max_crops_per_track`.
  case trackCap = "track_cap"
  /// Removed by `max_crops_per_episode`.
  case episodeCap = "episode_cap"
  /// The model returned a zero or non-finite vector.
  case invalidEmbedding = "invalid_embedding"

  public static func < (lhs: RejectionReason, rhs: RejectionReason) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// Progress of a running harvest, for a terminal bar, log lines or a server's event stream.
public struct HarvestProgress: Sendable, Equatable {
  /// "plan", "harvest" (decode, crop, embed) or "write".
  public var phase: String
  /// Frames decoded so far.
  public var framesDone: Int
  /// Frames in the video (declared by the container, else the last planned frame + 1).
  public var framesTotal: Int
  /// Faces that went through the embedder so far.
  public var facesDone: Int
  /// Faces planned (sampled) for harvesting.
  public var facesTotal: Int
  /// Seconds since the run started.
  public var elapsed: Double
}

/// Statistics of a finished harvest (the CLI prints them; the server returns them).
public struct HarvestSummary: Sendable, Codable, Equatable {
  /// The episode.
  public var episode: String
  /// Faces written to `faces.jsonl`.
  public var facesKept: Int
  /// Probe faces written to `probe_faces.jsonl` (tracks with no accepted face).
  public var probeFaces: Int
  /// Tracks with probe faces.
  public var probeTracks: Int
  /// Probes dropped unembedded because their track's first probes agreed (docs/harvest.md,
  /// "Probes by need"); nil in summaries made before it.
  public var probesNotNeeded: Int?
  /// Rejected faces by reason.
  public var rejections: [String: Int]
  /// Tracks read from `tracks.jsonl`.
  public var tracks: Int
  /// Tracks with at least one kept face.
  public var tracksWithFaces: Int
  /// Tracks that have no detection row at all.
  public var tracksWithoutDetections: Int
  /// Faces per track with faces: minimum, median, maximum.
  public var facesPerTrack: FacesPerTrack
  /// Embedding width (the model's output width).
  public var embeddingWidth: Int
  /// The embedder's manifest name.
  public var model: String
  /// Frames in the video (read from the container).
  public var framesDecoded: Int
  /// Frames dropped without decoding (non-reference, no face needed them).
  public var framesSkipped: Int
  /// Frames converted to BGR (the ones some face needed).
  public var framesConverted: Int
  /// Whether the faces came from detect-track's decode pass (`SinglePassHarvest`) rather than
  /// a decode of the harvest's own.
  public var sharedDecode: Bool
  /// Busy seconds of each stage (decode, crop, embed, write) and the wall time ("total").
  public var seconds: [String: Double]
  /// Crops written (0 without `--save-crops`).
  public var cropsWritten: Int
  /// Review thumbnails written (docs/harvest.md, "Review thumbnails").
  public var thumbsWritten: Int
  /// Tracks with at least one review thumbnail.
  public var tracksWithThumbs: Int
  /// Paths of the artifacts written, relative to the data root.
  public var artifacts: [String]
  /// Peak resident memory of the process so far, in MiB.
  public var peakMemoryMiB: Double

  /// Faces per track.
  public struct FacesPerTrack: Sendable, Codable, Equatable {
    /// Fewest faces of a track with faces.
    public var min: Int
    /// Median (lower middle for an even count).
    public var median: Int
    /// Most faces of a track.
    public var max: Int
  }
}

/// An error that stops a harvest before anything is written.
public enum HarvestError: Error, CustomStringConvertible, LocalizedError {
  /// A required input file is missing.
  case missingInput(path: String, what: String)
  /// An input is inconsistent (for example a detection of an unknown track).
  case invalidInput(path: String, line: Int?, message: String)
  /// The embedding model is not usable.
  case model(String)
  /// The run was cancelled; nothing was written.
  case cancelled
  /// The video holds none of the frames the tracks need (truncated, or not the video the
  /// tracks were made from); nothing was written.
  case videoLacksTrackFrames(path: String, framesDecoded: Int, firstNeeded: Int)

  public var description: String {
    switch self {
    case .missingInput(let path, let what): return "missing \(what): \(path)"
    case .invalidInput(let path, let line, let message):
      return "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    case .model(let message): return "embedding model: \(message)"
    case .cancelled: return "harvest cancelled; previous artifacts are untouched"
    case .videoLacksTrackFrames(let path, let decoded, let first):
      return "\(path) yields \(decoded) frame(s) and none of those the tracks need (from frame "
        + "\(first) on): the video is truncated or is not the one the tracks were made from; "
        + "previous artifacts are untouched"
    }
  }

  public var errorDescription: String? { description }
}

/// Peak resident set size of this process, in MiB (getrusage; Linux reports KiB).
public func peakResidentMemoryMiB() -> Double {
  var usage = rusage()
  guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
  return Double(usage.ru_maxrss) / 1024
}
