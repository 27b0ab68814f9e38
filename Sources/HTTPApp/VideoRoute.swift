import Artifacts
import Foundation
import HTTPTypes
import Hummingbird
import NIOPosix

/// `GET /episodes/{ep_id}/video`: the episode's `videos/{ep_id}/episode.mp4`, whole or one
/// byte range (docs/review_app.md, "Video"), so that the review page's `<video>` can seek to
/// the moment of a crop or a track. Read-only; only the episode id names the file, so no path
/// leaves the data root, and a bad id is refused before any file is opened.
enum VideoRoute {
  static func add(to router: Router<BasicRequestContext>, layout: DataLayout) {
    router.get("/episodes/:ep/video") { request, context in
      try await response(to: request, context: context, layout: layout)
    }
  }

  static func response(to request: Request, context: BasicRequestContext, layout: DataLayout)
    async throws -> Response
  {
    let episode = try ReviewRoutes.episode(context)
    let path = layout.video(episode).resolvingSymlinksInPath().path
    let size = try await NIOThreadPool.singleton.runIfActive { regularFileSize(path) }
    guard let size else {
      return FaceHarvestServer.problem(
        .notFound, "not found", "no video for \(episode) (videos/\(episode)/episode.mp4)")
    }
    var headers: HTTPFields = [.contentType: "video/mp4", .acceptRanges: "bytes"]
    switch ByteRangeRequest(header: request.headers[.range], size: size) {
    case .whole:
      let body = try await FileIO().loadFile(path: path, context: context)
      return Response(status: .ok, headers: headers, body: body)
    case .range(let range):
      headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
      let body = try await FileIO().loadFile(path: path, range: range, context: context)
      return Response(status: .partialContent, headers: headers, body: body)
    case .unsatisfiable:
      headers[.contentRange] = "bytes */\(size)"
      return Response(status: .rangeNotSatisfiable, headers: headers)
    }
  }

  /// The size of the regular file at `path`; nil when there is none (a FIFO or a folder named
  /// `episode.mp4` is no video).
  private static func regularFileSize(_ path: String) -> Int? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    return (attributes[.size] as? NSNumber)?.intValue
  }
}
