import Artifacts
import Foundation
import Testing

@testable import Identities

/// `ScreenTimeWriter` on a data root holding the artifacts it reads.
@Suite("Screen-time files written")
struct ScreenTimeWriterTests {
  struct Root {
    let url: URL
    var layout: DataLayout { DataLayout(root: url) }
    let episode = try! EpisodeID(ScreenTimeTests.episode)

    init(metrics: Bool = true, shots: Bool = true) throws {
      url = FileManager.default.temporaryDirectory
        .appendingPathComponent("faceharvest-screentime-\(UUID().uuidString)")
      let tracks = [
        ScreenTimeTests.track(1, 0...9), ScreenTimeTests.track(2, 14...19),
        ScreenTimeTests.track(3, 60...69),
      ]
      try JSONLWriter.write(tracks, to: layout.tracks(episode))
      if shots { try JSONLWriter.write(ScreenTimeTests.shots, to: layout.shots(episode)) }
      try AtomicFile.writeJSON(
        IdentitiesDocument(
          identities: [
            ScreenTimeTests.identity(1, Array(tracks[0...1]), labels: ["name": "Ōtsuka, Rin"])
          ],
          metadata: IdentitiesMetadata(
            epID: episode.rawValue, numTracks: 2, numClusters: 1, numSingletons: 0,
            singletonFraction: 0, largestClusterSize: 2, largestClusterFraction: 1,
            clusterThresh: 0.4, minClusterSize: 2, algorithm: "agglomerative",
            linkage: "average", createdAt: "2026-01-01T00:00:00Z",
            unidentifiedTracks: [UnidentifiedTrack(trackID: tracks[2].trackID, reason: .unmatched)])
        ),
        to: layout.identities(episode))
      if metrics {
        try AtomicFile.writeJSON(
          TrackMetrics(
            epID: episode.rawValue, tracksBorn: 3, tracksLost: 3, idSwitches: 0,
            longestTracks: [], avgTracksPerFrame: 0.3, tracksPerMinute: 18,
            shortTrackFraction: 0.3, totalFrames: 100, analyzedFPS: 10, elapsedSeconds: 1,
            device: "cpu", detector: "yunet", tracker: "bytetrack", sceneCuts: 1),
          to: layout.trackMetrics(episode))
      }
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
  }

  @Test("writes the JSON and the CSV of one report, timed by track_metrics.json, validate-clean")
  func writes() throws {
    let root = try Root()
    defer { root.remove() }
    let report = try ScreenTimeWriter(
      layout: root.layout, episode: root.episode, gapSeconds: 0.5
    ).write()
    #expect(report.durationSeconds == 10 && report.frameStepSeconds == 0.1)
    #expect(report.timingSource == "track_metrics.json" && report.cutsKnown)
    #expect(report.identities.map(\.seconds) == [2.0] && report.unidentified.seconds == 1.0)
    #expect(report.identities.first?.name == "Ōtsuka, Rin")
    let json = try AtomicFile.readJSON(
      ScreenTimeReport.self, from: root.layout.screentimeJSON(root.episode))
    #expect(json == report)
    let csv = try String(contentsOf: root.layout.screentimeCSV(root.episode), encoding: .utf8)
    #expect(csv == ScreenTimeCSV.text(report))
    #expect(csv.contains("\"Ōtsuka, Rin\""))
    let folder = root.layout.analyticsDir(root.episode).path
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [
        "screentime.csv", "screentime.json",
      ])
    let validation = ArtifactValidator(layout: root.layout, episode: root.episode).validate()
    #expect(validation.violations.map(\.description) == [])
  }

  @Test("a refresh after an edit bridges the gaps the previous file was computed with")
  func refreshKeepsGap() throws {
    let root = try Root()
    defer { root.remove() }
    try ScreenTimeWriter(layout: root.layout, episode: root.episode, gapSeconds: 0).write()
    let refreshed = try ScreenTimeWriter.refreshing(layout: root.layout, episode: root.episode)
      .write()
    #expect(refreshed.gapSeconds == 0 && refreshed.identities.map(\.seconds) == [1.6])
    try FileManager.default.removeItem(at: root.layout.screentimeJSON(root.episode))
    let fresh = try ScreenTimeWriter.refreshing(layout: root.layout, episode: root.episode)
      .write()
    #expect(fresh.gapSeconds == ClusterConfig().screentimeGapSeconds)
  }

  @Test("without shots.jsonl nothing is bridged; without metrics or video the error names both")
  func missingInputs() throws {
    let noShots = try Root(shots: false)
    defer { noShots.remove() }
    let report = try ScreenTimeWriter(
      layout: noShots.layout, episode: noShots.episode, gapSeconds: 0.5
    ).write()
    #expect(!report.cutsKnown && report.identities.map(\.seconds) == [1.6])
    let bare = try Root(metrics: false)
    defer { bare.remove() }
    #expect {
      try ScreenTimeWriter(layout: bare.layout, episode: bare.episode, gapSeconds: 0.5).write()
    } throws: {
      "\($0)".contains("track_metrics.json") && "\($0)".contains("no video")
    }
  }

  @Test("an identity naming a track that is not in tracks.jsonl is an error naming the field")
  func unknownTrack() throws {
    let root = try Root()
    defer { root.remove() }
    try JSONLWriter.write([ScreenTimeTests.track(1, 0...9)], to: root.layout.tracks(root.episode))
    #expect {
      try ScreenTimeWriter(layout: root.layout, episode: root.episode, gapSeconds: 0.5).write()
    } throws: {
      "\($0)".contains("identities.json: identities[0].track_ids[1]")
        && "\($0)".contains("track-00002")
    }
    #expect(!FileManager.default.fileExists(atPath: root.layout.analyticsDir(root.episode).path))
  }
}
