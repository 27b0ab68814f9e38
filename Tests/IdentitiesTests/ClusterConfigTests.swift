import Foundation
import PipelineConfig
import Testing

@testable import Identities

@Suite("Cluster config")
struct ClusterConfigTests {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test("the shipped clustering.yaml holds the defaults; bad values name file and line")
  func shippedFile() throws {
    let url = Self.repositoryRoot.appendingPathComponent(ClusterConfig.defaultPath)
    #expect(try ClusterConfig.load(try ConfigFile(url: url)) == ClusterConfig())
    #expect {
      try ClusterConfig.load(try ConfigFile(yaml: "linkage: ward\n", path: "c.yaml"))
    } throws: { "\($0)".contains("c.yaml:1") && "\($0)".contains("average") }
    let set = try ClusterConfig.load(
      try ConfigFile(yaml: "cluster_thresh: 0.5\nlinkage: single\n", path: "c.yaml"))
    #expect(set.clusterThresh == 0.5 && set.linkage == .single)
  }

  @Test("probe_clear_face_px must lie above probe_min_face_px, or be 0 (no rise)")
  func clearFaceSize() throws {
    #expect {
      try ClusterConfig.load(
        try ConfigFile(yaml: "probe_min_face_px: 20\nprobe_clear_face_px: 16\n", path: "c.yaml"))
    } throws: { "\($0)".contains("c.yaml:2") && "\($0)".contains("probe_min_face_px 20") }
    let off = try ClusterConfig.load(
      try ConfigFile(yaml: "probe_clear_face_px: 0\n", path: "c.yaml"))
    #expect(off.probeClearFacePx == 0)
    let set = try ClusterConfig.load(
      try ConfigFile(yaml: "probe_clear_face_px: 48\n", path: "c.yaml"))
    #expect(set.probeClearFacePx == 48)
  }
}
