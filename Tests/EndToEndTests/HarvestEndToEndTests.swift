import Artifacts
import FaceHarvestCore
import Foundation
import Inference
import Media
import Testing

@Suite("episode-run --faces-embed on the sample episode", .serialized)
struct HarvestEndToEndTests {
  static let episode = "sample-s01e01"

  struct Harvested {
    let root: URL
    let faces: [Face]
    let matrix: NPYMatrix
    let outcome: EpisodeRunProcess.Outcome
    var manifests: URL { root.appendingPathComponent("manifests/\(HarvestEndToEndTests.episode)") }
    var frames: URL { root.appendingPathComponent("frames/\(HarvestEndToEndTests.episode)") }
  }

  static func harvest(
    _ extra: [String], root: URL? = nil, environment: [String: String] = [:]
  ) throws -> Harvested {
    let root = try root ?? EpisodeRunProcess.freshSample()
    let outcome = try EpisodeRunProcess.run(
      ["--ep-id", episode, "--faces-embed", "--data-root", root.path] + extra,
      environment: environment)
    guard outcome.status == 0 else {
      Issue.record("episode-run failed: \(outcome.combined)")
      throw CocoaError(.featureUnsupported)
    }
    let layout = DataLayout(root: root)
    let id = try EpisodeID(episode)
    return Harvested(
      root: root, faces: try JSONLReader<Face>.readAll(from: layout.faces(id)),
      matrix: try NPYMatrix.read(from: layout.facesNPY(id)), outcome: outcome)
  }

  static func norm(_ vector: some Collection<Float>) -> Double {
    vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
  }

  @Test("harvest with crops: shapes, norms, gates, caps, crops, debug log, validate clean")
  func fullHarvest() throws {
    let run = try Self.harvest(
      ["--save-crops", "--sample-interval", "6", "--max-crops-per-track", "5"],
      environment: ["DEBUG_THUMBS": "1"])
    defer { try? FileManager.default.removeItem(at: run.root) }
    let faces = run.faces
    try #require(faces.count >= 40, "the sample has 13 tracks of 50–60 frames")
    #expect(run.matrix.rows == faces.count)
    #expect(run.matrix.columns == 128)
    for (index, face) in faces.enumerated() {
      #expect(abs(Self.norm(run.matrix.row(index)) - 1) < 1e-3)
      #expect(Array(run.matrix.row(index)) == face.embedding)
      #expect(face.qualityScore >= 0.7)
      #expect(face.faceID == ArtifactID.face(index + 1))
      #expect(
        face.cropPath
          == DataLayout.cropRelativePath(trackID: face.trackID, frameIndex: face.frameIndex))
    }
    let perTrack = Dictionary(grouping: faces, by: \.trackID).mapValues(\.count)
    #expect(perTrack.values.allSatisfy { $0 <= 5 })
    #expect(perTrack.count == 13)

    // Every saved crop is a real, non-uniform JPEG of thumb_size.
    let decoder = try JPEGDecoder()
    for face in faces {
      let image = try decoder.decode(
        Data(contentsOf: run.frames.appendingPathComponent(face.cropPath)))
      #expect(image.width == 224 && image.height == 224)
      let values = image.pixels.map(Double.init)
      let mean = values.reduce(0, +) / Double(values.count)
      let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
        .squareRoot()
      #expect(deviation > 10, "\(face.cropPath) is nearly uniform")
    }

    // tracks.jsonl lists each track's review thumbnails: here, every track has accepted faces,
    // so its best three of them; crops_debug.jsonl has every considered face.
    let tracks = try JSONLReader<Track>.readAll(
      from: run.manifests.appendingPathComponent("tracks.jsonl"))
    for track in tracks {
      let frames = Set(faces.filter { $0.trackID == track.trackID }.map(\.frameIndex))
      #expect(track.sampleThumbs.count == min(3, frames.count))
      for path in track.sampleThumbs {
        let frame = try #require(DataLayout.frameIndex(ofCropPath: path))
        #expect(frames.contains(frame), "\(path) is not one of the track's accepted faces")
      }
    }
    let debug = try JSONLReader<CropDebugEntry>.readAll(
      from: run.frames.appendingPathComponent("crops_debug.jsonl"))
    #expect(debug.filter { $0.status == "success" }.count == faces.count)
    #expect(debug.filter { $0.status == "rejected" }.allSatisfy { $0.reason != nil })
    #expect(run.outcome.standardOutput.contains("faces per track: min"))

    // Identities separate: same-person faces are much closer than different people's.
    let identities = try EpisodeRunProcess.trackIdentities()
    var within: [Float] = []
    var across: [Float] = []
    for i in 0..<faces.count {
      for j in (i + 1)..<faces.count {
        let similarity = cosineSimilarity(faces[i].embedding, faces[j].embedding)
        if identities[faces[i].trackID] == identities[faces[j].trackID] {
          within.append(similarity)
        } else {
          across.append(similarity)
        }
      }
    }
    let meanWithin = within.reduce(0, +) / Float(within.count)
    let meanAcross = across.reduce(0, +) / Float(across.count)
    #expect(meanWithin > meanAcross + 0.2, "within \(meanWithin), across \(meanAcross)")

    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", run.root.path, "--embed-width", "128",
    ])
    #expect(validate.status == 0, "\(validate.combined)")

    // debug-thumbs reads the log back.
    let report = try EpisodeRunProcess.run([
      "debug-thumbs", run.frames.appendingPathComponent("crops_debug.jsonl").path,
    ])
    #expect(report.status == 0)
    #expect(report.standardOutput.contains("success: \(faces.count)"))
  }

  @Test(
    "a default run writes review thumbnails of every track (bait and tiny faces too), no crops"
  )
  func reviewThumbnails() throws {
    let episode = "sample-s01e02"
    let root = try SinglePassEndToEndTests.bareRoot(episode)
    defer { try? FileManager.default.removeItem(at: root) }
    let outcome = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--detect-track", "--faces-embed",
    ])
    try #require(outcome.status == 0, "\(outcome.combined)")
    let layout = DataLayout(root: root)
    let id = try EpisodeID(episode)
    let tracks = try JSONLReader<Track>.readAll(from: layout.tracks(id))
    let faces = try JSONLReader<Face>.readAll(from: layout.faces(id))
    try #require(tracks.count >= 40, "the episode has 43 tracks, bait among them")
    #expect(!faces.contains { !$0.cropPath.isEmpty })
    #expect(outcome.standardOutput.contains("review thumbnails: "))
    let decoder = try JPEGDecoder()
    var written = Set<String>()
    for track in tracks {
      #expect((1...3).contains(track.sampleThumbs.count), "\(track.trackID) has no thumbnail")
      for path in track.sampleThumbs {
        let frame = try #require(DataLayout.frameIndex(ofCropPath: path))
        #expect(
          path == DataLayout.reviewThumbRelativePath(trackID: track.trackID, frameIndex: frame))
        #expect((track.frameSpan[0]...track.frameSpan[1]).contains(frame))
        let image = try decoder.decode(
          Data(contentsOf: layout.framesDir(id).appendingPathComponent(path)))
        #expect(image.width == 112 && image.height == 112)
        let values = image.pixels.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let deviation =
          (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
          .squareRoot()
        #expect(deviation > 10, "\(path) is nearly uniform")
        written.insert(path)
      }
    }
    // The crops folder holds the thumbnails and nothing else.
    let enumerator = FileManager.default.enumerator(atPath: layout.cropsDir(id).path)
    var onDisk = Set<String>()
    while let relative = enumerator?.nextObject() as? String {
      if relative.hasSuffix(".jpg") { onDisk.insert("crops/" + relative) }
    }
    #expect(onDisk == written)
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }

  @Test(
    "every sampling mode honours the per-track cap",
    arguments: ["uniform", "quality-weighted", "stratified"])
  func samplingModes(mode: String) throws {
    let run = try Self.harvest([
      "--sampling-mode", mode, "--max-crops-per-track", "4", "--sample-interval", "4",
    ])
    defer { try? FileManager.default.removeItem(at: run.root) }
    let perTrack = Dictionary(grouping: run.faces, by: \.trackID).mapValues(\.count)
    #expect(perTrack.values.allSatisfy { $0 <= 4 })
    #expect(run.faces.count >= 13 * 3)
  }

  @Test("the episode cap keeps the highest-quality faces")
  func episodeCap() throws {
    let all = try Self.harvest(["--sample-interval", "10"])
    defer { try? FileManager.default.removeItem(at: all.root) }
    let capped = try Self.harvest(["--sample-interval", "10", "--max-crops-per-episode", "20"])
    defer { try? FileManager.default.removeItem(at: capped.root) }
    #expect(capped.faces.count == 20)
    let threshold = all.faces.map(\.qualityScore).sorted(by: >)[19]
    #expect(capped.faces.allSatisfy { $0.qualityScore >= threshold })
    #expect(capped.matrix.rows == 20)
  }

  @Test("a 512-d ArcFace-shaped model runs through --embed-model and validates")
  func arcFaceShapedModel() throws {
    let models = EpisodeRunProcess.repositoryRoot.appendingPathComponent(".deps/models/test")
    let run = try Self.harvest(
      ["--embed-model", models.appendingPathComponent("arcface_like_512.onnx").path],
      environment: ["FACEHARVEST_MODELS": models.path])
    defer { try? FileManager.default.removeItem(at: run.root) }
    #expect(run.matrix.columns == 512)
    #expect(run.faces.allSatisfy { $0.embedding.count == 512 })
    #expect(run.outcome.standardOutput.contains("512-d"))
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", Self.episode, "--data-root", run.root.path, "--embed-width", "512",
    ])
    #expect(validate.status == 0, "\(validate.combined)")
  }
}
