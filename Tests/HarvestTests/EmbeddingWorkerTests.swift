import FaceAlignment
import FaceHarvestCore
import FaceQuality
import Foundation
import Inference
import Media
import Testing
import ThreadPrimitives

@testable import Harvest

@Suite("EmbeddingWorker", .serialized)
struct EmbeddingWorkerTests {
  static var manifestURL: URL {
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let deps = ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"].flatMap {
      $0.isEmpty ? nil : $0
    }
    return URL(fileURLWithPath: deps ?? root.appendingPathComponent(".deps").path)
      .appendingPathComponent("models/manifest.json")
  }

  static func embedder() throws -> (Deferred<FaceEmbedder>, FaceEmbedder) {
    let manifest = try ModelManifest.load(from: manifestURL)
    let entry = try #require(manifest.models.first { $0.name == "sface" })
    let embedder = try FaceEmbedder(manifest: manifest, entry: entry, intraOpThreads: 1)
    return (Deferred(name: "test.embedder") { embedder }, embedder)
  }

  /// A face with a crop of seeded noise (a different crop for each `seed`).
  static func face(_ seed: Int, size: Int = 112) -> FacesHarvester.GatedFace {
    var state = UInt64(seed) &* 6_364_136_223_846_793_005 &+ 1
    let pixels = (0..<(size * size * 3)).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    let planned = PlannedFace(
      id: seed, trackID: "track-\(seed / 3)", frameIndex: seed, bbox: [0, 0, 1, 1],
      landmarks: [], landmarkPoints: [], confidence: 0.9, shortSide: 112,
      pose: HeadPose(yaw: 0, pitch: 0),
      preCropQuality: QualityScore(
        confidence: 0.9, shortSidePixels: 112, laplacianVariance: nil, maxBlur: 100,
        yawDegrees: 0))
    return FacesHarvester.GatedFace(
      face: planned, quality: 0.5, modelCrop: BGRImage(width: size, height: size, pixels: pixels),
      sharpness: 100, padding: 0)
  }

  @Test("batches come back in submission order, with the embeddings of an embed on this thread")
  func order() throws {
    let (deferred, embedder) = try Self.embedder()
    let batches = (0..<12).map { batch in (0..<(1 + batch % 4)).map { Self.face(batch * 8 + $0) } }
    let worker = EmbeddingWorker(embedder: deferred)
    var taken: [EmbeddingWorker.Embedded] = []
    for batch in batches {
      try worker.submit(batch)
      taken += worker.takeEmbedded().embedded
    }
    try worker.finish()
    let rest = worker.takeEmbedded()
    taken += rest.embedded
    #expect(taken.map { $0.batch.map(\.face.id) } == batches.map { $0.map(\.face.id) })
    for (batch, results) in taken {
      let expected = try embedder.embed(batch.map(\.modelCrop))
      #expect(try results.map { try $0.get() } == expected.map { try $0.get() })
    }
    #expect(worker.takeEmbedded().embedded.isEmpty)
  }

  @Test("the embedder's error reaches the submitter, and the thread stops")
  func failure() throws {
    let (deferred, _) = try Self.embedder()
    let worker = EmbeddingWorker(embedder: deferred)
    try worker.submit([Self.face(1, size: 50)])  // not the model's 112×112 input
    let isInputError: @Sendable (any Error) -> Bool = { error in
      guard case InferenceError.invalidInput = error else { return false }
      return true
    }
    #expect(performing: { try worker.finish() }, throws: isInputError)
    #expect(performing: { try worker.submit([Self.face(2)]) }, throws: isInputError)
  }
}
