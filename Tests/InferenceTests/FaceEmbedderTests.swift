import FaceAlignment
import FaceHarvestCore
import Foundation
import Media
import Testing

@testable import Inference

/// Aligned crops of real faces taken from the sample episode at ground-truth landmarks.
struct SampleFaces {
  struct Face {
    let identity: String
    let photo: String
    let frameIndex: Int
    let crop: BGRImage
  }

  let faces: [Face]

  /// One face per (identity, photo): the frame where that photo's face is largest and fully
  /// visible.
  static func load(size: Int) throws -> SampleFaces {
    let truthURL = TestEnvironment.dataRoot
      .appendingPathComponent("ground_truth/\(TestEnvironment.sampleEpisode)/ground_truth.jsonl")
    let text = try String(contentsOf: truthURL, encoding: .utf8)
    struct Pick {
      var identity: String
      var photo: String
      var frameIndex: Int
      var landmarks: [Point2D]
      var width: Double
    }
    var best: [String: Pick] = [:]
    for line in text.split(separator: "\n") {
      guard
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let identity = object["identity"] as? String, let photo = object["photo"] as? String,
        let frameIndex = object["frame_idx"] as? Int,
        let visible = object["visible_fraction"] as? Double, visible >= 0.999,
        let box = object["bbox_px"] as? [Double], let points = object["landmarks_px"] as? [Double],
        points.count == 10, box.count == 4
      else { continue }
      let width = box[2] - box[0]
      let key = "\(identity)/\(photo)"
      if width > (best[key]?.width ?? 0) {
        let landmarks = stride(from: 0, to: 10, by: 2).map {
          Point2D(x: points[$0], y: points[$0 + 1])
        }
        best[key] = Pick(
          identity: identity, photo: photo, frameIndex: frameIndex, landmarks: landmarks,
          width: width)
      }
    }
    let picks = best.values.sorted { $0.frameIndex < $1.frameIndex }
    let wanted = Dictionary(grouping: picks, by: \.frameIndex)
    var faces: [Face] = []
    let video = TestEnvironment.dataRoot
      .appendingPathComponent("videos/\(TestEnvironment.sampleEpisode)/episode.mp4")
    try FrameSource(url: video).forEach(.only(Set(wanted.keys))) { frame in
      for pick in wanted[frame.index] ?? [] {
        guard let crop = FaceAligner.align(frame.image, landmarks: pick.landmarks, size: size)
        else { continue }
        faces.append(
          Face(identity: pick.identity, photo: pick.photo, frameIndex: frame.index, crop: crop))
      }
      return true
    }
    return SampleFaces(faces: faces)
  }
}

@Suite("Face embedder on the folded SFace model", .serialized)
struct FaceEmbedderTests {
  @Test("SFace embeds real aligned faces: 128-d, finite, unit norm, identities separate")
  func sfaceOnRealFaces() throws {
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    let embedder = try FaceEmbedder(manifest: manifest, entry: try manifest.entry(named: "sface"))
    #expect(embedder.embeddingWidth == 128)
    let sample = try SampleFaces.load(size: embedder.inputSize.width)
    let identities = Set(sample.faces.map(\.identity))
    try #require(identities.count >= 3, "the sample episode must show at least three people")
    try #require(sample.faces.count >= 5)

    let results = try embedder.embed(sample.faces.map(\.crop))
    let embeddings = try results.map { try $0.get() }
    for embedding in embeddings {
      #expect(embedding.count == 128)
      #expect(embedding.allSatisfy { $0.isFinite })
      let norm = embedding.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
      #expect(abs(norm - 1) < 1e-4)
    }

    // The same crop twice gives the same vector.
    let again = try embedder.embed([sample.faces[0].crop, sample.faces[0].crop]).map {
      try $0.get()
    }
    #expect(cosineSimilarity(again[0], again[1]) > 0.9999)
    #expect(cosineSimilarity(again[0], embeddings[0]) > 0.9999)

    var same: [Float] = []
    var different: [Float] = []
    for i in 0..<sample.faces.count {
      for j in (i + 1)..<sample.faces.count {
        let similarity = cosineSimilarity(embeddings[i], embeddings[j])
        if sample.faces[i].identity == sample.faces[j].identity {
          same.append(similarity)
        } else {
          different.append(similarity)
        }
      }
    }
    try #require(!same.isEmpty && !different.isEmpty)
    let meanSame = same.reduce(0, +) / Float(same.count)
    let meanDifferent = different.reduce(0, +) / Float(different.count)
    // Different photos of one person (years apart) are clearly closer than different people.
    #expect(meanSame > meanDifferent + 0.2, "same \(meanSame) vs different \(meanDifferent)")
    #expect(different.max()! < 0.363, "OpenCV Zoo's SFace threshold separates every impostor pair")
  }

  @Test("batched and one-by-one embedding agree")
  func batchingIsTransparent() throws {
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    let embedder = try FaceEmbedder(manifest: manifest, entry: try manifest.entry(named: "sface"))
    let crops = try SampleFaces.load(size: 112).faces.prefix(4).map(\.crop)
    let batched = try embedder.embed(Array(crops)).map { try $0.get() }
    for (index, crop) in crops.enumerated() {
      let single = try embedder.embed([crop])[0].get()
      #expect(cosineSimilarity(single, batched[index]) > 0.99999)
    }
  }

  @Test("a detector model declared as an embedder is refused with the model's layout")
  func wrongLayout() throws {
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    var entry = try manifest.entry(named: "yunet")
    entry.role = .embedder
    entry.outputWidth = 128
    entry.inputWidth = 640
    entry.inputHeight = 640
    #expect {
      try FaceEmbedder(manifest: manifest, entry: entry)
    } throws: { error in
      guard case InferenceError.unexpectedModelLayout = error else { return false }
      return "\(error)".contains("yunet.onnx")
    }
  }

  @Test("a crop of the wrong size is an input error")
  func wrongCropSize() throws {
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    let embedder = try FaceEmbedder(manifest: manifest, entry: try manifest.entry(named: "sface"))
    #expect(throws: InferenceError.self) { try embedder.embed([BGRImage(width: 100, height: 112)]) }
  }

  @Test("zero and non-finite raw outputs are rejected, others normalised")
  func normalisation() throws {
    #expect(FaceEmbedder.normalise([0, 0, 0]) == .failure(EmbeddingRejectionError(.zeroEmbedding)))
    #expect(
      FaceEmbedder.normalise([1, .nan, 0]) == .failure(EmbeddingRejectionError(.nonFiniteEmbedding))
    )
    #expect(FaceEmbedder.normalise([3, 4]) == .success([0.6, 0.8]))
  }

  @Test("the CUDA device is refused clearly when the library has no CUDA provider")
  func cudaUnavailable() throws {
    let providers = try OrtEnvironment.availableProviders()
    #expect(providers.contains("CPUExecutionProvider"))
    guard !providers.contains("CUDAExecutionProvider") else { return }
    let manifest = try ModelManifest.load(from: TestEnvironment.manifestURL)
    #expect {
      try FaceEmbedder(manifest: manifest, entry: try manifest.entry(named: "sface"), device: .cuda)
    } throws: { error in
      "\(error)".contains("CUDAExecutionProvider")
    }
  }
}

@Suite("Input tensor")
struct InputTensorTests {
  @Test("an image smaller than the input fills its top-left corner; the rest is normalised black")
  func padding() throws {
    var entry = try ModelManifest.load(from: TestEnvironment.manifestURL).entry(named: "sface")
    entry.colourOrder = .rgb
    entry.mean = [10, 20, 30]
    entry.std = [2, 4, 5]
    // 3×2 image, pixel (x, y) = B x·10, G y·10, R 100.
    var pixels: [UInt8] = []
    for y in 0..<2 { for x in 0..<3 { pixels += [UInt8(x * 10), UInt8(y * 10), 100] } }
    let image = BGRImage(width: 3, height: 2, pixels: pixels)
    let tensor = try entry.inputTensor(for: [image, image], width: 5, height: 4)
    #expect(tensor.shape == [2, 3, 4, 5])
    for batch in 0..<2 {
      for channel in 0..<3 {
        for y in 0..<4 {
          for x in 0..<5 {
            // RGB order: channel 0 is red, 1 green, 2 blue.
            let inside = x < 3 && y < 2
            let byte = [100.0, Double(y * 10), Double(x * 10)][channel]
            let expected = Float(
              ((inside ? byte : 0) - Double(entry.mean[channel]))
                / Double(entry.std[channel]))
            let value = tensor.values[((batch * 3 + channel) * 4 + y) * 5 + x]
            #expect(abs(value - expected) < 1e-5, "b\(batch) c\(channel) (\(x), \(y))")
          }
        }
      }
    }
    #expect(throws: InferenceError.self) {
      try entry.inputTensor(for: [image], width: 2, height: 4)
    }
    #expect(throws: InferenceError.self) { try entry.inputTensor(for: [image]) }
  }
}
