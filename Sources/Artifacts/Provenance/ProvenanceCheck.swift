import Foundation

/// A stage's artifacts that no longer match what they were made from.
public struct StaleFinding: Equatable, Sendable, CustomStringConvertible {
  /// The stage whose artifacts are stale.
  public var stage: ProvenanceStage
  /// The artifact the finding is reported on: the stage's first output, relative to the data
  /// root.
  public var artifact: String
  /// What changed and what to run, e.g. `videos/x/episode.mp4 changed since detect-track: 121
  /// frames now, 500 then; run --detect-track again`.
  public var message: String

  public var description: String { message }
}

/// Compares `provenance.json` with the files as they are now (docs/artifacts.md, "What
/// artifacts were made from"): a stage's artifacts are stale when the video is another file
/// than the one it read, or when an upstream artifact it read has since been rewritten by
/// another stage's run. An artifact edited outside the pipeline (its hash matches no stage's
/// output) is left to the schema checks.
public struct ProvenanceCheck {
  /// Where the episode lives.
  public let layout: DataLayout
  /// The episode checked.
  public let episode: EpisodeID
  private var hashes: [String: String?] = [:]

  /// A check of `episode`.
  public init(layout: DataLayout, episode: EpisodeID) {
    self.layout = layout
    self.episode = episode
  }

  /// The recorded provenance; nil when there is none (artifacts of an older build, or of
  /// another implementation of the spec: nothing to compare).
  public func document() throws -> ProvenanceDocument? {
    let url = layout.provenance(episode)
    guard FileIO.exists(url) else { return nil }
    return try AtomicFile.readJSON(
      ProvenanceDocument.self, from: url, displayPath: layout.relativePath(url))
  }

  /// What is stale among the records of `stages` (in pipeline order). `video` is the video's
  /// identity now (nil: no video, not compared); `framesNow` counts its frames, for the message,
  /// and is called only when the video changed.
  public mutating func findings(
    of stages: [ProvenanceStage], video: VideoIdentity?, framesNow: () -> Int?
  ) throws -> [StaleFinding] {
    guard let document = try document() else { return [] }
    var found: [StaleFinding] = []
    var framesCounted: Int??
    for stage in stages {
      guard let record = document.stages[stage.rawValue] else { continue }
      let artifact =
        record.outputs.keys.sorted().first ?? layout.relativePath(layout.provenance(episode))
      if let then = record.video, let now = video, !now.isSameVideo(as: then) {
        if framesCounted == nil {
          framesCounted = .some(then.frameCount == nil ? nil : framesNow())
        }
        found.append(
          StaleFinding(
            stage: stage, artifact: artifact,
            message: videoMessage(now: now, then: then, framesNow: framesCounted ?? nil, stage)))
        continue
      }
      if let message = try inputMessage(record, stage, document) {
        found.append(StaleFinding(stage: stage, artifact: artifact, message: message))
      }
    }
    return found
  }

  private func videoMessage(
    now: VideoIdentity, then: VideoIdentity, framesNow: Int?, _ stage: ProvenanceStage
  ) -> String {
    let path = layout.relativePath(layout.video(episode))
    let change =
      if let framesNow, let framesThen = then.frameCount, framesNow != framesThen {
        "\(framesNow) frames now, \(framesThen) then"
      } else if now.sizeBytes != then.sizeBytes {
        "\(now.sizeBytes) bytes now, \(then.sizeBytes) then"
      } else {
        "same size, other content"
      }
    return "\(path) changed since \(stage.displayName): \(change); run --detect-track again"
  }

  /// Why `record`'s inputs are stale, or nil.
  private mutating func inputMessage(
    _ record: StageProvenance, _ stage: ProvenanceStage, _ document: ProvenanceDocument
  ) throws -> String? {
    for (path, then) in record.inputs.sorted(by: { $0.key < $1.key }) {
      let now = try hash(path)
      guard now != then else { continue }
      guard let now else {
        return "\(path), which \(stage.displayName) read, is gone; run \(stage.flag) again"
      }
      let rewriter = ProvenanceStage.allCases.first { other in
        other != stage && document.stages[other.rawValue]?.outputs[path] == now
      }
      if let rewriter, let when = document.stages[rewriter.rawValue]?.madeAt {
        return "\(path) changed since \(stage.displayName): \(rewriter.displayName) wrote it "
          + "again at \(when); run \(stage.flag) again"
      }
    }
    return nil
  }

  private mutating func hash(_ path: String) throws -> String? {
    if let known = hashes[path] { return known }
    let value = try ContentHash.sha256(
      of: layout.root.appendingPathComponent(path), displayPath: path)
    hashes[path] = value
    return value
  }
}
