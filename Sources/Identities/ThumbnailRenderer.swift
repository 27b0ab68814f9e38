import Artifacts
import FaceAlignment
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

  /// Renders `identities`, except those in `keep` that already have a thumbnail.
  func render(_ identities: [Identity], inputs: EpisodeFaces, keep: Set<String> = []) throws {
    // The best faces of each identity, best first; the first that renders non-blank is used.
    var candidates: [String: [Int]] = [:]
    for identity in identities {
      let thumb = layout.identityThumb(episode, identityID: identity.identityID)
      if keep.contains(identity.identityID), FileManager.default.fileExists(atPath: thumb.path) {
        continue
      }
      let rows = identity.trackIDs.flatMap { inputs.definingRows($0) }
      candidates[identity.identityID] = rows.sorted {
        (inputs.faces[$0].qualityScore, -$0) > (inputs.faces[$1].qualityScore, -$1)
      }.prefix(3).map { $0 }
    }
    guard !candidates.isEmpty else { return }
    let videoURL = layout.video(episode)
    guard FileManager.default.fileExists(atPath: videoURL.path) else {
      throw IdentitiesError.missingInput(path: videoURL.path, what: "video (for thumbnails)")
    }
    let frames = Set(candidates.values.flatMap { $0.map { inputs.faces[$0].frameIndex } })
    var rendered: [String: Data] = [:]
    let jpeg = try JPEGEncoder()
    try FrameSource(url: videoURL, logger: logger).forEach(.only(frames)) { frame in
      // A frame a corrupt packet damaged may not show the face: the next-best one is used.
      guard !frame.isDamaged else { return true }
      let image = frame.image
      for (identityID, rows) in candidates {
        for (rank, row) in rows.enumerated() where inputs.faces[row].frameIndex == frame.index {
          let face = inputs.faces[row]
          let points = stride(from: 0, to: 10, by: 2).map {
            Point2D(
              x: face.landmarks[$0] * Double(image.width),
              y: face.landmarks[$0 + 1] * Double(image.height))
          }
          guard let crop = FaceAligner.align(image, landmarks: points, size: 224),
            Sharpness.lumaDeviation(Sharpness.luma(crop)) >= Sharpness.blankDeviation
          else { continue }
          let key = "\(identityID)#\(rank)"
          rendered[key] = try jpeg.encode(crop, quality: 90)
        }
      }
      return true
    }
    for (identityID, rows) in candidates {
      guard let data = rows.indices.lazy.compactMap({ rendered["\(identityID)#\($0)"] }).first
      else {
        logger.warning(
          "no representative thumbnail could be rendered", metadata: ["identity": "\(identityID)"])
        continue
      }
      let url = layout.identityThumb(episode, identityID: identityID)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try AtomicFile.write(data, to: url, displayPath: layout.relativePath(url))
    }
  }

  /// Removes thumbnails of identities not in `keeping`.
  func removeStale(keeping: Set<String>) {
    let folder = layout.framesDir(episode).appendingPathComponent("thumbs")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
      return
    }
    for name in names where name.hasPrefix("identity-") && !keeping.contains(name) {
      try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
    }
  }
}
