import FaceHarvestCore
import Foundation
import Media
import Testing

@testable import DetectTrack

@Suite("Scene cuts")
struct SceneCutDetectorTests {
  @Test("finds exactly the sample episode's hard cuts, none inside zooms and pans")
  func sampleCuts() throws {
    let shotsURL = DetectTestEnvironment.data.appendingPathComponent(
      "ground_truth/sample-s01e01/shots.json")
    let shots = try #require(
      (try JSONSerialization.jsonObject(with: Data(contentsOf: shotsURL)) as? [String: Any])?[
        "shots"]
        as? [[String: Any]])
    let expected = shots.compactMap { $0["start_frame"] as? Int }.filter { $0 > 0 }
    try #require(expected.count >= 5)
    var detector = SceneCutDetector()
    var cuts: [Int] = []
    try FrameSource(
      url: DetectTestEnvironment.data.appendingPathComponent("videos/sample-s01e01/episode.mp4")
    ).forEach(.all) { frame in
      if detector.isCut(before: frame.image) { cuts.append(frame.index) }
      return true
    }
    #expect(cuts == expected)
  }

  @Test("identical frames are no cut; a switch of colours is; short shots are merged")
  func synthetic() {
    let red = BGRImage(
      width: 8, height: 8,
      pixels: [UInt8](repeating: 0, count: 192).enumerated().map { $0.offset % 3 == 2 ? 255 : 0 })
    let blue = BGRImage(
      width: 8, height: 8,
      pixels: [UInt8](repeating: 0, count: 192).enumerated().map { $0.offset % 3 == 0 ? 255 : 0 })
    #expect(
      SceneCutDetector.distance(
        SceneCutDetector().histogram(red), SceneCutDetector().histogram(blue)) == 1)
    var detector = SceneCutDetector(minimumShotLength: 3)
    let sequence = [red, red, red, blue, red, blue, blue, blue, red]
    let cuts = sequence.enumerated().filter { detector.isCut(before: $0.element) }.map(\.offset)
    #expect(cuts == [3, 8], "the switch at 4 comes only one frame after the cut at 3")
  }
}
