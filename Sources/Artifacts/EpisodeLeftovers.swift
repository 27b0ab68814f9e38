import Foundation

/// What a killed writer of an episode can leave behind, and how the next writer (holding the
/// episode's lock, so no other writer is running) cleans it up (docs/artifacts.md, "Leftovers of
/// a killed run"):
/// - temporary files `.{name}.tmp-XXXXXXXX` beside artifacts: removed (their destination was
///   never replaced, or already was);
/// - `frames/{ep_id}/crops` missing: the harvest was killed between moving the old crops aside
///   and moving the new ones in, after `faces.jsonl` was committed; the newest
///   `.crops-staging-*` older than `faces.jsonl` (the new crops) is moved in, or, with none, the
///   newest `.crops-old-*`;
/// - every other `.crops-staging-*` and `.crops-old-*`: removed.
public enum EpisodeLeftovers {
  /// Cleans up after a killed writer; returns what it removed or restored, relative to the data
  /// root. Call it only while holding the episode's `EpisodeLock`.
  @discardableResult
  public static func recover(layout: DataLayout, episode: EpisodeID) -> [String] {
    let restore = restoreCrops(layout: layout, episode: episode)
    var done = restore.done
    let manager = FileManager.default
    // After a restore that failed, the .crops-* folders are the only copies: they are kept.
    let keepCropFolders = restore.failed
    let folders = [
      layout.manifestsDir(episode), layout.embedsDir(episode), layout.analyticsDir(episode),
      layout.framesDir(episode),
    ]
    for folder in folders {
      for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
      where name.hasPrefix(".")
        && (name.contains(".tmp-")
          || (!keepCropFolders
            && (name.hasPrefix(".crops-staging-") || name.hasPrefix(".crops-old-"))))
      {
        let url = folder.appendingPathComponent(name)
        if (try? manager.removeItem(at: url)) != nil {
          done.append("removed " + layout.relativePath(url))
        }
      }
    }
    return done
  }

  /// Moves the newest staged (else the newest old) crops folder in when `crops/` is missing.
  private static func restoreCrops(layout: DataLayout, episode: EpisodeID) -> (
    done: [String], failed: Bool
  ) {
    let manager = FileManager.default
    let crops = layout.cropsDir(episode)
    guard !manager.fileExists(atPath: crops.path) else { return ([], false) }
    let frames = layout.framesDir(episode)
    let names = (try? manager.contentsOfDirectory(atPath: frames.path)) ?? []
    func newest(_ prefix: String) -> URL? {
      names.filter { $0.hasPrefix(prefix) }.map { frames.appendingPathComponent($0) }
        .max { modified($0) < modified($1) }
    }
    // Staged crops were committed with faces.jsonl only if faces.jsonl is newer than them (a
    // run killed before its commit leaves staged crops that no faces.jsonl names).
    let facesDate = modified(layout.faces(episode))
    let staged = newest(".crops-staging-").flatMap { modified($0) <= facesDate ? $0 : nil }
    guard let source = staged ?? newest(".crops-old-") else { return ([], false) }
    guard (try? manager.moveItem(at: source, to: crops)) != nil else { return ([], true) }
    return (["restored \(layout.relativePath(crops)) from \(source.lastPathComponent)"], false)
  }

  private static func modified(_ url: URL) -> Date {
    ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date)
      ?? .distantPast
  }
}
