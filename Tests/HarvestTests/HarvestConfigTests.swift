import Foundation
import Inference
import PipelineConfig
import Testing

@testable import Harvest

@Suite("Harvest config")
struct HarvestConfigTests {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test("the shipped config file sets every key, to the documented defaults")
  func shippedConfig() throws {
    let url = Self.repositoryRoot.appendingPathComponent(HarvestConfig.defaultPath)
    let file = try ConfigFile(url: url)
    #expect(file.keys == HarvestConfig.keys)
    #expect(try HarvestConfig.load(file) == HarvestConfig())
  }

  @Test("values override the defaults")
  func overrides() throws {
    let file = try ConfigFile(
      yaml: "sampling_mode: stratified\nmax_crops_per_track: 8\nembed_device: cuda\n",
      path: "h.yaml")
    let config = try HarvestConfig.load(file)
    #expect(config.samplingMode == .stratified)
    #expect(config.maxCropsPerTrack == 8)
    #expect(config.embedDevice == .cuda)
    #expect(config.minQuality == 0.7)
  }

  @Test("an unknown key or a bad value fails with the file and line")
  func errors() throws {
    #expect {
      try HarvestConfig.load(
        try ConfigFile(yaml: "min_quality: 0.7\nmax_blurr: 3\n", path: "h.yaml"))
    } throws: { "\($0)".hasPrefix("h.yaml:2: max_blurr:") }
    #expect {
      try HarvestConfig.load(try ConfigFile(yaml: "jpeg_quality: 101\n", path: "h.yaml"))
    } throws: { "\($0)".hasPrefix("h.yaml:1: jpeg_quality:") }
    #expect {
      try HarvestConfig.load(try ConfigFile(yaml: "sampling_mode: random\n", path: "h.yaml"))
    } throws: { "\($0)".contains("quality-weighted") }
  }
}
