import Artifacts
import Foundation

/// The season report as a text table for a terminal (`season report --format table`): one line
/// per person with their seconds in each episode and the total, then the unnamed and the
/// unidentified, then the episodes' review state.
public enum SeasonTable {
  /// The table.
  public static func text(_ report: SeasonReport) -> String {
    let episodes = report.episodes.filter { $0.status == SeasonReportBuilder.ok }.map(\.epID)
    var lines: [[String]] = [["person", "name"] + episodes + ["total", "share"]]
    for total in report.totals {
      let who = total.personID.isEmpty ? "-" : total.personID
      let cells = episodes.map { episode in
        report.rows.first {
          $0.kind == total.kind && $0.personID == total.personID && $0.name == total.name
            && $0.epID == episode
        }.map { seconds($0.seconds) } ?? ""
      }
      lines.append(
        [total.kind == .person ? who : "(\(total.kind.rawValue))", total.name] + cells
          + [seconds(total.seconds), String(format: "%.1f%%", total.share * 100)])
    }
    let widths = lines[0].indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
    var text = lines.map { cells in
      cells.enumerated().map { column, cell in
        column < 2
          ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[column] - cell.count) + cell
      }.joined(separator: "  ")
    }
    for episode in report.episodes {
      let state =
        episode.status != SeasonReportBuilder.ok
        ? episode.status
        : "\(episode.identities) identities, \(episode.labelled) labelled, "
          + "\(episode.suggested) suggested, "
          + (episode.reviewed ? "reviewed" : "not reviewed")
      text.append("\(episode.epID): \(state)")
    }
    return text.joined(separator: "\n")
  }

  private static func seconds(_ value: Double) -> String { String(format: "%.1f", value) }
}
