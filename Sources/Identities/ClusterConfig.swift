import Foundation
public import PipelineConfig

/// Settings of the clustering stage. Precedence: flag > `config/pipeline/clustering.yaml` >
/// default.
public struct ClusterConfig: Sendable, Equatable, StageSettings {
  /// Cosine similarity at or above which (linkage-combined) tracks join one identity; nil takes
  /// the embedder's `identity_threshold` from the model manifest.
  public var clusterThresh: Double?
  /// Clusters with fewer tracks become singleton identities (`cluster_id: null`).
  public var minClusterSize = 2
  /// Linkage.
  public var linkage = Linkage.average
  /// Faces whose similarity to the track's median is this far below the closest face's are
  /// left out of the track's pooled embedding.
  public var trimDistance = 0.25
  /// A track seen only in probe faces joins an identity (not another probe-only track) at or
  /// above this similarity; nil: `cluster_thresh` − 0.1 (docs/identities.md, "Coverage").
  public var probeThresh: Double?
  /// ... and only when the runner-up identity is at least this much less similar.
  public var probeMargin = 0.05
  /// A probe-only track whose mean detector confidence is below this is `not_a_face`.
  public var probeMinTrackConf = 0.3
  /// A lone probe-only track that matches nothing is an identity of its own when its mean
  /// detector confidence is at least this ...
  public var probeSoloMinConf = 0.8
  /// ... it lasts at least this many seconds ...
  public var probeSoloMinSeconds = 1.0
  /// ... and no identity is even this similar to it.
  public var probeSoloMaxSimilarity = 0.15
  /// ... and it has at least this many recognisable probe faces ...
  public var probeSoloMinFaces = 3
  /// ... whose mean similarity to each other is at least this.
  public var probeSoloMinAgreement = 0.5
  /// What makes a probe face recognisable (docs/identities.md, "Degraded-only tracks"): a short
  /// side of at least this many frame pixels ...
  public var probeMinFacePx = 20.0
  /// ... |yaw| at most this many degrees ...
  public var probeMaxYaw = 45.0
  /// ... at most this share of its aligned crop outside the frame ...
  public var probeMaxPadding = 0.15
  /// ... and a Laplacian variance (in-frame part of the 112×112 alignment) of at least this.
  public var probeMinSharpness = 10.0
  /// Recognisable probe faces this wide (short side, frame px) are seen clearly: a track of
  /// them joins an identity on first placement only at `cluster_thresh`; from
  /// `probe_min_face_px` up to this size the bar rises from `probe_thresh` (docs/identities.md,
  /// "Faces seen clearly"). 0: `probe_thresh` at every size.
  public var probeClearFacePx = 64.0
  /// Similarity added to two tracks of one shot thread at the same place (0 turns it off).
  public var threadBonus = 0.1
  /// Largest colour-histogram distance between two shots of one thread.
  public var threadMaxDistance = 0.1
  /// Smallest IoU of the two tracks' mean boxes for the thread bonus.
  public var threadMinIoU = 0.3
  /// Screen time bridges a gap of at most this many seconds between two spans of one identity
  /// inside one shot (docs/screentime.md).
  public var screentimeGapSeconds = 0.5
  /// The show whose people registry suggests labels (docs/people.md); empty: the part of the
  /// ep_id before `-sNNeNN`.
  public var showID = ""

  /// The defaults.
  public init() {}

  /// Every key of `config/pipeline/clustering.yaml`, once (docs/configuration.md).
  public static var settings: [ConfigSetting<ClusterConfig>] {
    [
      .optionalDouble("cluster_thresh", -1...1, \.clusterThresh),
      .int("min_cluster_size", 1...1_000_000, \.minClusterSize), .choice("linkage", \.linkage),
      .double("trim_distance", 0...2, \.trimDistance),
      .optionalDouble("probe_thresh", -1...1, \.probeThresh),
      .double("probe_margin", 0...2, \.probeMargin),
      .double("probe_min_track_conf", 0...1, \.probeMinTrackConf),
      .double("probe_solo_min_conf", 0...1, \.probeSoloMinConf),
      .double("probe_solo_min_seconds", 0...86_400, \.probeSoloMinSeconds),
      .double("probe_solo_max_similarity", -1...1, \.probeSoloMaxSimilarity),
      .int("probe_solo_min_faces", 1...1000, \.probeSoloMinFaces),
      .double("probe_solo_min_agreement", -1...1, \.probeSoloMinAgreement),
      .double("probe_min_face_px", 0...10_000, \.probeMinFacePx),
      .double("probe_max_yaw", 0...180, \.probeMaxYaw),
      .double("probe_max_padding", 0...1, \.probeMaxPadding),
      .double("probe_min_sharpness", 0...1e9, \.probeMinSharpness),
      .double("probe_clear_face_px", 0...10_000, \.probeClearFacePx),
      .double("thread_bonus", 0...1, \.threadBonus),
      .double("thread_max_distance", 0...1, \.threadMaxDistance),
      .double("thread_min_iou", 0...1, \.threadMinIoU),
      .double("screentime_gap_seconds", 0...3600, \.screentimeGapSeconds),
      .string("show_id", \.showID),
    ]
  }

  /// Rejects a `probe_clear_face_px` at or under `probe_min_face_px` (other than 0, off): the
  /// bar would jump to `cluster_thresh` at the recognisable size instead of rising to it.
  public func check(in file: ConfigFile) throws {
    if probeClearFacePx > 0 && probeClearFacePx <= probeMinFacePx {
      throw file.error(
        "probe_clear_face_px",
        "probe_clear_face_px \(probeClearFacePx) is not above probe_min_face_px "
          + "\(probeMinFacePx) (0 turns the rise off)")
    }
  }

  /// The default config file name.
  public static let defaultFileName = "clustering.yaml"
}
