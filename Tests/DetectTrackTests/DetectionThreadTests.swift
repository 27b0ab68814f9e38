import FaceHarvestCore
import Foundation
import Inference
import Media
import Testing

@testable import DetectTrack

@Suite("Detection thread", .serialized)
struct DetectionThreadTests {
  /// sample-s01e02 has wide shots, so small-face scans and enlarged shots happen in its frames.
  static let video = DetectTestEnvironment.data.appendingPathComponent(
    "videos/sample-s01e02/episode.mp4")

  static func settings(
    _ detector: any FaceDetector, for source: FrameSource,
    isCancelled: @escaping @Sendable () -> Bool = { false }
  ) -> DetectionThread.Settings {
    DetectionThread.Settings(
      detector: detector,
      cuts: SceneCutDetector(threshold: 0.15, minimumShotLength: 4),
      scan: SmallFaceScan(
        enlargedScale: 2, smallFaceSize: 24, scanSeconds: 4,
        inputPixelsPerFramePixel: detector.inputPixelsPerFramePixel(
          frameWidth: source.info.width, frameHeight: source.info.height),
        detThresh: 0.5),
      scoreThreshold: 0.1, isCancelled: isCancelled)
  }

  static func yunet() throws -> any FaceDetector {
    let manifest = try ModelManifest.load(from: DetectTestEnvironment.manifestURL)
    return try DetectorFamily.load(named: "yunet", from: manifest, intraOpThreads: 1)
  }

  static func startSource(_ detector: any FaceDetector) throws -> FrameSource {
    let source = try FrameSource(url: video, decoderThreads: 1)
    let size = detector.inputImageSize(
      frameWidth: source.info.width, frameHeight: source.info.height)
    source.start(
      .every(3), size: .fixed(width: size.width, height: size.height), keepsPictures: true)
    return source
  }

  @Test("finds the same cuts, faces and scans as detecting frame by frame on the caller's thread")
  func sameAsSequential() throws {
    let detector = try Self.yunet()

    // Reference: the frames one at a time, cuts then detection, on this thread.
    let reference = try Self.startSource(detector)
    let settings = Self.settings(detector, for: reference)
    var cuts = settings.cuts
    var scan = settings.scan
    let scaler = PictureScaler()
    var expected: [(index: Int, cut: Bool, faces: [FaceDetection])] = []
    var expectedEnlarged = 0
    while let frame = try reference.next() {
      let isCut = cuts.isCut(before: cuts.histogram(frame.image))
      let found = try DetectTrackStage.detect(
        [frame], cutBefore: [isCut], detector: detector, scoreThreshold: 0.1, scan: &scan,
        scaler: scaler)
      expected.append((frame.index, isCut, found.faces[0]))
      expectedEnlarged += found.enlarged
    }
    _ = try reference.finish()

    let source = try Self.startSource(detector)
    let thread = DetectionThread(source: source, settings: settings)
    var actual: [(index: Int, cut: Bool, faces: [FaceDetection])] = []
    var enlarged = 0
    while let batch = try thread.next() {
      for (frame, (cut, faces)) in zip(batch.frames, zip(batch.cutBefore, batch.faces)) {
        actual.append((frame.index, cut, faces))
      }
      enlarged += batch.enlarged
    }
    _ = try source.finish()

    try #require(expected.count > 200)
    #expect(expected.contains { $0.cut })
    #expect(expectedEnlarged > 0, "the sample's wide shots must make scans happen")
    #expect(actual.map(\.index) == expected.map(\.index))
    #expect(actual.map(\.cut) == expected.map(\.cut))
    #expect(actual.map(\.faces) == expected.map(\.faces))
    #expect(enlarged == expectedEnlarged)
  }

  @Test("stopping mid-pass ends the thread and the source; next() then returns nil")
  func stopsMidPass() throws {
    let detector = try Self.yunet()
    let source = try Self.startSource(detector)
    let thread = DetectionThread(source: source, settings: Self.settings(detector, for: source))
    let first = try #require(try thread.next())
    #expect(first.frames.first?.index == 0)
    thread.stop()
    #expect(try thread.next() == nil)
    #expect(!source.counts.complete)
  }

  @Test("a cancelled run ends with DetectTrackError.cancelled from next()")
  func cancellation() throws {
    let detector = try Self.yunet()
    let source = try Self.startSource(detector)
    let thread = DetectionThread(
      source: source, settings: Self.settings(detector, for: source, isCancelled: { true }))
    #expect {
      while try thread.next() != nil {}
    } throws: { error in
      guard case DetectTrackError.cancelled = error else { return false }
      return true
    }
  }
}
