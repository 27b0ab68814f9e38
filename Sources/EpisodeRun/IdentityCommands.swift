import ArgumentParser
import Artifacts
import Benchmarks
import Cleanup
import Foundation
import Identities
import Inference
import PipelineConfig

/// The clustering flags. Each one overrides the config file.
struct ClusterOptions: ParsableArguments {
  @Flag(
    name: .customLong("cluster"),
    help: "Cluster tracks into identities: track_embeddings.npy, identities.json.")
  var cluster = false

  @Option(name: .customLong("cluster-thresh"), help: "Cosine similarity to join an identity.")
  var clusterThresh: Double?

  @Option(name: .customLong("min-cluster-size"), help: "Smaller clusters become singletons.")
  var minClusterSize: Int?

  @Option(name: .customLong("linkage"), help: "average | complete | single.")
  var linkage: String?

  @Option(
    name: .customLong("show-id"),
    help: "Show whose registered people suggest labels (default: the ep_id before -sNNeNN).")
  var show: String?

  @Flag(name: .customLong("force"), help: "Replace an invalid identities.json.")
  var force = false

  /// The flags as overrides of the stage's config keys.
  var overrides: [FlagOverride] {
    [
      FlagOverride("cluster_thresh", "--cluster-thresh", clusterThresh),
      FlagOverride("min_cluster_size", "--min-cluster-size", minClusterSize),
      FlagOverride("linkage", "--linkage", linkage),
      FlagOverride("show_id", "--show-id", show),
    ]
  }
}

/// `episode-run identities`: human edits of `identities.json` that survive re-clustering.
struct IdentitiesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identities",
    abstract: "Show or edit identities.json (labels, locks, merges, moves, splits).",
    subcommands: [
      ShowIdentities.self, LabelIdentity.self, LockIdentity.self, UnlockIdentity.self,
      MergeIdentities.self, MoveTrack.self, SplitTrack.self, AcceptSuggestion.self,
      RejectSuggestion.self, SuggestIdentities.self, RejectCandidate.self,
    ],
    defaultSubcommand: ShowIdentities.self
  )
}

/// Options every edit shares.
struct EditOptions: ParsableArguments {
  @OptionGroup var episode: EpisodeOptions

  @Flag(name: .customLong("force"), help: "Allow an identity to hold tracks that share a frame.")
  var force = false

  func editor() throws -> IdentityEditor {
    var editor = IdentityEditor(
      layout: episode.layout(), episode: try episode.episodeID(),
      logger: episode.logger("faceharvest.identities"))
    editor.force = force
    return editor
  }
}

struct ShowIdentities: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "List the identities with their tracks and labels.")
  @OptionGroup var episode: EpisodeOptions

  func run() throws {
    let layout = episode.layout()
    let episodeID = try episode.episodeID()
    let url = layout.identities(episodeID)
    // A reader: no lock, so through the commit journal (docs/artifacts.md, "Commits").
    let document = try CommittedArtifacts.open(
      layout: layout, episode: episodeID, reader: "episode-run identities show"
    ).read(url) {
      try AtomicFile.readJSON(
        IdentitiesDocument.self, from: $0, displayPath: layout.relativePath(url))
    }
    print(IdentitiesListing.text(document))
  }
}

struct LabelIdentity: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "label", abstract: "Set an identity's name and person id (empty removes).")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity id, e.g. identity-00003") var identity: String
  @Option(name: .customLong("name"), help: "Display name.") var name: String?
  @Option(name: .customLong("person-id"), help: "Stable person id.") var personID: String?

  func run() throws {
    var labels: [String: String] = [:]
    if let name { labels["name"] = name }
    if let personID { labels["person_id"] = personID }
    guard !labels.isEmpty else { throw ValidationError("give --name and/or --person-id") }
    try options.editor().label(identity, labels)
  }
}

struct LockIdentity: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lock", abstract: "Protect an identity from re-clustering and edits.")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity id") var identity: String

  func run() throws { try options.editor().setLocked(identity, true) }
}

struct UnlockIdentity: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unlock", abstract: "Let re-clustering change an identity again.")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity id") var identity: String

  func run() throws { try options.editor().setLocked(identity, false) }
}

struct MergeIdentities: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge", abstract: "Move every track of the second identity into the first.")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity that stays") var kept: String
  @Argument(help: "identity that is absorbed") var absorbed: String

  func run() throws { try options.editor().merge(kept, absorbed) }
}

struct MoveTrack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "move-track", abstract: "Move one track to another identity.")
  @OptionGroup var options: EditOptions
  @Argument(help: "track id, e.g. track-00012") var track: String
  @Option(name: .customLong("to"), help: "target identity id") var target: String

  func run() throws { try options.editor().moveTrack(track, to: target) }
}

struct SplitTrack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "split", abstract: "Move one track into a new identity of its own.")
  @OptionGroup var options: EditOptions
  @Argument(help: "track id") var track: String

  func run() throws {
    print(try options.editor().split(track).identityID)
  }
}

struct AcceptSuggestion: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "accept-suggestion", abstract: "Make a suggested label (people registry) human.")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity id") var identity: String

  func run() throws { try options.editor().acceptSuggestion(identity) }
}

struct RejectSuggestion: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reject-suggestion",
    abstract: "Remove a suggested label; that person is not suggested for it again.")
  @OptionGroup var options: EditOptions
  @Argument(help: "identity id") var identity: String

  func run() throws { try options.editor().rejectSuggestion(identity) }
}

/// `episode-run identities suggest`: review by suggestion (docs/identities.md).
struct SuggestIdentities: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "suggest",
    abstract: "Where unidentified tracks and small identities probably belong; likely merges.",
    discussion: "Accept one with move-track or merge; reject it with reject.")
  @OptionGroup var episode: EpisodeOptions
  @Flag(help: "Print the suggestions as JSON.") var json = false

  func run() throws {
    let suggestions = try ReviewSuggestions.load(
      layout: episode.layout(), episode: try episode.episodeID())
    if json {
      print(String(decoding: try AtomicFile.jsonData(suggestions, displayPath: "-"), as: UTF8.self))
    } else {
      print(suggestions.text)
    }
  }
}

/// `episode-run identities reject`: a rejected review suggestion (docs/identities.md).
struct RejectCandidate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reject",
    abstract: "Say a track or identity is not an identity's person; never suggested again.")
  @OptionGroup var options: EditOptions
  @Argument(help: "track or identity id") var subject: String
  @Option(name: .customLong("not"), help: "an identity it is not (repeat for several)")
  var identities: [String]

  func run() throws { try options.editor().reject(subject, notIn: identities) }
}

/// `episode-run bench-cluster`: times clustering on synthetic tracks with each linkage
/// (`make bench` runs 5,000).
struct BenchCluster: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-cluster", abstract: "Time the clustering of N synthetic tracks.")
  @Option(help: "Tracks to cluster.") var tracks = 5000
  @Option(help: "Embedding width.") var width = 128

  func run() throws {
    for linkage in Linkage.allCases {
      print(ClusteringBenchmark.run(tracks: tracks, width: width, linkage: linkage).text())
    }
  }
}

/// The clean-up flags.
struct CleanupOptions: ParsableArguments {
  @Flag(
    name: .customLong("cleanup"),
    help: "Run the clean-up pass: split_tracks, reembed, recluster; writes cleanup_report.json.")
  var cleanup = false

  @Option(
    name: .customLong("actions"),
    help: "Comma-separated subset of split_tracks,reembed,recluster (default: all).")
  var actions: String?

  @Option(
    name: .customLong("reembed-min-quality"), help: "Quality floor of reembed (default 0.8).")
  var reembedMinQuality: Double?

  func resolvedActions() throws -> [CleanupAction] {
    guard let actions else { return CleanupAction.allCases }
    do {
      let parsed = try CleanupAction.parse(list: actions)
      guard !parsed.isEmpty else { throw ValidationError("--actions names no action") }
      return parsed
    } catch let error as IdentitiesError {
      throw ValidationError("\(error)")
    }
  }
}
