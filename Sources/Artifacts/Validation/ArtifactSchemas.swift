/// The field table of every artifact (spec §2–§8 with DECISIONS.md): one place to read what
/// `ArtifactValidator` checks per row. Cross-row and cross-file rules (duplicates, references,
/// embedding width, `faces.npy`) live in `ArtifactValidator`.
enum ArtifactSchemas {
  static let box = FieldRule("bbox", .array(.number, count: 4), [.unitInterval, .orderedBox])
  static let landmarks = FieldRule("landmarks", .array(.number, count: 10), [.unitInterval])
  static let nonNegativeInteger: [FieldCheck] = [.atLeast(0)]

  /// `detections.jsonl` (det_v1, plus `track_id` once tracking has run).
  static let detection: [FieldRule] = [
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("frame_idx", .integer, nonNegativeInteger),
    FieldRule("ts_s", .number, [.atLeast(0)]),
    box,
    landmarks,
    FieldRule("conf", .number, [.unitInterval]),
    FieldRule("model_id", .string, [.nonEmpty]),
    FieldRule("schema_version", .string, [.equals(SchemaVersion.detection)]),
    FieldRule("track_id", .string, required: false, [.identifier(.track)]),
  ]

  /// `tracks.jsonl` (track_v1).
  static let track: [FieldRule] = [
    FieldRule("track_id", .string, [.identifier(.track)]),
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("start_s", .number, [.atLeast(0)]),
    FieldRule("end_s", .number, [.atLeast(0)]),
    FieldRule("frame_span", .array(.integer, count: 2), [.atLeast(0), .orderedPair]),
    FieldRule("sample_thumbs", .array(.string, count: nil), required: false),
    FieldRule(
      "stats",
      .object([
        FieldRule("detections", .integer, [.atLeast(1)]),
        FieldRule("avg_conf", .number, [.unitInterval]),
      ])),
    FieldRule("schema_version", .string, [.equals(SchemaVersion.track)]),
  ]

  /// `shots.jsonl` (shot_v1).
  static let shot: [FieldRule] = [
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("shot_idx", .integer, nonNegativeInteger),
    FieldRule("frame_span", .array(.integer, count: 2), [.atLeast(0), .orderedPair]),
    FieldRule("start_s", .number, [.atLeast(0)]),
    FieldRule("end_s", .number, [.atLeast(0)]),
    FieldRule("histogram", .array(.number, count: 64), [.unitInterval]),
    FieldRule("schema_version", .string, [.equals(SchemaVersion.shot)]),
  ]

  /// `faces.jsonl` (and `probe_faces.jsonl`, whose rows also say how the probe was seen and
  /// which of its track's probes it is: docs/harvest.md, "Probe faces").
  static let face: [FieldRule] = [
    FieldRule("face_id", .string, [.identifier(.face)]),
    FieldRule("track_id", .string, [.identifier(.track)]),
    FieldRule("frame_idx", .integer, nonNegativeInteger),
    box,
    landmarks,
    FieldRule("embedding", .array(.number, count: nil), [.nonEmpty, .unitNorm]),
    FieldRule("quality_score", .number, [.unitInterval]),
    FieldRule("crop_path", .string, required: false),
    FieldRule("rejection_reason", .nullable(.string), required: false),
    FieldRule("face_px", .number, required: false, [.atLeast(0)]),
    FieldRule("yaw_deg", .number, required: false, [.within(-180, 180)]),
    FieldRule("sharpness", .number, required: false, [.atLeast(0)]),
    FieldRule("padding", .number, required: false, [.unitInterval]),
    FieldRule("probe_rank", .integer, required: false, [.atLeast(1)]),
    FieldRule("track_probes", .integer, required: false, [.atLeast(1)]),
  ]

  /// `track_metrics.json`.
  static let trackMetrics: [FieldRule] = [
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("tracks_born", .integer, nonNegativeInteger),
    FieldRule("tracks_lost", .integer, nonNegativeInteger),
    FieldRule("id_switches", .integer, nonNegativeInteger),
    FieldRule(
      "longest_tracks",
      .array(
        .object([
          FieldRule("track_id", .string, [.identifier(.track)]),
          FieldRule("length", .integer, [.atLeast(1)]),
        ]), count: nil)),
    FieldRule("avg_tracks_per_frame", .number, [.atLeast(0)]),
    FieldRule("tracks_per_minute", .number, [.atLeast(0)]),
    FieldRule("short_track_fraction", .number, [.unitInterval]),
    FieldRule("total_frames", .integer, nonNegativeInteger),
    FieldRule("analyzed_fps", .number, [.atLeast(0)]),
    FieldRule("elapsed_sec", .number, [.atLeast(0)]),
    FieldRule("device", .string, [.nonEmpty]),
    FieldRule("detector", .string, [.nonEmpty]),
    FieldRule("tracker", .string, [.nonEmpty]),
    FieldRule("scene_cuts", .integer, nonNegativeInteger),
  ]

  /// One entry of `identities` in `identities.json`.
  static let identity: [FieldRule] = [
    FieldRule("identity_id", .string, [.identifier(.identity)]),
    FieldRule("cluster_id", .nullable(.integer)),
    FieldRule("track_ids", .array(.string, count: nil), [.identifier(.track), .nonEmpty]),
    FieldRule("canonical_face_path", .string),
    FieldRule(
      "embedding_stats",
      .object([
        FieldRule("centroid_norm", .number, [.atLeast(0)]),
        FieldRule("variance", .number, [.atLeast(0)]),
        FieldRule("num_tracks", .integer, [.atLeast(1)]),
        FieldRule("num_faces_total", .integer, nonNegativeInteger),
      ])),
    FieldRule("labels", .stringMap, required: false),
    FieldRule("locked", .boolean),
    FieldRule("created_at", .string, [.timestamp]),
    FieldRule("updated_at", .string, [.timestamp]),
  ]

  /// `identities.json`.
  static let identities: [FieldRule] = [
    FieldRule("identities", .array(.object(identity), count: nil)),
    FieldRule(
      "metadata",
      .object([
        FieldRule("ep_id", .string, [.episode]),
        FieldRule("num_tracks", .integer, nonNegativeInteger),
        FieldRule("num_clusters", .integer, nonNegativeInteger),
        FieldRule("num_singletons", .integer, nonNegativeInteger),
        FieldRule("singleton_fraction", .number, [.unitInterval]),
        FieldRule("largest_cluster_size", .integer, nonNegativeInteger),
        FieldRule("largest_cluster_fraction", .number, [.unitInterval]),
        FieldRule("cluster_thresh", .number, [.within(-1, 1)]),
        FieldRule("min_cluster_size", .integer, [.atLeast(1)]),
        FieldRule("algorithm", .string, [.nonEmpty]),
        FieldRule("linkage", .string, [.nonEmpty]),
        FieldRule("created_at", .string, [.timestamp]),
      ])),
  ]

  /// One entry of `identities` in `screentime.json`.
  static let screenTimeEntry: [FieldRule] = [
    FieldRule("identity_id", .string, [.identifier(.identity)]),
    FieldRule("name", .nullable(.string)),
    FieldRule("person_id", .nullable(.string)),
    FieldRule("seconds", .number, [.atLeast(0)]),
    FieldRule("share", .number, [.unitInterval]),
    FieldRule("num_tracks", .integer, [.atLeast(1)]),
    FieldRule("first_seen_s", .number, [.atLeast(0)]),
    FieldRule("last_seen_s", .number, [.atLeast(0)]),
  ]

  /// `analytics/{ep_id}/screentime.json` (screentime_v1).
  static let screenTime: [FieldRule] = [
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("duration_s", .number, [.atLeast(0)]),
    FieldRule("frame_step_s", .number, [.atLeast(0)]),
    FieldRule("gap_seconds", .number, [.atLeast(0)]),
    FieldRule("cuts_known", .boolean),
    FieldRule("timing_source", .string, [.nonEmpty]),
    FieldRule("identities", .array(.object(screenTimeEntry), count: nil)),
    FieldRule(
      "unidentified",
      .object([
        FieldRule("seconds", .number, [.atLeast(0)]),
        FieldRule("share", .number, [.unitInterval]),
        FieldRule("num_tracks", .integer, nonNegativeInteger),
      ])),
    FieldRule("schema_version", .string, [.equals(SchemaVersion.screenTime)]),
  ]

  static let cleanupCounts: FieldType = .object([
    FieldRule("num_tracks", .integer, nonNegativeInteger),
    FieldRule("num_faces", .integer, nonNegativeInteger),
    FieldRule("num_clusters", .integer, nonNegativeInteger),
    FieldRule("singleton_fraction", .number, [.unitInterval]),
  ])

  /// `cleanup_report.json` (each summary is optional: present when its action ran).
  static let cleanupReport: [FieldRule] = [
    FieldRule("ep_id", .string, [.episode]),
    FieldRule("actions_run", .array(.string, count: nil)),
    FieldRule("before", cleanupCounts),
    FieldRule("after", cleanupCounts),
    FieldRule(
      "split_tracks_summary",
      .object([
        FieldRule("tracks_split", .integer, nonNegativeInteger),
        FieldRule("new_tracks_created", .integer, nonNegativeInteger),
      ]), required: false),
    FieldRule(
      "reembed_summary",
      .object([
        FieldRule("faces_rejected", .integer, nonNegativeInteger),
        FieldRule("mean_quality_before", .number, [.unitInterval]),
        FieldRule("mean_quality_after", .number, [.unitInterval]),
      ]), required: false),
    FieldRule(
      "recluster_summary",
      .object([FieldRule("clusters_merged", .integer, nonNegativeInteger)]), required: false),
    FieldRule("elapsed_sec", .number, [.atLeast(0)]),
    FieldRule("created_at", .string, [.timestamp]),
  ]
}
