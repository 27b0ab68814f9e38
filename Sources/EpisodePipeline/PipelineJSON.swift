public import Artifacts
import DetectTrack
public import FaceHarvestCore
public import Foundation
import Harvest

extension PipelineProgress {
  /// The progress as the JSON object a job reports (`GET /jobs/{id}`, the SSE `progress`
  /// event, the queue's `progress` column): phase, frames and faces done and total, fps,
  /// elapsed seconds.
  public var jsonObject: [String: JSONValue] {
    switch self {
    case .detectTrack(let progress): Self.object(progress)
    case .facesEmbed(let progress): Self.object(progress)
    case .cluster: ["phase": .string("cluster")]
    }
  }

  private static func object(_ progress: HarvestProgress) -> [String: JSONValue] {
    [
      "phase": .string(progress.phase), "faces_done": .integer(progress.facesDone),
      "faces_total": .integer(progress.facesTotal), "frames_done": .integer(progress.framesDone),
      "frames_total": .integer(progress.framesTotal),
      "fps": .number(progress.elapsed > 0 ? Double(progress.framesDone) / progress.elapsed : 0),
      "elapsed": .number(progress.elapsed),
    ]
  }

  private static func object(_ progress: DetectTrackProgress) -> [String: JSONValue] {
    [
      "phase": .string("detect_track"), "faces_done": .integer(progress.detections),
      "faces_total": .integer(progress.detections), "frames_done": .integer(progress.framesDone),
      "frames_total": .integer(progress.framesTotal), "tracks": .integer(progress.tracks),
      "fps": .number(
        progress.elapsed > 0 ? Double(progress.framesAnalysed) / progress.elapsed : 0),
      "elapsed": .number(progress.elapsed),
    ]
  }
}

extension StageSummary {
  /// The stage's summary as JSON (snake_case keys), as a job's closing summary carries it.
  public var json: JSONValue {
    switch self {
    case .detectTrack(let summary): Self.json(summary)
    case .facesEmbed(let summary): Self.json(summary)
    case .cluster(let summary): Self.json(summary)
    }
  }

  private static func json<T: Encodable>(_ value: T) -> JSONValue {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    guard let data = try? encoder.encode(value), let parsed = try? JSONValue.parse(data) else {
      return .null
    }
    return parsed
  }
}

/// The inputs a run of some stages needs before it starts, so that a request or a queued job
/// for an episode without them is refused before anything runs.
public enum PipelineInputs {
  /// The first input `stages` need that is missing under `layout`: its URL and what it is
  /// (`the episode's video`, `run detect_track first`); nil when all are there. The first
  /// stage decides: detect & track needs the video, the harvest also the tracks and
  /// detections, clustering the faces and their embeddings.
  public static func missing(
    for stages: Set<PipelineStage>, layout: DataLayout, episode: EpisodeID
  ) -> (url: URL, what: String)? {
    guard let first = stages.min() else { return nil }
    let needed: [(URL, String)]
    switch first {
    case .detectTrack:
      needed = [(layout.video(episode), "the episode's video")]
    case .facesEmbed:
      needed = [
        (layout.video(episode), "the episode's video"),
        (layout.tracks(episode), "run detect_track first"),
        (layout.detections(episode), "run detect_track first"),
      ]
    case .cluster:
      needed = [
        (layout.faces(episode), "run faces_embed first"),
        (layout.facesNPY(episode), "run faces_embed first"),
      ]
    }
    return needed.first { !FileManager.default.fileExists(atPath: $0.0.path) }
  }
}
