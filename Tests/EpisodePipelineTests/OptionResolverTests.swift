import DetectTrack
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Harvest
import Identities
import Inference
import PipelineConfig
import Testing

/// The one option resolver of `episode-run` and `faceharvest-server` (docs/configuration.md).
struct OptionResolverTests {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static var manifest: ModelManifest {
    get throws {
      let deps =
        ProcessInfo.processInfo.environment["FACEHARVEST_DEPS"].flatMap { $0.isEmpty ? nil : $0 }
        ?? repositoryRoot.appendingPathComponent(".deps").path
      return try ModelManifest.load(
        from: URL(fileURLWithPath: deps).appendingPathComponent("models/manifest.json"))
    }
  }

  /// A config directory holding `files` (name → YAML text).
  static func configDirectory(_ files: [String: String]) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-options-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, text) in files {
      try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }
    return directory
  }

  static func flags(_ values: [String: String], _ spellings: [String: String] = [:]) -> ConfigFile {
    ConfigFile(values: values, spellings: spellings, source: "command line")
  }

  static let shippedTracking = """
    detector: yunet
    det_thresh: 0.5
    low_thresh: 0.1
    new_track_thresh: 0.6
    stride: 1
    target_fps: 8
    """

  @Test func everyStageKeyBelongsToExactlyOneStage() {
    let all = PipelineStage.allCases.map(\.keys)
    let union = all.reduce(into: Set<String>()) { $0.formUnion($1) }
    #expect(union.count == all.map(\.count).reduce(0, +))
    #expect(PipelineStage.owning("det_thresh") == .detectTrack)
    #expect(PipelineStage.owning("min_face_size") == .facesEmbed)
    #expect(PipelineStage.owning("cluster_thresh") == .cluster)
    #expect(PipelineStage.owning("no_such_key") == nil)
  }

  @Test func detThreshGivenAloneMovesTheTrackerBandsInEveryLayer() throws {
    let directory = try Self.configDirectory(["tracking.yaml": Self.shippedTracking])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    let options = try resolver.resolve(
      [.detectTrack], overrides: [.detectTrack: Self.flags(["det_thresh": "0.7"])])
    let tracking = try #require(options.tracking)
    #expect(tracking.detThresh == 0.7)
    #expect(tracking.newTrackThresh == 0.7)
    #expect(tracking.lowThresh == 0.1)
  }

  @Test func aLayerThatNamesBothBandsIsCheckedAsWritten() throws {
    let directory = try Self.configDirectory(["tracking.yaml": Self.shippedTracking])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    let overrides = Self.flags(
      ["det_thresh": "0.7", "new_track_thresh": "0.65"],
      ["det_thresh": "--det-thresh", "new_track_thresh": "new_track_thresh"])
    #expect {
      try resolver.resolve([.detectTrack], overrides: [.detectTrack: overrides])
    } throws: { error in
      "\(error)".contains("command line: new_track_thresh: new_track_thresh 0.65 is below")
    }
  }

  @Test func strideGivenAloneTurnsTheFileTargetFPSOff() throws {
    let directory = try Self.configDirectory(["tracking.yaml": Self.shippedTracking])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    let fromFile = try #require(try resolver.resolve([.detectTrack]).tracking)
    #expect(fromFile.targetFPS == 8)
    let options = try resolver.resolve(
      [.detectTrack], overrides: [.detectTrack: Self.flags(["stride": "3"])])
    #expect(options.tracking?.stride == 3)
    #expect(options.tracking?.targetFPS == 0)
  }

  @Test func aFlagOutOfRangeIsNamedAsTheUserWroteIt() throws {
    let resolver = OptionResolver(
      configDirectory: try Self.configDirectory([:]), manifest: try Self.manifest)
    #expect {
      try resolver.resolve(
        [.facesEmbed],
        overrides: [
          .facesEmbed: Self.flags(["min_face_size": "0"], ["min_face_size": "--min-face-size"])
        ]
      )
    } throws: { error in
      "\(error)" == "command line: --min-face-size: 0 is outside 1...4096"
    }
  }

  @Test func anUnknownModelInAConfigFileNamesItsLine() throws {
    let directory = try Self.configDirectory([
      "tracking.yaml": "det_thresh: 0.5\ndetector: retinaface\n"
    ])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    #expect {
      try resolver.resolve([.detectTrack])
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix(
        directory.appendingPathComponent("tracking.yaml").path + ":2: detector:")
    }
    let harvest = try Self.configDirectory(["faces_embed_sampling.yaml": "embed_model: nope\n"])
    let harvestResolver = OptionResolver(configDirectory: harvest, manifest: try Self.manifest)
    #expect {
      try harvestResolver.resolve([.facesEmbed])
    } throws: { error in
      "\(error)".hasPrefix(
        harvest.appendingPathComponent("faces_embed_sampling.yaml").path + ":1: embed_model:")
    }
  }

  @Test func aCallerFileReplacesTheDefaultFileOfItsStage() throws {
    let directory = try Self.configDirectory([
      "clustering.yaml": "min_cluster_size: 5\nlinkage: single\n"
    ])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    #expect(try resolver.resolve([.cluster]).cluster?.minClusterSize == 5)
    let mine = try ConfigFile(yaml: "min_cluster_size: 3\n", path: "mine.yaml")
    let files = try OptionResolver.filesByStage([mine])
    let options = try resolver.resolve([.cluster], files: files)
    #expect(options.cluster?.minClusterSize == 3)
    #expect(options.cluster?.linkage == ClusterConfig().linkage)
  }

  @Test func onlyTheRequestedStagesAreResolved() throws {
    let directory = try Self.configDirectory(["clustering.yaml": "linkage: nonsense\n"])
    let resolver = OptionResolver(configDirectory: directory, manifest: try Self.manifest)
    let options = try resolver.resolve([.detectTrack])
    #expect(options.tracking != nil && options.harvest == nil && options.cluster == nil)
    #expect(throws: ConfigError.self) { try resolver.resolve([.cluster]) }
  }

  @Test func keysAreGroupedByStageAndStrangersRefused() throws {
    let grouped = try OptionResolver.group(
      ["det_thresh", "min_face_size", "stride"], stages: [.detectTrack, .facesEmbed])
    #expect(grouped[.detectTrack] == ["det_thresh", "stride"])
    #expect(grouped[.facesEmbed] == ["min_face_size"])
    #expect(throws: UnknownOptionError(key: "det_thresh", stages: [.facesEmbed])) {
      try OptionResolver.group(["det_thresh"], stages: [.facesEmbed])
    }
    #expect(throws: UnknownOptionError(key: "bogus", stages: [.cluster])) {
      try OptionResolver.group(["bogus"], stages: [.cluster])
    }
  }

  @Test func showOptionsListsEveryKeyOfEveryResolvedStage() throws {
    let resolver = OptionResolver(
      configDirectory: try Self.configDirectory([:]), manifest: try Self.manifest)
    let options = try resolver.resolve(Set(PipelineStage.allCases))
    let values = options.values
    for stage in PipelineStage.allCases {
      #expect(Set(values[stage]?.map(\.key) ?? []) == stage.keys)
    }
    let text = try OptionsJSON.text(options)
    #expect(text.contains("\"det_thresh\" : 0.5"))
    #expect(text.contains("\"cluster_thresh\" : null"))
    #expect(text.contains("\"sampling_mode\" : \"uniform\""))
  }

  @Test func stagesRunInPipelineOrder() {
    #expect(Set(PipelineStage.allCases).sorted() == [.detectTrack, .facesEmbed, .cluster])
  }
}
