import Artifacts
import Foundation
import HTTPTypes
import Hummingbird
import JobQueue
import NIOCore
import NIOPosix

/// The review app (docs/review_app.md): its pages and static files under `/app/`, and the
/// reading routes they use besides the artifact routes: the episode list, an episode's review
/// model and identity thumbnails.
enum ReviewRoutes {
  /// The app's files, served by name only.
  static let staticFiles: [String: String] = [
    "app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
    "episodes.js": "text/javascript; charset=utf-8", "review.js": "text/javascript; charset=utf-8",
    "season.js": "text/javascript; charset=utf-8",
  ]

  /// Adds the pages and reading routes to `router`.
  static func add(
    to router: Router<BasicRequestContext>, layout: DataLayout, manager: JobManager,
    queue: JobQueue?
  ) {
    // `/app` and `/app/` are one route (the router ignores a trailing slash).
    router.get("/app/") { _, context in try await page("index.html", context: context) }
    router.get("/app/episodes/:ep") { _, context in
      _ = try episode(context)
      return try await page("episode.html", context: context)
    }
    router.get("/app/static/:file") { _, context in
      let name = context.parameters.get("file") ?? ""
      guard let type = staticFiles[name] else {
        throw ProblemError(.notFound, "not found", "no app file \(name)")
      }
      return try await appFile(name, contentType: type, context: context)
    }
    router.get("/episodes") { _, _ in
      var catalog = EpisodeCatalog(layout: layout, manager: manager)
      if let queue {
        // Queue mode: each episode's newest job is the queue's (docs/review_app.md).
        return try await QueuedJobRoutes.answering {
          catalog.queuedJobs = EpisodeCatalog.newestByEpisode(try await queue.jobs())
          let finished = catalog
          return FaceHarvestServer.json(
            .ok, try await NIOThreadPool.singleton.runIfActive { finished.json() })
        }
      }
      let finished = catalog
      return FaceHarvestServer.json(
        .ok, try await NIOThreadPool.singleton.runIfActive { finished.json() })
    }
    router.get("/episodes/:ep/review") { _, context in
      let review = EpisodeReview(layout: layout, episode: try episode(context))
      return FaceHarvestServer.json(
        .ok, try await NIOThreadPool.singleton.runIfActive { try review.json() })
    }
    router.get("/episodes/:ep/thumbs/:identity/:file") { _, context in
      try await thumbnail(context, layout: layout)
    }
  }

  /// An identity's `rep.jpg`; only identity ids and that name, so nothing leaves the data root.
  static func thumbnail(_ context: BasicRequestContext, layout: DataLayout) async throws
    -> Response
  {
    let episode = try episode(context)
    let identity = context.parameters.get("identity") ?? ""
    guard ArtifactID.isValidIdentityID(identity), context.parameters.get("file") == "rep.jpg"
    else {
      throw ProblemError(
        .badRequest, "invalid path", "thumbnails are thumbs/identity-NNNNN/rep.jpg")
    }
    return try await FaceHarvestServer.fileResponse(
      layout.identityThumb(episode, identityID: identity), of: episode, layout: layout,
      contentType: "image/jpeg", context: context,
      missing: "no thumbnail for \(identity) in \(episode)")
  }

  /// The path's `ep` parameter as an episode id; 400 when it is not one.
  static func episode(_ context: BasicRequestContext) throws -> EpisodeID {
    do {
      return try EpisodeID(context.parameters.get("ep") ?? "")
    } catch {
      throw ProblemError(.badRequest, "invalid ep_id", "\(error)")
    }
  }

  /// `value` as JSON with `status` (sorted keys, the artifact's own field names).
  static func encoded<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func page(_ name: String, context: BasicRequestContext) async throws -> Response {
    try await appFile(name, contentType: "text/html; charset=utf-8", context: context)
  }

  /// A file of the app folder, the SwiftPM resource `Resources/app` (docs/review_app.md,
  /// "Where the files live").
  static func appFile(_ name: String, contentType: String, context: BasicRequestContext)
    async throws -> Response
  {
    guard let folder = Bundle.module.url(forResource: "app", withExtension: nil) else {
      throw ProblemError(
        .internalServerError, "missing app files",
        "the resource folder app is not beside the executable")
    }
    let body = try await FileIO().loadFile(
      path: folder.appendingPathComponent(name).path, context: context)
    return Response(
      status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"], body: body)
  }
}

/// When the server has an API token, every request that changes something (any method but
/// GET, HEAD and OPTIONS: edits, job submission, cancel) needs `Authorization: Bearer <token>`
/// and gets 401 without it; reading routes stay open (docs/review_app.md, "Security").
struct BearerTokenMiddleware: RouterMiddleware {
  typealias Context = BasicRequestContext
  /// The expected `Authorization` header value, `Bearer <token>`; nil: no check.
  let expected: [UInt8]?

  init(token: String?) {
    expected = token.map { Array("Bearer \($0)".utf8) }
  }

  func handle(
    _ request: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard let expected, ![.get, .head, .options].contains(request.method) else {
      return try await next(request, context)
    }
    let given = Array((request.headers[.authorization] ?? "").utf8)
    guard Self.constantTimeEqual(given, expected) else {
      var response = FaceHarvestServer.problem(
        .unauthorized, "unauthorized",
        "\(request.method) \(request.uri.path) needs Authorization: Bearer <token>")
      response.headers[.wwwAuthenticate] = "Bearer"
      return response
    }
    return try await next(request, context)
  }

  /// Compares without stopping at the first difference, so timing tells nothing of the token.
  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
  }
}
