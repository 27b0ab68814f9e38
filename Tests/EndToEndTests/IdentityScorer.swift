import Artifacts
import Foundation

/// How well a run answers "who is on screen, and when", against a sample's exact ground truth
/// (docs/identities.md, "Measuring it").
///
/// - Each detected track is given the person its detections overlap (IoU ≥ 0.5 with the ground
///   truth face of that frame, majority over the track's detections); a track that overlaps no
///   face (bait, background) belongs to nobody.
/// - An identity attributes every frame of its tracks' spans (screen time comes from spans).
/// - Identities are matched one-to-one to people, largest overlap first.
/// - identity F1 = 2·(frames attributed to the right person) / (ground-truth face frames +
///   attributed frames); precision and recall are the two halves.
struct IdentityScore: CustomStringConvertible {
  var f1: Double
  var precision: Double
  var recall: Double
  var groundTruthFrames: Int
  var attributedFrames: Int
  var correctFrames: Int
  /// Person → share of their ground-truth face frames attributed to their matched identity.
  var coverage: [String: Double]
  /// Person → identities holding at least one of their tracks.
  var identitiesPerPerson: [String: Int]
  /// Identities whose tracks are all bait or nothing.
  var identitiesOfNobody: Int

  var description: String {
    let people = coverage.keys.sorted().map { person in
      "\(person) \(String(format: "%.2f", coverage[person] ?? 0))"
        + "/\(identitiesPerPerson[person] ?? 0)"
    }
    return String(
      format: "identity F1 %.3f (precision %.3f, recall %.3f; %d correct of %d attributed, %d "
        + "ground-truth face frames), %d identities of nobody; coverage/identities per person: ",
      f1, precision, recall, correctFrames, attributedFrames, groundTruthFrames, identitiesOfNobody)
      + people.joined(separator: ", ")
  }
}

/// Scores a data root's `identities.json` (with its `tracks.jsonl` and `detections.jsonl`)
/// against `ground_truth/{ep}/ground_truth.jsonl`.
enum IdentityScorer {
  private struct Box {
    var frame: Int
    var box: [Double]
    var label: String
  }

  static func score(root: URL, episode: String, truth: URL) throws -> IdentityScore {
    let faces = try rows(truth.appendingPathComponent("ground_truth.jsonl")).compactMap {
      row -> Box? in
      guard (row["visible_fraction"] as? Double ?? 1) >= 0.5 else { return nil }
      return Box(
        frame: row["frame_idx"] as! Int, box: row["bbox"] as! [Double],
        label: row["identity"] as! String)
    }
    let manifests = root.appendingPathComponent("manifests/\(episode)")
    let person = try trackPeople(
      detections: rows(manifests.appendingPathComponent("detections.jsonl")),
      faces: Dictionary(grouping: faces, by: \.frame))
    var spans: [String: ClosedRange<Int>] = [:]
    for row in try rows(manifests.appendingPathComponent("tracks.jsonl")) {
      let span = row["frame_span"] as! [Int]
      spans[row["track_id"] as! String] = span[0]...span[1]
    }
    let document =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("identities.json")))
      as! [String: Any]
    let identities = (document["identities"] as! [[String: Any]]).map {
      $0["track_ids"] as! [String]
    }
    return tally(
      identities: identities, person: person, spans: spans,
      truthFrames: Set(faces.map { "\($0.frame)|\($0.label)" }),
      people: Set(faces.map(\.label)))
  }

  /// Track → the person most of its detections overlap ("" for bait or nothing).
  private static func trackPeople(
    detections: [[String: Any]], faces: [Int: [Box]]
  ) -> [String: String] {
    var votes: [String: [String: Int]] = [:]
    for row in detections {
      guard let track = row["track_id"] as? String else { continue }
      let frame = row["frame_idx"] as! Int
      let box = row["bbox"] as! [Double]
      let best = (faces[frame] ?? []).max {
        intersectionOverUnion($0.box, box) < intersectionOverUnion($1.box, box)
      }
      var label = ""
      if let best, intersectionOverUnion(best.box, box) >= 0.5 { label = best.label }
      votes[track, default: [:]][label, default: 0] += 1
    }
    return votes.mapValues { counts in
      counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
    }
  }

  private static func tally(
    identities: [[String]], person: [String: String], spans: [String: ClosedRange<Int>],
    truthFrames: Set<String>, people: Set<String>
  ) -> IdentityScore {
    var overlap: [[String: Int]] = []
    var attributed = 0
    var perPerson: [String: Int] = [:]
    var nobody = 0
    for tracks in identities {
      var frames = Set<Int>()
      var hits: [String: Set<Int>] = [:]
      for track in tracks {
        guard let span = spans[track] else { continue }
        frames.formUnion(span)
        let who = person[track] ?? ""
        guard !who.isEmpty else { continue }
        hits[who, default: []].formUnion(span.filter { truthFrames.contains("\($0)|\(who)") })
      }
      attributed += frames.count
      overlap.append(hits.mapValues(\.count))
      let owners = Set(tracks.map { person[$0] ?? "" }).subtracting([""])
      for owner in owners { perPerson[owner, default: 0] += 1 }
      if owners.isEmpty { nobody += 1 }
    }
    // One-to-one, largest overlap first (ties: identity order, then name).
    var pairs: [(identity: Int, person: String, frames: Int)] = []
    for (identity, counts) in overlap.enumerated() {
      for (who, frames) in counts { pairs.append((identity, who, frames)) }
    }
    pairs.sort { ($1.frames, $0.identity, $0.person) < ($0.frames, $1.identity, $1.person) }
    var usedIdentities = Set<Int>()
    var matched: [String: Int] = [:]
    for pair in pairs where !usedIdentities.contains(pair.identity) && matched[pair.person] == nil {
      usedIdentities.insert(pair.identity)
      matched[pair.person] = pair.frames
    }
    let correct = matched.values.reduce(0, +)
    let truthCount = truthFrames.count
    var coverage: [String: Double] = [:]
    for who in people {
      let total = truthFrames.filter { $0.hasSuffix("|\(who)") }.count
      coverage[who] = total > 0 ? Double(matched[who] ?? 0) / Double(total) : 0
      perPerson[who] = perPerson[who] ?? 0
    }
    return IdentityScore(
      f1: 2 * Double(correct) / Double(max(1, truthCount + attributed)),
      precision: Double(correct) / Double(max(1, attributed)),
      recall: Double(correct) / Double(max(1, truthCount)), groundTruthFrames: truthCount,
      attributedFrames: attributed, correctFrames: correct, coverage: coverage,
      identitiesPerPerson: perPerson, identitiesOfNobody: nobody)
  }

  private static func rows(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
  }
}
