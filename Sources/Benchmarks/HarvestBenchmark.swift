public import Artifacts
public import FaceHarvestCore
import Foundation
public import Harvest
import Inference
public import Logging
import Media
import ThreadPrimitives

/// Measures the harvest against its parts on one episode, in one process: decode-only (the
/// decoder pass the harvest needs, alone), inference-only (the embedder on the harvested crops,
/// alone) and the end-to-end harvest (into a scratch data root, so the episode's artifacts are
/// not touched). The parts run with the threads the harvest gives them (`ThreadBudget`), so the
/// ratio measures how well they overlap, not a difference in threads (README, "Benchmark").
public enum HarvestBenchmark {
  /// The measurements.
  public struct Result: Sendable, Codable, Equatable {
    /// The episode.
    public var episode: String
    /// Frames decoded.
    public var frames: Int
    /// Faces embedded.
    public var faces: Int
    /// Decode-only wall seconds.
    public var decodeSeconds: Double
    /// Inference-only wall seconds.
    public var inferenceSeconds: Double
    /// End-to-end harvest wall seconds.
    public var endToEndSeconds: Double
    /// Peak resident memory of the process, MiB.
    public var peakMemoryMiB: Double

    /// End-to-end over (decode-only + inference-only); the target is ≤ 0.85.
    public var overlapRatio: Double {
      endToEndSeconds / max(1e-9, decodeSeconds + inferenceSeconds)
    }
    /// Faces per second end to end.
    public var facesPerSecond: Double { Double(faces) / max(1e-9, endToEndSeconds) }

    /// A few aligned lines for the terminal.
    public func text() -> String {
      [
        "bench \(episode): \(frames) frames, \(faces) faces",
        String(format: "  decode-only     %7.2f s", decodeSeconds),
        String(format: "  inference-only  %7.2f s", inferenceSeconds),
        String(format: "  end-to-end      %7.2f s", endToEndSeconds),
        String(
          format: "  ratio end-to-end / (decode + inference) = %.2f (target <= 0.85)", overlapRatio),
        String(format: "  faces/s         %7.1f", facesPerSecond),
        String(format: "  peak memory     %7.0f MiB", peakMemoryMiB),
      ].joined(separator: "\n")
    }
  }

  /// Runs the three measurements with `config` (crops are not saved), each `repetitions` times,
  /// and reports the medians: the machine is shared and noisy.
  public static func run(
    layout: DataLayout, episode: EpisodeID, config: HarvestConfig, manifest: ModelManifest,
    repetitions: Int = 3, logger: Logger = Logger(label: "faceharvest.bench")
  ) throws -> Result {
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let repetitions = max(1, repetitions)
    var config = config
    config.saveCrops = false
    let harvester = FacesHarvester(
      layout: layout, episode: episode, config: config, manifest: manifest, logger: logger)
    let inputs = try harvester.loadInputs()
    let videoURL = layout.video(episode)

    // Decode-only: the same pass and BGR conversions the harvest needs, nothing else.
    let info = try FrameSource(url: videoURL, logger: logger).info
    let plan = harvester.makePlan(inputs, frameWidth: info.width, frameHeight: info.height)
    let frames = Set(plan.faces.map(\.frameIndex))
    // Warm the file cache.
    try FrameSource(url: videoURL, logger: logger).forEach(.none) { _ in true }
    var decoded = 0
    var decodeTimes: [Double] = []
    for _ in 0..<repetitions {
      let source = try FrameSource(
        url: videoURL, decoderThreads: ThreadBudget.poolThreads(0), logger: logger)
      let decodeStarted = Date()
      decoded = try source.forEach(.only(frames)) { _ in true }.framesPassed
      decodeTimes.append(Date().timeIntervalSince(decodeStarted))
    }
    let decodeSeconds = median(decodeTimes)

    let inferenceSeconds = try measureInference(
      plan: plan, frames: frames, videoURL: videoURL, config: config, manifest: manifest,
      layout: layout, repetitions: repetitions, logger: logger)

    // End to end, into a scratch data root that links the video and copies the manifests.
    let scratchLayout = try layout.scratchCopy(
      of: episode, copying: [{ $0.tracks($1) }, { $0.detections($1) }])
    defer { try? FileManager.default.removeItem(at: scratchLayout.root) }
    var endToEndTimes: [Double] = []
    var faces = 0
    for _ in 0..<repetitions {
      let endToEndStarted = Date()
      let summary = try FacesHarvester(
        layout: scratchLayout, episode: episode, config: config, manifest: manifest,
        logger: logger
      ).run()
      endToEndTimes.append(Date().timeIntervalSince(endToEndStarted))
      faces = summary.facesKept
    }
    return Result(
      episode: episode.rawValue, frames: decoded, faces: faces, decodeSeconds: decodeSeconds,
      inferenceSeconds: inferenceSeconds, endToEndSeconds: median(endToEndTimes),
      peakMemoryMiB: peakResidentMemoryMiB())
  }

  /// Median seconds to embed the harvested crops; the crops are prepared untimed, and the model
  /// is released before the end-to-end runs.
  private static func measureInference(
    plan: HarvestPlanner.Plan, frames: Set<Int>, videoURL: URL, config: HarvestConfig,
    manifest: ModelManifest, layout: DataLayout, repetitions: Int, logger: Logger
  ) throws -> Double {
    let entry = try FacesHarvester.embedderEntry(named: config.embedModel, in: manifest)
    let embedder = try FaceEmbedder(
      manifest: manifest, entry: entry, device: config.embedDevice,
      intraOpThreads: ThreadBudget.poolThreads(0), logger: logger)
    let byFrame = Dictionary(grouping: plan.faces, by: \.frameIndex)
    var crops: [BGRImage] = []
    let jpeg = try JPEGEncoder()
    try FrameSource(url: videoURL, logger: logger).forEach(.only(frames)) { frame in
      for face in byFrame[frame.index] ?? [] {
        if case .success(let gated) = try FacesHarvester.cropAndGate(
          face, in: frame.image, config: config, inputSize: embedder.inputSize, staging: nil,
          encoder: jpeg, layout: layout)
        {
          crops.append(gated.modelCrop)
        }
      }
      return true
    }
    if let first = crops.first { _ = try embedder.embed([first]) }  // warm-up
    var times: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      var start = 0
      while start < crops.count {
        let end = min(crops.count, start + config.embedBatchSize)
        _ = try embedder.embed(Array(crops[start..<end]))
        start = end
      }
      times.append(Date().timeIntervalSince(started))
    }
    return times.sorted()[times.count / 2]
  }
}
