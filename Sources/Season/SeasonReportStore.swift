public import Artifacts
public import Foundation
import Identities

/// A show's season report on disk (docs/screentime.md, "Season report"): the show's episodes
/// read as committed, the report built and published as a pair (`screentime.json` and
/// `screentime.csv` in `analytics/shows/{show_id}/`), and checked by `validate --show`.
public struct SeasonReportStore {
  /// The data root.
  public let layout: DataLayout
  /// The show.
  public let show: ShowID

  /// The report of `show` under `layout`.
  public init(layout: DataLayout, show: ShowID) {
    self.layout = layout
    self.show = show
  }

  /// The show's episodes: every folder of `manifests/` whose `ep_id` belongs to the show by the
  /// naming convention (docs/people.md, "Which show an episode belongs to"), sorted.
  public func episodes() throws -> [EpisodeID] {
    let manifests = layout.root.appendingPathComponent("manifests", isDirectory: true)
    guard FileManager.default.fileExists(atPath: manifests.path) else { return [] }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: manifests.path)
    } catch {
      throw FileSystemFailure.error("list", layout.relativePath(manifests), error)
    }
    return names.sorted().compactMap { try? EpisodeID($0) }.filter {
      ShowID.derived(from: $0) == show
    }
  }

  /// The report of the show's episodes as they are committed now, with the registry's names.
  public func build(reader: String) throws -> SeasonReport {
    let registry = try PeopleRegistry(layout: layout, show: show).load()
    let names = Dictionary(
      registry.people.map { ($0.personID, $0.name) }, uniquingKeysWith: { a, _ in a })
    // An episode whose files cannot be read is listed with why, not the whole report lost.
    let inputs = try episodes().map { episode in
      do {
        return try input(of: episode, reader: reader)
      } catch {
        return SeasonEpisodeInput(
          episode: episode.rawValue, identities: nil, screenTime: nil, problem: "\(error)")
      }
    }
    return SeasonReportBuilder(showID: show.rawValue, registeredNames: names).report(inputs)
  }

  /// `episode`'s identities and screen time as last committed (the hot-journal rule,
  /// `CommittedArtifacts`).
  func input(of episode: EpisodeID, reader: String) throws -> SeasonEpisodeInput {
    let committed = CommittedArtifacts.open(layout: layout, episode: episode, reader: reader)
    func load<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T? {
      guard FileManager.default.fileExists(atPath: committed.resolve(url).path) else { return nil }
      return try committed.read(url) {
        try AtomicFile.readJSON(type, from: $0, displayPath: layout.relativePath(url))
      }
    }
    return SeasonEpisodeInput(
      episode: episode.rawValue,
      identities: try load(IdentitiesDocument.self, layout.identities(episode)),
      screenTime: try load(ScreenTimeReport.self, layout.screentimeJSON(episode)))
  }

  /// Publishes `report` as the show's pair, under the show's season lock: both files are
  /// written into a staging folder, which then replaces the show's folder (the old one moved
  /// aside first, then removed). A reader sees the old pair, the new pair, or — after a kill
  /// between the two renames — none, never one file of each. Returns the paths written.
  @discardableResult
  public func publish(_ report: SeasonReport) throws -> [String] {
    let lock = try EpisodeLock.acquire(
      name: "shows/\(show.rawValue)-season", layout: layout, purpose: "season report"
    ) { holder, lockFile in
      ArtifactError.io(
        path: lockFile, underlying: "the season report of \(show) is being written by \(holder)")
    }
    defer { lock.release() }
    let target = layout.seasonDir(show)
    let parent = target.deletingLastPathComponent()
    try removeLeftovers(in: parent)
    let staging = parent.appendingPathComponent(".\(show.rawValue)-staging-\(UUID().uuidString)")
    let aside = parent.appendingPathComponent(".\(show.rawValue)-old-\(UUID().uuidString)")
    try AtomicFile.writeJSON(report, to: staging.appendingPathComponent("screentime.json"))
    try AtomicFile.write(
      Data(SeasonCSV.text(report).utf8), to: staging.appendingPathComponent("screentime.csv"))
    let manager = FileManager.default
    do {
      if manager.fileExists(atPath: target.path) { try manager.moveItem(at: target, to: aside) }
      try manager.moveItem(at: staging, to: target)
    } catch {
      throw FileSystemFailure.error("publish", layout.relativePath(target), error)
    }
    try? manager.removeItem(at: aside)
    return [layout.seasonJSON(show), layout.seasonCSV(show)].map(layout.relativePath)
  }

  /// Removes the staging and set-aside folders a killed `publish` of this show left.
  private func removeLeftovers(in parent: URL) throws {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: parent.path) else { return }
    for name in names
    where name.hasPrefix(".\(show.rawValue)-staging-") || name.hasPrefix(".\(show.rawValue)-old-") {
      try? manager.removeItem(at: parent.appendingPathComponent(name))
    }
  }

  /// The published report, or nil when there is none.
  public func published() throws -> SeasonReport? {
    let url = layout.seasonJSON(show)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try AtomicFile.readJSON(
      SeasonReport.self, from: url, displayPath: layout.relativePath(url))
  }
}
