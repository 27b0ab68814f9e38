import Artifacts
import FaceHarvestCore
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
  /// Person → index (in `identities.json`) of the identity matched to them.
  var matchedIdentity: [String: Int] = [:]
  /// Person → screen time of their matched identity in `screentime.json` (0 when none) and the
  /// ground truth's (frames with the face at least half visible, over the frame rate), seconds.
  var screenTime: [String: (reported: Double, truth: Double)] = [:]
  /// Detected tracks per ground-truth trajectory (one person in one shot), over the
  /// trajectories that some track follows: 1 when no trajectory is broken.
  var fragmentation = 1.0
  /// Ground-truth trajectories (at least half visible somewhere) and how many some track follows.
  var trajectories = 0
  var trajectoriesFollowed = 0
  /// The same measures on the trajectories whose faces are at least `SizeBands.minWidth` wide
  /// (median over the trajectory), and what became of the smaller ones.
  var bands = SizeBands()

  /// Person → (reported − true) ÷ true screen time.
  var screenTimeError: [String: Double] {
    screenTime.mapValues { $0.truth > 0 ? ($0.reported - $0.truth) / $0.truth : 0 }
  }

  /// The largest |screen-time error| over the people.
  var worstScreenTimeError: Double { screenTimeError.values.map(abs).max() ?? 0 }

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
      + String(
        format: "; %d of %d trajectories followed, %.2f tracks per trajectory",
        trajectoriesFollowed,
        trajectories, fragmentation)
      + "; screen time reported/true (error): "
      + screenTime.keys.sorted().map { person in
        let time = screenTime[person]!
        return String(
          format: "%@ %.2f/%.2f s (%+.2f s, %+.1f %%)", person, time.reported, time.truth,
          time.reported - time.truth, 100 * (screenTimeError[person] ?? 0))
      }.joined(separator: ", ") + "; " + bands.description
  }
}

/// The issue's split of a crowded episode by face size (docs/identities.md, "Measuring it"):
/// people on faces of 24 px and more must be exact; smaller faces may be assigned only with clear
/// evidence. A ground-truth trajectory belongs to the band of its median face width (frame px).
struct SizeBands: CustomStringConvertible {
  static let minWidth = 24.0
  /// Identity F1 and precision over the face frames of recognisable-size trajectories, with
  /// the frames that identities attribute through tracks of those trajectories or of nobody.
  var f1 = 0.0
  var precision = 0.0
  /// Person → (seconds of their matched identity's tracks that follow recognisable-size
  /// trajectories or nobody, true seconds of their recognisable-size trajectories).
  var screenTime: [String: (reported: Double, truth: Double)] = [:]
  /// Small trajectories: true face seconds, and the seconds (track spans, unioned per identity)
  /// that identities hold through tracks following them, and of those the seconds in their own
  /// person's matched identity. Spans include frames where the face is less than half visible,
  /// so identified seconds can exceed the true ones.
  var smallTruthSeconds = 0.0
  var smallAssignedSeconds = 0.0
  var smallRightSeconds = 0.0

  var smallPrecision: Double {
    smallAssignedSeconds > 0 ? smallRightSeconds / smallAssignedSeconds : 1
  }

  /// Person → (reported − true) ÷ true, on recognisable-size faces.
  var screenTimeError: [String: Double] {
    screenTime.mapValues { $0.truth > 0 ? ($0.reported - $0.truth) / $0.truth : 0 }
  }

  var worstScreenTimeError: Double { screenTimeError.values.map(abs).max() ?? 0 }

  var description: String {
    let worst = screenTimeError.sorted { (abs($0.value), $1.key) > (abs($1.value), $0.key) }
      .prefix(3).map { String(format: "%@ %+.1f %%", $0.key, 100 * $0.value) }
    return String(
      format: "faces >= %.0f px: identity F1 %.3f, precision %.3f, worst screen time %@; "
        + "smaller faces: %.1f s true, %.1f s identified (%.1f s right, precision %.3f)",
      Self.minWidth, f1, precision, worst.joined(separator: ", "), smallTruthSeconds,
      smallAssignedSeconds, smallRightSeconds, smallPrecision)
  }
}

/// Scores a data root's `identities.json` (with its `tracks.jsonl` and `detections.jsonl`)
/// against `ground_truth/{ep}/ground_truth.jsonl`.
enum IdentityScorer {
  private struct Box {
    var frame: Int
    var box: [Double]
    var label: String
    /// The ground-truth track: one person in one shot.
    var trajectory: String
    /// The face box's short side in frame pixels (as `probe_min_face_px` measures).
    var width: Double
  }

  static func score(root: URL, episode: String, truth: URL) throws -> IdentityScore {
    let truthRows = try rows(truth.appendingPathComponent("ground_truth.jsonl"))
    // The frame rate from the ground truth's clock (frame_idx ÷ ts_s).
    let timed = truthRows.first { ($0["frame_idx"] as? Int ?? 0) > 0 }
    let frameRate = timed.map { Double($0["frame_idx"] as! Int) / ($0["ts_s"] as! Double) } ?? 25
    let faces = truthRows.compactMap {
      row -> Box? in
      guard (row["visible_fraction"] as? Double ?? 1) >= 0.5 else { return nil }
      let pixels = row["bbox_px"] as! [Double]
      return Box(
        frame: row["frame_idx"] as! Int, box: row["bbox"] as! [Double],
        label: row["identity"] as! String, trajectory: row["track_id"] as? String ?? "",
        width: min(pixels[2] - pixels[0], pixels[3] - pixels[1]))
    }
    let manifests = root.appendingPathComponent("manifests/\(episode)")
    let followed = try trackTrajectories(
      detections: rows(manifests.appendingPathComponent("detections.jsonl")),
      faces: Dictionary(grouping: faces, by: \.frame))
    let person = followed.mapValues { $0.label }
    var spans: [String: ClosedRange<Int>] = [:]
    for row in try rows(manifests.appendingPathComponent("tracks.jsonl")) {
      let span = row["frame_span"] as! [Int]
      spans[row["track_id"] as! String] = span[0]...span[1]
    }
    let document =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: manifests.appendingPathComponent("identities.json")))
      as! [String: Any]
    let identityEntries = document["identities"] as! [[String: Any]]
    let identities = identityEntries.map { $0["track_ids"] as! [String] }
    var score = tally(
      identities: identities, person: person, spans: spans,
      truthFrames: Set(faces.map { "\($0.frame)|\($0.label)" }),
      people: Set(faces.map(\.label)))
    score.fragmentation = fragmentation(followed)
    score.trajectories = Set(faces.map(\.trajectory)).count
    score.trajectoriesFollowed = Set(followed.values.map(\.trajectory)).subtracting([""]).count
    score.screenTime = try screenTime(
      root: root, episode: episode, faces: faces, frameRate: frameRate,
      identityIDs: identityEntries.map {
        $0["identity_id"] as! String
      }, matched: score.matchedIdentity)
    score.bands = sizeBands(
      faces: faces, followed: followed, spans: spans, identities: identities,
      matched: score.matchedIdentity, frameRate: frameRate)
    return score
  }

  /// The score split by face size (`SizeBands`), from track spans.
  private static func sizeBands(
    faces: [Box], followed: [String: (label: String, trajectory: String)],
    spans: [String: ClosedRange<Int>], identities: [[String]], matched: [String: Int],
    frameRate: Double
  ) -> SizeBands {
    let widths = Dictionary(grouping: faces, by: \.trajectory).mapValues {
      FaceHarvestCore.median($0.map(\.width)) ?? 0
    }
    let isLarge = { (trajectory: String) in (widths[trajectory] ?? 0) >= SizeBands.minWidth }
    var truth: [String: Set<Int>] = [:]
    var smallTruth: [String: Set<Int>] = [:]
    for face in faces where isLarge(face.trajectory) {
      truth[face.label, default: []].insert(face.frame)
    }
    for face in faces where !isLarge(face.trajectory) {
      smallTruth[face.label, default: []].insert(face.frame)
    }
    var bands = SizeBands()
    var attributed = 0
    var right = 0
    var small = (assigned: 0, right: 0)
    var reported: [Int: Set<Int>] = [:]
    for (index, tracks) in identities.enumerated() {
      // Per identity, frames as unions (tracks of one identity may overlap).
      var frames = Set<Int>()
      var rightFrames = Set<Int>()
      var smallFrames = Set<Int>()
      var smallRight = Set<Int>()
      for track in tracks {
        guard let span = spans[track] else { continue }
        let owner = followed[track] ?? (label: "", trajectory: "")
        let rightful = matched[owner.label] == index
        if owner.label.isEmpty || isLarge(owner.trajectory) {
          frames.formUnion(span)
          if rightful {
            rightFrames.formUnion(span.filter { truth[owner.label]?.contains($0) == true })
          }
        } else {
          smallFrames.formUnion(span)
          if rightful { smallRight.formUnion(span) }
        }
      }
      attributed += frames.count
      right += rightFrames.count
      small.assigned += smallFrames.count
      small.right += smallRight.count
      reported[index] = frames
    }
    let truthCount = truth.values.reduce(0) { $0 + $1.count }
    bands.f1 = 2 * Double(right) / Double(max(1, truthCount + attributed))
    bands.precision = Double(right) / Double(max(1, attributed))
    for (person, frames) in truth {
      let held = matched[person].flatMap { reported[$0] }?.count ?? 0
      bands.screenTime[person] = (Double(held) / frameRate, Double(frames.count) / frameRate)
    }
    bands.smallTruthSeconds = Double(smallTruth.values.reduce(0) { $0 + $1.count }) / frameRate
    bands.smallAssignedSeconds = Double(small.assigned) / frameRate
    bands.smallRightSeconds = Double(small.right) / frameRate
    return bands
  }

  /// Person → (seconds of the matched identity in `screentime.json`, true seconds).
  private static func screenTime(
    root: URL, episode: String, faces: [Box], frameRate: Double, identityIDs: [String],
    matched: [String: Int]
  ) throws -> [String: (reported: Double, truth: Double)] {
    let document =
      try JSONSerialization.jsonObject(
        with: Data(
          contentsOf: root.appendingPathComponent("analytics/\(episode)/screentime.json")))
      as! [String: Any]
    var seconds: [String: Double] = [:]
    for entry in document["identities"] as! [[String: Any]] {
      seconds[entry["identity_id"] as! String] = entry["seconds"] as? Double ?? 0
    }
    var result: [String: (reported: Double, truth: Double)] = [:]
    for (person, boxes) in Dictionary(grouping: faces, by: \.label) {
      let truth = Double(Set(boxes.map(\.frame)).count) / frameRate
      let reported = matched[person].map { seconds[identityIDs[$0]] ?? 0 } ?? 0
      result[person] = (reported, truth)
    }
    return result
  }

  /// Detected tracks per ground-truth trajectory, over the trajectories some track follows.
  private static func fragmentation(_ followed: [String: (label: String, trajectory: String)])
    -> Double
  {
    let perTrajectory = Dictionary(grouping: followed.values.filter { !$0.trajectory.isEmpty }) {
      $0.trajectory
    }
    guard !perTrajectory.isEmpty else { return 1 }
    return Double(perTrajectory.values.reduce(0) { $0 + $1.count }) / Double(perTrajectory.count)
  }

  /// Track → the person and ground-truth trajectory most of its detections overlap (both ""
  /// for bait or nothing).
  private static func trackTrajectories(
    detections: [[String: Any]], faces: [Int: [Box]]
  ) -> [String: (label: String, trajectory: String)] {
    var votes: [String: [String: Int]] = [:]
    for row in detections {
      guard let track = row["track_id"] as? String else { continue }
      let frame = row["frame_idx"] as! Int
      let box = row["bbox"] as! [Double]
      let best = (faces[frame] ?? []).max {
        intersectionOverUnion($0.box, box) < intersectionOverUnion($1.box, box)
      }
      var key = "\t"
      if let best, intersectionOverUnion(best.box, box) >= 0.5 {
        key = "\(best.label)\t\(best.trajectory)"
      }
      votes[track, default: [:]][key, default: 0] += 1
    }
    return votes.mapValues { counts in
      let key = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
      let parts = key.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      return (parts[0], parts[1])
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
    var matchedIdentity: [String: Int] = [:]
    for pair in pairs where !usedIdentities.contains(pair.identity) && matched[pair.person] == nil {
      usedIdentities.insert(pair.identity)
      matched[pair.person] = pair.frames
      matchedIdentity[pair.person] = pair.identity
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
      identitiesPerPerson: perPerson, identitiesOfNobody: nobody, matchedIdentity: matchedIdentity)
  }

  private static func rows(_ url: URL) throws -> [[String: Any]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
  }
}
