import Artifacts
import Foundation
import Testing

@testable import Identities

/// Screen time on hand-built episodes: 10 analysed frames per second (a detection covers 0.1 s),
/// 10 s long, a cut at frame 50 (5.0 s) unless said otherwise; frame f is at f ÷ 10 s.
@Suite("Screen time")
struct ScreenTimeTests {
  static let episode = "ep-screen"
  static let timing = EpisodeTiming(
    durationSeconds: 10, frameStepSeconds: 0.1, source: "track_metrics.json")
  static let shots = [shot(0, 0...49), shot(1, 50...99)]

  static func shot(_ index: Int, _ frames: ClosedRange<Int>) -> Shot {
    Shot(
      epID: episode, shotIndex: index, frameSpan: [frames.lowerBound, frames.upperBound],
      startSeconds: Double(frames.lowerBound) / 10, endSeconds: Double(frames.upperBound) / 10,
      histogram: Array(repeating: 1.0 / 64, count: 64))
  }

  static func track(_ number: Int, _ frames: ClosedRange<Int>) -> Track {
    Track(
      trackID: ArtifactID.track(number), epID: episode,
      startSeconds: Double(frames.lowerBound) / 10, endSeconds: Double(frames.upperBound) / 10,
      frameSpan: [frames.lowerBound, frames.upperBound],
      stats: TrackStats(detections: frames.count, avgConf: 0.9))
  }

  static func identity(_ number: Int, _ tracks: [Track], labels: [String: String] = [:])
    -> Identity
  {
    Identity(
      identityID: ArtifactID.identity(number), clusterID: nil, trackIDs: tracks.map(\.trackID),
      canonicalFacePath: DataLayout.identityThumbRelativePath(
        identityID: ArtifactID.identity(number)),
      embeddingStats: EmbeddingStats(
        centroidNorm: 1, variance: 0, numTracks: tracks.count, numFacesTotal: 0),
      labels: labels, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
  }

  /// The seconds of one identity made of `tracks`.
  static func seconds(_ tracks: [Track], shots: [Shot]? = shots, gap: Double = 0.5) -> Double {
    ScreenTimeCalculator(timing: timing, gapSeconds: gap, shots: shots)
      .entry(identity(1, tracks), tracks: tracks).seconds
  }

  @Test("a 0.4 s gap inside a shot is bridged; a 0.6 s gap is not")
  func gapInsideShot() {
    #expect(Self.seconds([Self.track(1, 0...9), Self.track(2, 14...19)]) == 2.0)
    #expect(Self.seconds([Self.track(1, 0...9), Self.track(2, 16...19)]) == 1.4)
    #expect(Self.seconds([Self.track(1, 0...9), Self.track(2, 16...19)], gap: 0.6) == 2.0)
    #expect(Self.seconds([Self.track(1, 0...9), Self.track(2, 14...19)], gap: 0) == 1.6)
  }

  @Test("a short gap across a cut is never bridged")
  func gapAcrossCut() {
    // [4.5, 4.8) and [5.0, 5.5): 0.2 s apart, but on both sides of the cut at 5.0 s.
    let tracks = [Self.track(1, 45...47), Self.track(2, 50...54)]
    #expect(Self.seconds(tracks) == 0.8)
    #expect(Self.seconds(tracks, gap: 5) == 0.8)
  }

  @Test("without shots.jsonl no gap is bridged at all")
  func noShots() {
    #expect(Self.seconds([Self.track(1, 0...9), Self.track(2, 14...19)], shots: nil) == 1.6)
    #expect(Self.seconds([Self.track(1, 10...29), Self.track(2, 20...39)], shots: nil) == 3.0)
  }

  @Test("two overlapping tracks of one identity count once")
  func overlap() {
    #expect(Self.seconds([Self.track(1, 10...29), Self.track(2, 20...39)]) == 3.0)
    #expect(Self.seconds([Self.track(1, 10...39), Self.track(2, 20...29)]) == 3.0)
  }

  @Test("coverage stops at the cut and at the end of the episode (a stride of 3 frames)")
  func clipped() {
    let timing = EpisodeTiming(durationSeconds: 10, frameStepSeconds: 0.3, source: "test")
    let calculator = ScreenTimeCalculator(timing: timing, gapSeconds: 0.5, shots: Self.shots)
    // [4.5, 5.1) ends at the cut; [9.6, 9.9 + 0.3) ends at 10.
    let tracks = [Self.track(1, 45...48), Self.track(2, 96...99)]
    #expect(calculator.entry(Self.identity(1, tracks), tracks: tracks).seconds == 0.9)
  }

  @Test("a track across a cut (invalid) counts its part in each shot; gaps bridge inside one")
  func trackAcrossCut() {
    // [4.0, 5.3) spans the cut; [5.6, 5.7) is 0.3 s after it in shot 1: bridged there.
    let tracks = [Self.track(1, 40...52), Self.track(2, 56...56)]
    #expect(Self.seconds(tracks) == 1.7)
  }

  @Test("the report: labels, tracks, first and last seen, share, unidentified, order")
  func report() {
    let a = [Self.track(1, 0...9), Self.track(2, 14...19)]
    let b = [Self.track(3, 60...89)]
    // Unidentified: [6.0, 7.0) and [7.2, 7.5): 0.2 s apart, never bridged (maybe two people).
    let loose = [Self.track(4, 60...69), Self.track(5, 72...74)]
    let calculator = ScreenTimeCalculator(timing: Self.timing, gapSeconds: 0.5, shots: Self.shots)
    let report = calculator.report(
      episode: Self.episode,
      identities: [
        (Self.identity(1, a, labels: ["name": "Zoë, \"Z\"", "person_id": "p1"]), a),
        (Self.identity(2, b), b),
      ], unidentified: loose)
    #expect(report.identities.map(\.identityID) == ["identity-00002", "identity-00001"])
    let first = report.identities[1]
    #expect(first.name == "Zoë, \"Z\"" && first.personID == "p1" && first.numTracks == 2)
    #expect(first.seconds == 2.0 && first.share == 0.2)
    #expect(first.firstSeenSeconds == 0 && first.lastSeenSeconds == 1.9)
    #expect(report.identities[0].seconds == 3.0 && report.identities[0].name == nil)
    #expect(report.unidentified.seconds == 1.3 && report.unidentified.numTracks == 2)
    #expect(report.unidentified.share == 0.13)
    #expect(report.durationSeconds == 10 && report.cutsKnown && report.gapSeconds == 0.5)
    #expect(report.schemaVersion == "screentime_v1")
  }

  @Test("an empty episode: nothing on screen, shares 0")
  func empty() {
    let timing = EpisodeTiming(durationSeconds: 0, frameStepSeconds: 0, source: "test")
    let report = ScreenTimeCalculator(timing: timing, gapSeconds: 0.5, shots: [])
      .report(episode: Self.episode, identities: [], unidentified: [])
    #expect(report.identities.isEmpty && report.unidentified.seconds == 0)
    #expect(report.unidentified.share == 0 && report.unidentified.numTracks == 0)
  }
}
