import FaceHarvestCore
import Foundation
import Testing

@testable import Media

/// Makes small test videos with the ffmpeg command-line tool that `make setup` installs.
enum TestVideos {
  static func ffmpeg(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw VideoError.open(
        path: arguments.last ?? "", message: "ffmpeg exited \(process.terminationStatus)")
    }
  }

  /// A 30-frame 25 fps H.264 clip with B-frames (decode order ≠ presentation order).
  static func makeClip(frames: Int = 30, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent("clip.mp4")
    try ffmpeg([
      "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "\(frames)",
      "-c:v", "libx264", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p", url.path,
    ])
    return url
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-media-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

@Suite("Video decoder (FFmpeg)")
struct VideoDecoderTests {
  @Test("decodes every frame once, in presentation order, with timestamps")
  func decodesAllFrames() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let decoder = try VideoDecoder(url: try TestVideos.makeClip(in: directory))
    #expect(decoder.info.width == 160 && decoder.info.height == 120)
    #expect(abs(decoder.info.frameRate - 25) < 1e-9)
    #expect(decoder.info.codecName == "h264")
    var indices: [Int] = []
    var timestamps: [Double] = []
    var images: [Int: BGRImage] = [:]
    let count = try decoder.decode(images: .all) { frame in
      indices.append(frame.index)
      timestamps.append(frame.timestamp)
      if let image = frame.image { images[frame.index] = image }
      return true
    }
    #expect(count == 30)
    #expect(indices == Array(0..<30))
    #expect(decoder.skippedFrames == 0)
    for (index, timestamp) in timestamps.enumerated() {
      #expect(abs(timestamp - Double(index) / 25) < 1e-6)
    }
    #expect(images.keys.sorted() == Array(0..<30))
    let image = try #require(images[13])
    #expect(image.width == 160 && image.height == 120)
    // testsrc is colourful: the frame must not be uniform.
    #expect(Set(image.pixels).count > 20)
  }

  @Test(
    "a sparse selection skips unneeded non-reference frames and changes nothing else",
    arguments: [
      ["-bf", "3", "-x264-params", "b-pyramid=none:b-adapt=0"],
      ["-bf", "3", "-x264-params", "b-pyramid=normal:b-adapt=0"],
    ])
  func skipsNonReferenceFrames(options: [String]) throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = directory.appendingPathComponent("bframes.mp4")
    try TestVideos.ffmpeg(
      ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "60", "-c:v", "libx264"]
        + options + ["-g", "30", "-pix_fmt", "yuv420p", clip.path])
    var full: [Int: (timestamp: Double, image: BGRImage)] = [:]
    let fullCount = try VideoDecoder(url: clip).decode(images: .all) { frame in
      full[frame.index] = (frame.timestamp, frame.image!)
      return true
    }
    #expect(fullCount == 60)

    // Every frame that could be a B-frame, and the last one.
    let wanted: Set<Int> = [1, 2, 6, 14, 33, 47, 58, 59]
    let sparse = try VideoDecoder(url: clip)
    var seen: [Int] = []
    var images: [Int: BGRImage] = [:]
    let count = try sparse.decode(images: .only(wanted)) { frame in
      seen.append(frame.index)
      #expect(abs(frame.timestamp - full[frame.index]!.timestamp) < 1e-9)
      if let image = frame.image { images[frame.index] = image }
      return true
    }
    #expect(count == 60)
    #expect(sparse.skippedFrames > 10, "x264 -bf 3 makes many non-reference B-frames")
    #expect(seen.count + sparse.skippedFrames == 60)
    #expect(seen == seen.sorted())
    #expect(Set(images.keys) == wanted)
    for index in wanted {
      #expect(images[index] == full[index]?.image, "frame \(index) differs from a full decode")
    }
  }

  @Test("a stride selection converts exactly every n-th frame, identical to a full decode")
  func strideSelection() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = directory.appendingPathComponent("stride.mp4")
    try TestVideos.ffmpeg(
      [
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "40", "-c:v", "libx264",
        "-bf", "2", "-g", "20", "-pix_fmt", "yuv420p", clip.path,
      ])
    var full: [Int: BGRImage] = [:]
    try VideoDecoder(url: clip).decode(images: .all) { frame in
      full[frame.index] = frame.image
      return true
    }
    let strided = try VideoDecoder(url: clip)
    var images: [Int: BGRImage] = [:]
    let count = try strided.decode(images: .every(3)) { frame in
      if let image = frame.image { images[frame.index] = image }
      return true
    }
    #expect(count == 40)
    #expect(images.keys.sorted() == Array(stride(from: 0, to: 40, by: 3)))
    for (index, image) in images { #expect(image == full[index], "frame \(index)") }
    #expect(FrameSelection.every(1).contains(7))
    #expect(!FrameSelection.every(4).contains(7) && FrameSelection.every(4).contains(8))
  }

  @Test("the body can stop decoding early")
  func stopsEarly() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let decoder = try VideoDecoder(url: try TestVideos.makeClip(in: directory))
    let count = try decoder.decode(images: .none) { $0.index < 4 }
    #expect(count == 5)
  }

  @Test("a missing file and a non-video file are clear errors")
  func badFiles() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = directory.appendingPathComponent("missing.mp4")
    #expect {
      try VideoDecoder(url: missing)
    } throws: { error in
      "\(error)".contains("missing.mp4")
    }
    let text = directory.appendingPathComponent("notes.mp4")
    try Data("this is not a video".utf8).write(to: text)
    #expect {
      try VideoDecoder(url: text)
    } throws: { error in
      "\(error)".contains("notes.mp4")
    }
  }

  @Test("a truncated file fails to open or yields fewer frames, never crashes")
  func truncated() throws {
    let directory = try TestVideos.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let clip = try TestVideos.makeClip(frames: 50, in: directory)
    let bytes = try Data(contentsOf: clip)
    let truncated = directory.appendingPathComponent("truncated.mp4")
    try bytes.prefix(bytes.count / 2).write(to: truncated)
    do {
      let decoder = try VideoDecoder(url: truncated)
      let count = try decoder.decode(images: .all) { _ in true }
      #expect(count < 50)
    } catch let error as VideoError {
      #expect("\(error)".contains("truncated.mp4"))
    }
  }
}
