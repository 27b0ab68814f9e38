import Artifacts
import CorruptVideoSupport
import Foundation
import Inference
import Testing

/// Detect-track and the harvest read frames through one `FrameSource`, so `frame_idx` names the
/// same picture in both, even past a corrupt packet (docs/detect_track.md, "Frame numbers").
@Suite("A corrupt packet mid-stream, end to end", .serialized)
struct CorruptPacketEndToEndTests {
  static let episode = "corrupt-clip"

  /// The sample's first 60 frames, stream-copied (keyframes at 0 and 50).
  static func cleanRoot() throws -> URL {
    try VideoFixtures.root(episode: episode) { url in
      try CorruptVideo.run(
        "ffmpeg",
        [
          "-y", "-i", VideoFixtures.sampleVideo.path, "-map", "0:v", "-c", "copy", "-frames:v",
          "60", url.path,
        ])
    }
  }

  static func layout(_ root: URL) throws -> (DataLayout, EpisodeID) {
    (DataLayout(root: root), try EpisodeID(episode))
  }

  /// Runs episode-run on `root` with `arguments`, harvesting every tracked detection.
  static func run(_ root: URL, _ arguments: [String]) throws {
    let outcome = try EpisodeRunProcess.run(
      [
        "--ep-id", episode, "--data-root", root.path, "--sample-interval", "1",
        "--max-crops-per-track", "1000",
      ] + arguments,
      environment: ["DEBUG_THUMBS": "1"])
    try #require(outcome.status == 0, "\(outcome.combined)")
  }

  /// The detections at or above det_thresh, without their track: what the detector alone saw.
  static func confident(_ root: URL) throws -> [Int: Set<Detection>] {
    let (layout, id) = try layout(root)
    var byFrame: [Int: Set<Detection>] = [:]
    for var row in try JSONLReader<Detection>.readAll(from: layout.detections(id))
    where row.conf >= 0.5 {
      row.trackID = nil
      byFrame[row.frameIndex, default: []].insert(row)
    }
    return byFrame
  }

  @Test(
    "a corrupt reference packet: detections match the clean video frame for frame, and every face is cropped from its detection's picture"
  )
  func corruptPacket() throws {
    let clean = try Self.cleanRoot()
    defer { try? FileManager.default.removeItem(at: clean) }
    let (cleanLayout, cleanID) = try Self.layout(clean)
    let cleanVideo = cleanLayout.video(cleanID)
    var brokenPacket: ProbedPacket?
    let damaged = try VideoFixtures.root(episode: Self.episode) { url in
      brokenPacket = try CorruptVideo.damage(cleanVideo, to: url, target: .reference, from: 17)
    }
    defer { try? FileManager.default.removeItem(at: damaged) }
    let packets = try CorruptVideo.packets(of: cleanVideo)
    let numbers = CorruptVideo.frameNumbers(packets)
    let position = try #require(packets.firstIndex { $0 == brokenPacket })
    let nextKeyframe = try #require(packets[position...].firstIndex { $0.isKeyframe })
    // Decoded from the broken packet to the next keyframe: the decoder conceals what is missing.
    let touched = Set(packets[position..<nextKeyframe].compactMap { numbers[$0.pts] })
    let brokenPTS = try #require(brokenPacket).pts
    let broken = try #require(numbers[brokenPTS])

    try Self.run(clean, ["--detect-track", "--stride", "1"])
    try Self.run(damaged, ["--detect-track", "--faces-embed", "--stride", "1"])

    // Detect-track: the same detections under the same frame_idx wherever the damage cannot
    // reach; nothing at the lost frame.
    let cleanDetections = try Self.confident(clean)
    let damagedDetections = try Self.confident(damaged)
    #expect(damagedDetections[broken] == nil)
    let compared = (0..<60).filter { !touched.contains($0) }
    for frame in compared {
      #expect(cleanDetections[frame] == damagedDetections[frame], "frame \(frame)")
    }
    let withFaces = compared.filter { cleanDetections[$0] != nil }
    #expect(withFaces.count >= 20 && withFaces.contains { $0 > broken }, "\(withFaces)")

    // The harvest: every face row is its detection, on an undamaged frame; faces planned on
    // damaged frames are decode_failed.
    let (layout, id) = try Self.layout(damaged)
    let faces = try JSONLReader<Face>.readAll(from: layout.faces(id))
    // The separate harvest of the damaged video writes the review thumbnails the one-decode
    // run wrote: a face on a damaged frame ranks in both, with no picture (docs/harvest.md).
    let oneDecodeThumbnails = try Self.thumbnails(layout, id)
    try #require(!oneDecodeThumbnails.isEmpty)
    try Self.run(damaged, ["--faces-embed"])
    #expect(try Self.thumbnails(layout, id) == oneDecodeThumbnails)
    let detections = Dictionary(
      try JSONLReader<Detection>.readAll(from: layout.detections(id)).compactMap { row in
        row.trackID.map { (FaceKey(track: $0, frame: row.frameIndex), row) }
      }, uniquingKeysWith: { first, _ in first })
    try #require(faces.count > 20)
    for face in faces {
      let detection = detections[FaceKey(track: face.trackID, frame: face.frameIndex)]
      #expect(detection?.bbox == face.bbox && detection?.landmarks == face.landmarks)
      #expect(!touched.contains(face.frameIndex), "face on damaged frame \(face.frameIndex)")
    }
    let failed = try JSONLReader<CropDebugEntry>.readAll(from: layout.cropsDebug(id))
      .filter { $0.reason == "decode_failed" }.map(\.frameIndex)
    #expect(!failed.isEmpty && Set(failed).isSubset(of: touched))

    // The same detections harvested from the clean video give the same faces: the damaged run
    // cropped each from the picture detect-track saw under that frame_idx.
    for file in [layout.detections(id), layout.tracks(id)] {
      let target = cleanLayout.manifestsDir(cleanID).appendingPathComponent(file.lastPathComponent)
      try FileManager.default.removeItem(at: target)
      try FileManager.default.copyItem(at: file, to: target)
    }
    try Self.run(clean, ["--faces-embed"])
    let reference = Dictionary(
      try JSONLReader<Face>.readAll(from: cleanLayout.faces(cleanID)).map {
        (FaceKey(track: $0.trackID, frame: $0.frameIndex), $0)
      }, uniquingKeysWith: { first, _ in first })
    for face in faces {
      let twin = try #require(reference[FaceKey(track: face.trackID, frame: face.frameIndex)])
      #expect(twin.qualityScore == face.qualityScore, "frame \(face.frameIndex)")
      #expect(cosineSimilarity(twin.embedding, face.embedding) > 0.9999)
    }
    let extra = Set(reference.keys).subtracting(
      faces.map { FaceKey(track: $0.trackID, frame: $0.frameIndex) })
    #expect(extra.allSatisfy { touched.contains($0.frame) }, "only damaged frames are lost")
  }
}

extension CorruptPacketEndToEndTests {
  /// Each track's review thumbnails (paths in `tracks.jsonl`) and their bytes.
  static func thumbnails(_ layout: DataLayout, _ id: EpisodeID) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for track in try JSONLReader<Track>.readAll(from: layout.tracks(id)) {
      for path in track.sampleThumbs {
        files["\(track.trackID) \(path)"] = try Data(
          contentsOf: layout.framesDir(id).appendingPathComponent(path))
      }
    }
    return files
  }
}

/// A face's track and frame.
private struct FaceKey: Hashable {
  let track: String
  let frame: Int
}
