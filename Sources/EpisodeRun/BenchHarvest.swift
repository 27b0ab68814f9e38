import ArgumentParser
import Benchmarks
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Harvest
import Inference

/// `episode-run bench-harvest`: decode-only, inference-only and end-to-end harvest timings on
/// one episode, measured in one run (`make bench` calls it).
struct BenchHarvest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-harvest",
    abstract: "Time decode-only, inference-only and the end-to-end harvest on one episode."
  )

  @OptionGroup var episode: EpisodeOptions
  @OptionGroup var configFiles: ConfigOptions
  @OptionGroup(title: "Faces Harvest") var harvest: HarvestOptions

  @Flag(help: "Print the measurements as one JSON object.")
  var json = false

  func run() throws {
    let manifest = try ModelManifest.load(from: ModelManifest.defaultURL())
    let options = try configFiles.resolve(
      [.facesEmbed], flags: harvest.overrides, manifest: manifest)
    let result = try HarvestBenchmark.run(
      layout: episode.layout(), episode: try episode.episodeID(),
      config: try options.required(\.harvest, for: .facesEmbed), manifest: manifest,
      logger: episode.logger("faceharvest.bench"))
    try printMeasurement(result, text: result.text(), asJSON: json)
  }
}

/// Prints a benchmark's result: one sorted-key JSON object, or its text for the terminal.
func printMeasurement<Result: Encodable>(_ result: Result, text: String, asJSON: Bool) throws {
  guard asJSON else {
    print(text)
    return
  }
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  print(String(decoding: try encoder.encode(result), as: UTF8.self))
}
