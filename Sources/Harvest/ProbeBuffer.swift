import Foundation

/// Holds probe faces back from the embedder until their track is complete, so that only the
/// probes of tracks with no accepted face are embedded (docs/harvest.md, "Probe faces").
///
/// Faces reach the embed stage in frame order (one crop thread walks the frames in order), so a
/// track is complete once a face of a later frame than its last planned one has arrived. Memory
/// is bounded by the tracks alive at once times `probe_faces_per_track`.
struct ProbeBuffer<Face> {
  /// The last planned frame (face or probe) of every track.
  let lastFrame: [String: Int]
  /// Whether a track's probes may be dropped once it has an accepted face. Off when the episode
  /// cap may still remove accepted faces after the pipeline (docs/harvest.md): then every probe
  /// is embedded and the caller keeps those of tracks left with no accepted face.
  var dropsProbesOfAcceptedTracks = true
  private let trackOf: (Face) -> String
  private let frameOf: (Face) -> Int
  private let isProbe: (Face) -> Bool
  private var tracksWithAccepted = Set<String>()
  private var pending: [String: [Face]] = [:]

  /// A buffer for a plan whose tracks end at `lastFrame`.
  init(
    lastFrame: [String: Int], track: @escaping (Face) -> String, frame: @escaping (Face) -> Int,
    isProbe: @escaping (Face) -> Bool
  ) {
    self.lastFrame = lastFrame
    self.trackOf = track
    self.frameOf = frame
    self.isProbe = isProbe
  }

  /// What to embed now (accepted faces, and the probes of complete tracks that have no accepted
  /// face), and the probes no longer needed.
  mutating func admit(_ faces: [Face]) -> (embed: [Face], discarded: [Face]) {
    var embed: [Face] = []
    var discarded: [Face] = []
    for face in faces {
      let track = trackOf(face)
      if !isProbe(face) {
        tracksWithAccepted.insert(track)
        embed.append(face)
      } else if dropsProbesOfAcceptedTracks && tracksWithAccepted.contains(track) {
        discarded.append(face)
      } else {
        pending[track, default: []].append(face)
      }
    }
    guard let frontier = faces.map(frameOf).max() else { return (embed, discarded) }
    for track in pending.keys.sorted() where (lastFrame[track] ?? Int.max) < frontier {
      let released = release(track)
      embed += released.embed
      discarded += released.discarded
    }
    return (embed, discarded)
  }

  /// Every probe still held, at the end of the video.
  mutating func drain() -> (embed: [Face], discarded: [Face]) {
    var embed: [Face] = []
    var discarded: [Face] = []
    for track in pending.keys.sorted() {
      let released = release(track)
      embed += released.embed
      discarded += released.discarded
    }
    return (embed, discarded)
  }

  private mutating func release(_ track: String) -> (embed: [Face], discarded: [Face]) {
    let probes = pending.removeValue(forKey: track) ?? []
    return dropsProbesOfAcceptedTracks && tracksWithAccepted.contains(track)
      ? ([], probes) : (probes, [])
  }
}
