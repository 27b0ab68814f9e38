public import Artifacts
import Foundation

extension SeasonReportStore {
  /// `episode-run validate --show S` (docs/screentime.md, "Season report"): the pair is both
  /// there or both absent; `screentime.json` reads as `season_screentime_v1` of this show;
  /// `screentime.csv` is exactly the CSV of the JSON; and the report is what the show's
  /// episodes give now (else it is stale, naming the first difference).
  public func validate(reader: String) -> ValidationReport {
    var report = ValidationReport()
    let jsonURL = layout.seasonJSON(show)
    let csvURL = layout.seasonCSV(show)
    let jsonPath = layout.relativePath(jsonURL)
    let csvPath = layout.relativePath(csvURL)
    func violation(_ path: String, _ field: String, _ message: String) {
      report.violations.append(
        Violation(artifact: path, line: nil, field: field, value: "", message: message))
    }
    let manager = FileManager.default
    switch (manager.fileExists(atPath: jsonURL.path), manager.fileExists(atPath: csvURL.path)) {
    case (false, false):
      report.absent = [jsonPath, csvPath]
      return report
    case (true, false): violation(csvPath, "", "missing beside \(jsonPath)")
    case (false, true): violation(jsonPath, "", "missing beside \(csvPath)")
    case (true, true): break
    }
    guard manager.fileExists(atPath: jsonURL.path) else { return report }
    let published: SeasonReport
    do {
      published = try AtomicFile.readJSON(SeasonReport.self, from: jsonURL, displayPath: jsonPath)
    } catch {
      violation(jsonPath, "", "\(error)")
      return report
    }
    report.checked[jsonPath] = published.rows.count
    if published.schemaVersion != SeasonReport.currentSchema {
      violation(jsonPath, "schema_version", "must be \"\(SeasonReport.currentSchema)\"")
    }
    if published.showID != show.rawValue {
      violation(jsonPath, "show_id", "must be \"\(show.rawValue)\" (the folder's show)")
    }
    if let csv = try? Data(contentsOf: csvURL) {
      report.checked[csvPath] = published.rows.count
      if csv != Data(SeasonCSV.text(published).utf8) {
        violation(csvPath, "", "does not hold the rows of \(jsonPath)")
      }
    }
    do {
      let current = try build(reader: reader)
      if let difference = Self.firstDifference(published, current) {
        violation(
          jsonPath, "",
          "stale: \(difference); run episode-run season report --show \(show.rawValue)")
      }
    } catch {
      violation(jsonPath, "", "cannot rebuild it from the episodes: \(error)")
    }
    return report
  }

  /// What first differs between a published report and the one the episodes give now, in
  /// words; nil when they are equal.
  static func firstDifference(_ published: SeasonReport, _ current: SeasonReport) -> String? {
    let episodesThen = published.episodes.map(\.epID)
    let episodesNow = current.episodes.map(\.epID)
    if episodesThen != episodesNow {
      return "its episodes are \(episodesThen.joined(separator: ", ")), the show's now "
        + episodesNow.joined(separator: ", ")
    }
    for (old, new) in zip(published.episodes, current.episodes) where old != new {
      return "\(new.epID) changed since (status \(new.status), \(new.identities) identities, "
        + "\(new.labelled) labelled)"
    }
    func key(_ row: SeasonRow) -> String {
      "\(row.kind.rawValue) \(row.who) \(row.epID)"
    }
    let before = Dictionary(published.rows.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
    let after = Dictionary(current.rows.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
    for row in current.rows {
      let who = row.who
      guard let old = before[key(row)] else { return "\(who) in \(row.epID) is new" }
      if old.seconds != row.seconds {
        return "\(who) in \(row.epID): \(old.seconds) s, \(row.seconds) s now"
      }
      if old.name != row.name { return "\(who) is \"\(row.name)\" now, \"\(old.name)\" then" }
    }
    if let gone = published.rows.first(where: { after[key($0)] == nil }) {
      return "\(gone.who) in \(gone.epID) is gone"
    }
    return published == current ? nil : "its totals differ"
  }
}

extension SeasonRow {
  /// Who the row is about in words: the person id, else the name.
  var who: String { personID.isEmpty ? name : personID }
}
