import ArgumentParser
import Benchmarks
import DetectTrack
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Inference

/// `episode-run bench-detect-track`: detector-only, tracker-only and end-to-end detect-track
/// timings on one episode, measured in one run (`make bench` calls it).
struct BenchDetectTrack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-detect-track",
    abstract: "Time detector-only, tracker-only and the end-to-end detect-track stage."
  )

  @OptionGroup var episode: EpisodeOptions
  @OptionGroup var configFiles: ConfigOptions
  @OptionGroup(title: "Detect & track") var detectTrack: DetectTrackOptions

  @Flag(help: "Print the measurements as one JSON object.")
  var json = false

  func run() throws {
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    let options = try configFiles.resolve(
      [.detectTrack], flags: detectTrack.overrides, manifest: manifest)
    let result = try DetectTrackBenchmark.run(
      layout: episode.layout(), episode: try episode.episodeID(),
      config: try options.required(\.tracking, for: .detectTrack), manifest: manifest,
      logger: episode.logger("faceharvest.bench"))
    try printMeasurement(result, text: result.text(), asJSON: json)
  }
}
