import Foundation
import Testing

/// The dense bench episode `make setup` builds (docs/sample_episode.md, "The dense bench
/// episode"): what `make bench` measures crowded episodes on must stay crowded.
@Suite("the dense bench episode")
struct DenseEpisodeTests {
  static let episode = "dense-s01e01"

  @Test("≥ 3 faces a frame, ≥ 30 people, crowds of 16–40 px faces, B-frames")
  func crowded() throws {
    let truth = EpisodeRunProcess.repositoryRoot.appendingPathComponent(
      "data/ground_truth/\(Self.episode)/ground_truth.jsonl")
    let rows = try String(contentsOf: truth, encoding: .utf8).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let frames = Set(rows.compactMap { $0["frame_idx"] as? Int })
    let people = Set(rows.compactMap { $0["identity"] as? String })
    let heights = rows.compactMap { row -> Double? in
      guard let box = row["bbox_px"] as? [Double], box.count == 4 else { return nil }
      return box[3] - box[1]
    }
    let small = heights.filter { (16..<40).contains($0) }.count
    let facesPerFrame = Double(rows.count) / Double(max(1, frames.count))
    #expect(frames.count == 1500)
    #expect(facesPerFrame >= 3, "\(facesPerFrame) faces a frame")
    #expect(people.count >= 30, "\(people.count) people")
    #expect(Double(small) / Double(heights.count) >= 0.3, "\(small) of \(heights.count)")
    #expect(heights.min() ?? 0 >= 16, "smallest face \(heights.min() ?? 0) px")

    let probe = Process()
    let output = Pipe()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = [
      "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pict_type",
      "-of", "csv=p=0",
      EpisodeRunProcess.repositoryRoot.appendingPathComponent(
        "data/videos/\(Self.episode)/episode.mp4"
      ).path,
    ]
    probe.standardOutput = output
    try probe.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    probe.waitUntilExit()
    let types = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(types.count == 1500)
    #expect(types.filter { $0.hasPrefix("B") }.count >= 500, "B-frames")
  }
}
