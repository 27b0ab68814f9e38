public import Artifacts
import Foundation

/// Suggests registered people's labels for an episode's identities (docs/people.md,
/// "Matching"). An identity's similarity to a person is the mean cosine similarity between its
/// tracks' pooled vectors and the person's samples (average linkage, as in clustering). An
/// unlocked identity without a human label gets the best person's label, marked
/// `source: "people"`, when that similarity is ≥ `threshold`, beats the next person by
/// `margin`, the person was not rejected for it and no other identity of the episode has that
/// person (by a human label, or a better match). Exact and deterministic.
public struct PeopleMatcher: Sendable {
  /// The label keys of a suggestion.
  public enum Key {
    /// `source`: `people` marks a suggestion.
    public static let source = "source"
    /// The value of `source` for a suggestion.
    public static let people = "people"
    /// `similarity`: the suggestion's similarity, three decimals.
    public static let similarity = "similarity"
    /// `rejected_person_ids`: comma-separated persons never to suggest again for it.
    public static let rejected = "rejected_person_ids"
  }

  /// Similarity at or above which a person matches (`cluster_thresh`).
  public var threshold: Double
  /// How much the best person must beat the next (`probe_margin`).
  public var margin: Double

  /// A matcher.
  public init(threshold: Double, margin: Double) {
    self.threshold = threshold
    self.margin = margin
  }

  /// Whether `labels` is a suggestion (not a human's label).
  public static func isSuggestion(_ labels: [String: String]) -> Bool {
    labels[Key.source] == Key.people
  }

  /// Whether `labels` holds a human's name or person id.
  public static func isHumanLabel(_ labels: [String: String]) -> Bool {
    !isSuggestion(labels)
      && (!(labels["name"] ?? "").isEmpty || !(labels["person_id"] ?? "").isEmpty)
  }

  /// The persons rejected for an identity with `labels`.
  public static func rejected(_ labels: [String: String]) -> Set<String> {
    Set((labels[Key.rejected] ?? "").split(separator: ",").map(String.init))
  }

  /// `labels` without a suggestion's keys (other keys, such as rejections, stay).
  public static func withoutSuggestion(_ labels: [String: String]) -> [String: String] {
    guard isSuggestion(labels) else { return labels }
    return labels.filter { !["name", "person_id", Key.source, Key.similarity].contains($0.key) }
  }

  /// `identities` with suggestions recomputed: every old suggestion is dropped and the clear
  /// matches among `people` of `model` are suggested. `vectors` are the pooled track vectors.
  public func suggest(
    _ identities: [Identity], vectors: [String: [Float]], people: [RegisteredPerson],
    model: EmbedderIdentity
  ) -> [Identity] {
    let candidates = people.filter { $0.model == model.name && $0.embeddingWidth == model.width }
    // Persons already in the episode: by a human label, or on a locked identity (a locked
    // suggestion is kept as it is).
    let taken = Set(
      identities.filter { $0.locked || Self.isHumanLabel($0.labels) }
        .compactMap { $0.labels["person_id"] })
    var result = identities
    var best: [String: (index: Int, similarity: Double)] = [:]
    for (index, identity) in identities.enumerated() where !identity.locked {
      guard !Self.isHumanLabel(identity.labels) else { continue }
      result[index].labels = Self.withoutSuggestion(identity.labels)
      let members = identity.trackIDs.compactMap { vectors[$0] }
      guard let match = clearMatch(members, candidates),
        !taken.contains(match.person), !Self.rejected(identity.labels).contains(match.person)
      else { continue }
      // One identity per person: the more similar keeps it (ties: the earlier identity).
      if let current = best[match.person], current.similarity >= match.similarity { continue }
      best[match.person] = (index, match.similarity)
    }
    for (personID, chosen) in best {
      let person = candidates.first { $0.personID == personID }!
      result[chosen.index].labels.merge(
        [
          "name": person.name, "person_id": personID, Key.source: Key.people,
          Key.similarity: String(format: "%.3f", chosen.similarity),
        ], uniquingKeysWith: { $1 })
    }
    return result
  }

  /// The best person when it passes the threshold and the margin.
  private func clearMatch(_ members: [[Float]], _ people: [RegisteredPerson]) -> (
    person: String, similarity: Double
  )? {
    guard !members.isEmpty else { return nil }
    let scored = people.map { ($0.personID, Self.similarity(members, $0.samples.map(\.vector))) }
      .sorted { ($1.1, $0.0) < ($0.1, $1.0) }
    guard let first = scored.first, first.1 >= threshold else { return nil }
    if scored.count > 1, first.1 - scored[1].1 < margin { return nil }
    return (first.0, first.1)
  }

  /// Mean cosine similarity over all pairs (unit vectors: the dot product).
  static func similarity(_ left: [[Float]], _ right: [[Float]]) -> Double {
    var total = 0.0
    for a in left {
      for b in right where a.count == b.count {
        var dot = 0.0
        for dimension in a.indices { dot += Double(a[dimension]) * Double(b[dimension]) }
        total += dot
      }
    }
    return total / Double(left.count * right.count)
  }
}
