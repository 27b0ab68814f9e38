public import Foundation

/// `manifests/{ep_id}/provenance.json` (docs/artifacts.md, "What artifacts were made from"):
/// for each stage, the video and the upstream artifacts its artifacts were made from, and the
/// content hashes of what it wrote. Written inside each stage's commit, so it always describes
/// the published files.
public struct ProvenanceDocument: Codable, Equatable, Sendable {
  /// `provenance_v1`.
  public var schemaVersion: String
  /// The episode.
  public var epID: String
  /// One record per stage that has run, by stage name (`detect_track`, `faces_embed`,
  /// `cluster`).
  public var stages: [String: StageProvenance]

  /// The schema version this build writes.
  public static let currentSchema = "provenance_v1"

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version"
    case epID = "ep_id"
    case stages
  }

  /// The document after a commit that replaced the files of `newHashes` (whose hashes before
  /// were `oldHashes`): an entry that matched the old file now holds the new hash; an entry
  /// that was already out of date stays so. Inputs are carried only when `inputs` is true.
  public func carryingForward(
    _ newHashes: [String: String], from oldHashes: [String: String], inputs: Bool
  ) -> ProvenanceDocument {
    func carry(_ entries: [String: String]) -> [String: String] {
      entries.reduce(into: [:]) { result, entry in
        let (path, hash) = entry
        if let new = newHashes[path], oldHashes[path] == hash {
          result[path] = new
        } else {
          result[path] = hash
        }
      }
    }
    var document = self
    for (name, record) in stages {
      document.stages[name]?.outputs = carry(record.outputs)
      if inputs { document.stages[name]?.inputs = carry(record.inputs) }
    }
    return document
  }

  /// An empty document for `epID`.
  public init(epID: String, stages: [String: StageProvenance] = [:]) {
    schemaVersion = Self.currentSchema
    self.epID = epID
    self.stages = stages
  }
}

/// What one stage's artifacts were made from, and what it wrote.
public struct StageProvenance: Codable, Equatable, Sendable {
  /// When the stage committed (ISO 8601, UTC).
  public var madeAt: String
  /// The video the stage read; nil for a stage that reads none.
  public var video: VideoIdentity?
  /// SHA-256 (hex) of each upstream artifact the stage read, by path relative to the data root,
  /// as published with the stage's own files (an input the stage rewrites, like `tracks.jsonl`
  /// for the harvest, has its new hash).
  public var inputs: [String: String]
  /// SHA-256 (hex) of each file the stage wrote, by path relative to the data root. Later
  /// commits that rewrite one of them (the harvest's `tracks.jsonl`, an identities edit) update
  /// the hash.
  public var outputs: [String: String]

  enum CodingKeys: String, CodingKey {
    case madeAt = "made_at"
    case video, inputs, outputs
  }

  /// A record.
  public init(
    madeAt: String, video: VideoIdentity?, inputs: [String: String], outputs: [String: String]
  ) {
    self.madeAt = madeAt
    self.video = video
    self.inputs = inputs
    self.outputs = outputs
  }
}

/// A video as the stages saw it: enough to tell another file (a truncated copy, a re-encode)
/// from the same one without decoding it.
public struct VideoIdentity: Codable, Equatable, Sendable {
  /// Size in bytes.
  public var sizeBytes: Int
  /// Modification time (ISO 8601, UTC); recorded, not compared (a copy keeps the content).
  public var modifiedAt: String
  /// Duration in seconds, as the container declares it, when known.
  public var durationSeconds: Double?
  /// Frames the video holds (packets of its video stream), when the stage counted them.
  public var frameCount: Int?
  /// SHA-256 (hex) of the first and the last MiB of the file.
  public var headTailSHA256: String

  enum CodingKeys: String, CodingKey {
    case sizeBytes = "size_bytes"
    case modifiedAt = "modified_at"
    case durationSeconds = "duration_s"
    case frameCount = "frame_count"
    case headTailSHA256 = "head_tail_sha256"
  }

  /// An identity.
  public init(
    sizeBytes: Int, modifiedAt: String, durationSeconds: Double? = nil, frameCount: Int? = nil,
    headTailSHA256: String
  ) {
    self.sizeBytes = sizeBytes
    self.modifiedAt = modifiedAt
    self.durationSeconds = durationSeconds
    self.frameCount = frameCount
    self.headTailSHA256 = headTailSHA256
  }

  /// This identity with the counts only the demuxer knows.
  public func with(frameCount: Int?, durationSeconds: Double?) -> VideoIdentity {
    var identity = self
    identity.frameCount = frameCount
    identity.durationSeconds = durationSeconds
    return identity
  }

  /// Whether `other` is the same video: same size, same first and last MiB, and the same frame
  /// count and duration where both are known.
  public func isSameVideo(as other: VideoIdentity) -> Bool {
    sizeBytes == other.sizeBytes && headTailSHA256 == other.headTailSHA256
      && (frameCount == nil || other.frameCount == nil || frameCount == other.frameCount)
      && (durationSeconds == nil || other.durationSeconds == nil
        || abs(durationSeconds! - other.durationSeconds!) < 0.001)
  }
}

/// The stages that record what they were made from, in pipeline order.
public enum ProvenanceStage: String, CaseIterable, Sendable {
  /// Detect & track: made from the video alone.
  case detectTrack = "detect_track"
  /// The faces harvest: the video, detections and tracks.
  case facesEmbed = "faces_embed"
  /// Clustering: the video (thumbnails), tracks, shots, faces and probe faces.
  case cluster

  /// The command-line flag that runs the stage, for messages.
  public var flag: String {
    switch self {
    case .detectTrack: "--detect-track"
    case .facesEmbed: "--faces-embed"
    case .cluster: "--cluster"
    }
  }

  /// The stage's name in messages (`faces-embed`).
  public var displayName: String { String(flag.dropFirst(2)) }

  /// The stages whose artifacts this one reads.
  public var upstream: [ProvenanceStage] {
    Self.allCases.prefix { $0 != self }.map { $0 }
  }

  /// The upstream artifacts the stage reads (files; absent ones are not recorded).
  public func inputs(_ layout: DataLayout, _ episode: EpisodeID) -> [URL] {
    switch self {
    case .detectTrack: []
    case .facesEmbed: [layout.detections(episode), layout.tracks(episode)]
    case .cluster:
      [
        layout.tracks(episode), layout.shots(episode), layout.faces(episode),
        layout.facesNPY(episode), layout.probeFaces(episode), layout.probeFacesNPY(episode),
      ]
    }
  }
}

extension DataLayout {
  /// `manifests/{ep_id}/provenance.json`.
  public func provenance(_ episode: EpisodeID) -> URL {
    manifestsDir(episode).appendingPathComponent("provenance.json")
  }
}
