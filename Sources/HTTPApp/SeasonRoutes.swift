import Artifacts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Season

/// The season page of a show (docs/review_app.md, "Season page"): `/app/shows/{show_id}`, and
/// the report it draws, built from the episodes as they are now (the same `SeasonReportStore`
/// as `episode-run season report`, never written by a GET): `GET /shows/{show_id}/season` (JSON)
/// and `GET /shows/{show_id}/season.csv` (the CSV the command writes, as a download).
enum SeasonRoutes {
  /// Adds the page and its two reading routes to `router`.
  static func add(to router: Router<BasicRequestContext>, layout: DataLayout) {
    router.get("/app/shows/:show") { _, context in
      _ = try show(context)
      return try await ReviewRoutes.page("show.html", context: context)
    }
    router.get("/shows/:show/season") { _, context in
      let report = try await build(show(context), layout: layout)
      return try ReviewRoutes.encoded(.ok, report)
    }
    router.get("/shows/:show/season.csv") { _, context in
      let show = try show(context)
      let report = try await build(show, layout: layout)
      return Response(
        status: .ok,
        headers: [
          .contentType: "text/csv; charset=utf-8",
          .contentDisposition: "attachment; filename=\"\(show.rawValue)-screentime.csv\"",
        ],
        body: .init(byteBuffer: ByteBuffer(string: SeasonCSV.text(report))))
    }
  }

  /// The show's report as its episodes give it now; 404 when the show has no episode.
  static func build(_ show: ShowID, layout: DataLayout) async throws -> SeasonReport {
    try await NIOThreadPool.singleton.runIfActive {
      let store = SeasonReportStore(layout: layout, show: show)
      guard !(try store.episodes()).isEmpty else {
        throw ProblemError(
          .notFound, "not found",
          "no episode of show \(show) (an episode belongs to a show by its id: \(show)-sNNeNN)")
      }
      return try store.build(reader: "faceharvest-server")
    }
  }

  /// The path's `show` parameter as a show id; 400 when it is not one.
  static func show(_ context: BasicRequestContext) throws -> ShowID {
    do {
      return try ShowID(context.parameters.get("show") ?? "")
    } catch {
      throw ProblemError(.badRequest, "invalid show_id", "\(error)")
    }
  }
}
