import Artifacts
import FaceAlignment
import FaceHarvestCore
import FaceQuality
import Foundation
import Logging
import Media

/// Renders each identity's representative face (`frames/{ep_id}/thumbs/{identity_id}/rep.jpg`):
/// the identity's best-quality face, aligned at 224×224 from the video frame. A blank render is
/// never written; the next-best face is tried instead.
struct ThumbnailRenderer {
  let layout: DataLayout
  let episode: EpisodeID
  let logger: Logger

  /// Stages `frames/{ep_id}/thumbs` for `identities` (the identities about to be committed) in
  /// `transaction`: a new render for each of `rendering`, the current thumbnail (hard-linked)
  /// for the others and wherever a render fails; thumbnails of identities no longer listed go
  /// with the old folder. Nothing is staged when there is neither a render nor a folder.
  func stage(
    _ identities: [Identity], rendering: [Identity], inputs: EpisodeFaces,
    in transaction: ArtifactTransaction
  ) throws {
    let rendered = try render(rendering, inputs: inputs)
    let folder = layout.thumbsDir(episode)
    guard !rendered.isEmpty || FileManager.default.fileExists(atPath: folder.path) else { return }
    let listed = Set(identities.map { DataLayout.safeComponent($0.identityID) })
    let staged = try transaction.stageFolder(replacing: folder) { relative in
      listed.contains(String(relative.prefix { $0 != "/" }))
    }
    for (identityID, data) in rendered {
      let relative = DataLayout.identityThumbRelativePath(identityID: identityID)
      let url = staged.appendingPathComponent(String(relative.dropFirst("thumbs/".count)))
      try? FileManager.default.removeItem(at: url)  // the kept thumbnail, replaced
      try FileSystemFailure.write(data, to: url, displayPath: layout.relativePath(url))
    }
  }

  /// The representative thumbnail of each of `identities` that renders non-blank, as JPEG.
  private func render(_ identities: [Identity], inputs: EpisodeFaces) throws -> [String: Data] {
    // The best faces of each identity, best first; the first that renders non-blank is used.
    var candidates: [String: [Int]] = [:]
    for identity in identities {
      let rows = identity.trackIDs.flatMap { inputs.definingRows($0) }
      candidates[identity.identityID] = rows.sorted {
        (inputs.faces[$0].qualityScore, -$0) > (inputs.faces[$1].qualityScore, -$1)
      }.prefix(3).map { $0 }
    }
    guard !candidates.isEmpty else { return [:] }
    let videoURL = layout.video(episode)
    guard FileManager.default.fileExists(atPath: videoURL.path) else {
      throw IdentitiesError.missingInput(path: videoURL.path, what: "video (for thumbnails)")
    }
    // The best face of each identity first; the next-best only for identities whose render
    // failed (blank, or a damaged frame): each round a few frames spread over the episode,
    // each decoded from its keyframe after a seek. (A stream that cannot be sought is decoded
    // front to back in each round; a second round is rare.)
    var rendered: [String: Data] = [:]
    let jpeg = try JPEGEncoder()
    for rank in 0..<(candidates.values.map(\.count).max() ?? 0) {
      let wanted = candidates.filter { identityID, rows in
        rows.indices.contains(rank) && rendered[identityID] == nil
      }
      guard !wanted.isEmpty else { break }
      let frames = Set(wanted.values.map { inputs.faces[$0[rank]].frameIndex })
      try FrameSource(url: videoURL, logger: logger).forEachSparse(frames) { frame in
        // A frame a corrupt packet damaged may not show the face: the next-best one is used.
        guard !frame.isDamaged else { return }
        for (identityID, rows) in wanted where inputs.faces[rows[rank]].frameIndex == frame.index {
          rendered[identityID] = try renderFace(
            inputs.faces[rows[rank]], in: frame.image, jpeg: jpeg)
        }
      }
    }
    for identityID in candidates.keys.sorted() where rendered[identityID] == nil {
      logger.warning(
        "no representative thumbnail could be rendered", metadata: ["identity": "\(identityID)"])
    }
    return rendered
  }

  /// The face aligned at 224×224 from `image` (its frame) as JPEG, or nil when the render is
  /// blank.
  private func renderFace(_ face: Face, in image: BGRImage, jpeg: JPEGEncoder) throws -> Data? {
    let points = stride(from: 0, to: 10, by: 2).map {
      Point2D(
        x: face.landmarks[$0] * Double(image.width),
        y: face.landmarks[$0 + 1] * Double(image.height))
    }
    guard let crop = FaceAligner.align(image, landmarks: points, size: 224),
      Sharpness.lumaDeviation(Sharpness.luma(crop)) >= Sharpness.blankDeviation
    else { return nil }
    return try jpeg.encode(crop, quality: 90)
  }
}
