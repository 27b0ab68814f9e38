import FaceAlignment
import FaceHarvestCore
import Testing

@testable import DetectTrack

/// The small-face schedule (docs/detect_track.md, "Small faces"): which frames are scans, and
/// what a scan decides.
@Suite("small-face scan schedule")
struct SmallFaceScanTests {
  /// A 1280-wide frame at a 640 input: half an input pixel per frame pixel.
  static func schedule(scale: Double = 2) -> SmallFaceScan {
    SmallFaceScan(
      enlargedScale: scale, smallFaceSize: 24, scanSeconds: 4, inputPixelsPerFramePixel: 0.5,
      detThresh: 0.5)
  }

  static func face(side: Double, score: Double = 0.9) -> FaceDetection {
    FaceDetection(
      box: [100, 100, 100 + side, 100 + side * 1.2],
      landmarks: Array(repeating: Point2D(x: 110, y: 110), count: 5), score: score)
  }

  @Test("the first frame and one every scan_seconds are scans while no small face is seen")
  func periodicScans() {
    var scan = Self.schedule()
    #expect(scan.isScan(at: 0))
    scan.record(scan: [Self.face(side: 120)], at: 0)
    #expect(!scan.shotIsEnlarged && scan.currentScale == 1)
    #expect(!scan.isScan(at: 3.96))
    #expect(scan.isScan(at: 4.0))
  }

  @Test("a face under small_face_size input pixels enlarges the rest of the shot; a cut ends it")
  func enlargesUntilCut() {
    var scan = Self.schedule()
    scan.record(scan: [Self.face(side: 120), Self.face(side: 46)], at: 0)  // 23 input px
    #expect(scan.shotIsEnlarged && scan.currentScale == 2)
    #expect(!scan.isScan(at: 10), "an enlarged shot needs no more scans")
    scan.startShot()
    #expect(!scan.shotIsEnlarged && scan.currentScale == 1)
    #expect(scan.isScan(at: 10.04), "a new shot starts with a scan")
  }

  @Test("faces at the size limit or under det_thresh do not count")
  func boundaries() {
    var scan = Self.schedule()
    scan.record(scan: [Self.face(side: 48)], at: 0)  // exactly 24 input px
    #expect(!scan.shotIsEnlarged)
    scan.record(scan: [Self.face(side: 20, score: 0.49)], at: 4)
    #expect(!scan.shotIsEnlarged)
    scan.record(scan: [Self.face(side: 20, score: 0.5)], at: 8)
    #expect(scan.shotIsEnlarged)
  }

  @Test("small_face_scale 1 turns scans off")
  func off() {
    let scan = Self.schedule(scale: 1)
    #expect(!scan.isEnabled && !scan.isScan(at: 0) && scan.currentScale == 1)
  }
}
