import Foundation
import PipelineConfig
import Testing

@testable import DetectTrack

@Suite("Tracking config")
struct TrackingConfigTests {
  @Test("the shipped tracking.yaml holds exactly the defaults (ByteTrack's published values)")
  func shippedFileIsTheDefaults() throws {
    let url = DetectTestEnvironment.repositoryRoot.appendingPathComponent(
      TrackingConfig.defaultPath)
    let loaded = try TrackingConfig.load(try ConfigFile(url: url))
    #expect(loaded == TrackingConfig())
    let tracker = loaded.byteTrack(analysedFPS: 25)
    #expect(tracker.trackThresh == 0.5 && tracker.newTrackThresh == 0.6)
    #expect(tracker.trackBuffer == 30 && tracker.matchThresh == 0.8 && tracker.minBoxArea == 10)
    #expect(tracker.frameRate == 25)
    // Every key of the loader is in the shipped file, so the file documents them all.
    #expect(try ConfigFile(url: url).keys == TrackingConfig.keys)
  }

  @Test("an unknown key and contradictory thresholds are errors with file and line")
  func badFiles() throws {
    #expect {
      try TrackingConfig.load(try ConfigFile(yaml: "stride: 2\nstrde: 3\n", path: "t.yaml"))
    } throws: { error in
      let text = "\(error)"
      return text.contains("t.yaml:2") && text.contains("strde")
    }
    #expect {
      try TrackingConfig.load(
        try ConfigFile(yaml: "det_thresh: 0.3\nlow_thresh: 0.4\n", path: "t.yaml"))
    } throws: { error in
      "\(error)".contains("t.yaml:2") && "\(error)".contains("low_thresh")
    }
    #expect(throws: ConfigError.self) {
      try TrackingConfig.load(try ConfigFile(yaml: "stride: 0\n", path: "t.yaml"))
    }
  }

  @Test("the stride comes from target_fps when it is set")
  func strideFromTargetFPS() {
    var config = TrackingConfig()
    config.stride = 3
    #expect(config.effectiveStride(frameRate: 25) == 3)
    config.targetFPS = 5
    #expect(config.effectiveStride(frameRate: 25) == 5)
    #expect(config.effectiveStride(frameRate: 29.97) == 6)
    config.targetFPS = 100
    #expect(config.effectiveStride(frameRate: 25) == 1)
  }
}
