import BuiltExecutableSupport
import Foundation
import Testing

/// The reviewer-effort measure (docs/review_app.md, "Reviewer effort"): a reviewer who knows
/// the ground truth drives the built server's HTTP API until every track is in the right
/// identity, once by hand and once by suggestion, on each sample's ground-truth tracks
/// harvested and clustered at defaults.
@Suite("Reviewer effort: actions until exact identities, with and without suggestions", .serialized)
struct ReviewEffortTests {
  /// Sample → the most actions the review by suggestion may take (measured, with room).
  static let ceilings = [
    "sample-s01e01": 0, "sample-s01e02": 6, "sample-s01e02-720x400": 10,
    "sample-s01e02-640x360": 14, "walkin-s01e01": 5,
  ]

  @Test(
    "suggestions reach exact identities in fewer actions than review by hand",
    arguments: [
      "sample-s01e01", "sample-s01e02", "sample-s01e02-720x400", "sample-s01e02-640x360",
      "walkin-s01e01",
    ])
  func effort(episode: String) async throws {
    let truth = try EpisodeRunProcess.trackIdentities(episode: episode)
    let byHand = try await review(episode, truth: truth, suggestions: false)
    let bySuggestion = try await review(episode, truth: truth, suggestions: true)
    print("reviewer effort \(episode): by hand \(byHand), by suggestion \(bySuggestion)")
    #expect(bySuggestion.actions <= Self.ceilings[episode]!, "\(bySuggestion)")
    // Nothing to fix by hand means nothing to fix by suggestion; otherwise suggestions save work.
    #expect(
      byHand.actions == 0 ? bySuggestion.actions == 0 : bySuggestion.actions < byHand.actions,
      "by suggestion \(bySuggestion), by hand \(byHand)")
  }

  /// Harvests and clusters a fresh copy of `episode` at defaults, serves it, reviews it, and
  /// checks the result is exact in the files.
  func review(_ episode: String, truth: [String: String], suggestions: Bool) async throws
    -> ReviewEffort
  {
    let root = try EpisodeRunProcess.freshSample(episode: episode)
    defer { try? FileManager.default.removeItem(at: root) }
    let prepared = try EpisodeRunProcess.run([
      "--ep-id", episode, "--data-root", root.path, "--faces-embed", "--cluster",
    ])
    try #require(prepared.status == 0, "\(prepared.combined)")
    let server = try ServerProcess(dataRoot: root)
    defer { server.stop() }
    let oracle = ReviewOracle(
      api: ReviewAPI(base: URL(string: "http://127.0.0.1:\(server.port)/")!, episode: episode),
      truth: truth)
    var effort = ReviewEffort()
    if suggestions {
      try await oracle.reviewBySuggestion(&effort)
    } else {
      try await oracle.reviewManually(&effort)
    }
    #expect(oracle.isExact(try await oracle.state()))
    let validate = try EpisodeRunProcess.run([
      "validate", "--ep-id", episode, "--data-root", root.path,
    ])
    #expect(validate.status == 0, "\(validate.combined)")
    return effort
  }
}
