public import Artifacts
import EpisodePipeline
import Foundation
import HTTPTypes
public import Hummingbird
import Inference
public import JobQueue
public import Logging
import NIOCore
import NIOPosix

/// The HTTP API of the pipeline (spec §4; `docs/openapi.yaml`): jobs with Server-Sent-Events
/// progress, and read access to an episode's faces, identities, screen time and crops. Jobs run
/// in this process through the same library code as the CLI, or, with a job queue, go to the
/// PostgreSQL queue that `episode-run worker`s run (docs/job_queue.md).
public enum FaceHarvestServer {
  /// Largest request body accepted (413 beyond it).
  public static let maximumBodyBytes = 64 * 1024

  /// The address the server listens on unless told otherwise: loopback only.
  public static let defaultHost = "127.0.0.1"

  /// The router for `manager` and `factory`; with `apiToken`, every mutating route needs
  /// `Authorization: Bearer <apiToken>` (docs/review_app.md, "Security").
  public static func router(
    manager: JobManager, factory: JobFactory, layout: DataLayout, apiToken: String? = nil,
    queue: JobQueue? = nil
  ) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: BearerTokenMiddleware(token: apiToken))
    router.get("/healthz") { _, _ in
      json(
        .ok,
        [
          "status": .string("ok"),
          "jobs_running": .integer(
            manager.recent(limit: manager.history).filter { $0.state == .running }.count),
        ])
    }
    if let queue {
      QueuedJobRoutes.add(to: router, queue: queue, factory: factory)
    } else {
      addJobRoutes(to: router, manager: manager, factory: factory)
    }
    router.get("/episodes/:ep/faces") { request, context in
      try await faces(request, context: context, factory: factory, layout: layout)
    }
    router.get("/episodes/:ep/identities") { _, context in
      try await jsonFile(
        context, named: "identities.json", layout: layout, at: layout.identities)
    }
    router.get("/episodes/:ep/screentime") { _, context in
      try await jsonFile(
        context, named: "screentime.json", layout: layout, at: layout.screentimeJSON)
    }
    router.get("/episodes/:ep/crops/:track/:file") { _, context in
      try await crop(context, layout: layout)
    }
    IdentityEditRoutes.add(to: router, layout: layout)
    ReviewRoutes.add(to: router, layout: layout, manager: manager, queue: queue)
    SeasonRoutes.add(to: router, layout: layout)
    VideoRoute.add(to: router, layout: layout)
    return router
  }

  /// The job routes of in-process jobs (the default).
  static func addJobRoutes(
    to router: Router<BasicRequestContext>, manager: JobManager, factory: JobFactory
  ) {
    for kind in JobKind.allCases {
      router.post("/jobs/\(kind.rawValue)") { request, context in
        try await submit(kind, request: request, manager: manager, factory: factory)
      }
    }
    router.get("/jobs") { _, _ in
      json(.ok, ["jobs": .array(manager.recent().map { snapshotJSON($0) })])
    }
    router.get("/jobs/:id") { _, context in
      guard let job = manager.job(context.parameters.get("id") ?? "") else {
        return problem(.notFound, "not found", "no such job")
      }
      return json(.ok, snapshotJSON(job))
    }
    router.get("/jobs/:id/events") { request, context in
      guard let job = manager.job(context.parameters.get("id") ?? "") else {
        return problem(.notFound, "not found", "no such job")
      }
      let after = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) } ?? 0
      return eventStream(job, after: after)
    }
    router.post("/jobs/:id/cancel") { _, context in
      guard let job = manager.cancel(context.parameters.get("id") ?? "") else {
        return problem(.notFound, "not found", "no such job")
      }
      return json(.accepted, snapshotJSON(job))
    }
  }

  /// An application serving `router` on `host:port`, with the job manager's graceful shutdown.
  public static func application(
    host: String, port: Int, manager: JobManager, factory: JobFactory, layout: DataLayout,
    apiToken: String? = nil, queue: JobQueue? = nil, logger: Logger
  ) -> Application<RouterResponder<BasicRequestContext>> {
    Application(
      router: router(
        manager: manager, factory: factory, layout: layout, apiToken: apiToken, queue: queue),
      configuration: .init(address: .hostname(host, port: port), serverName: "faceharvest"),
      services: [JobManagerService(manager: manager)], logger: logger)
  }

  // MARK: Handlers

  static func submit(
    _ kind: JobKind, request: Request, manager: JobManager, factory: JobFactory
  ) async throws -> Response {
    let body = try await RequestBody.json(request)
    if let dryRun = try dryRun(kind, request: request, body: body, factory: factory) {
      return dryRun
    }
    let job: Job
    do {
      let (episode, work) = try factory.prepare(kind: kind, body: body)
      job = try manager.submit(kind: kind, episode: episode, work: work)
    } catch let error as JobRequestError {
      return response(error)
    }
    if request.headers[.accept]?.contains("text/event-stream") == true {
      return eventStream(job, after: 0)
    }
    return json(
      .accepted, ["job_id": .string(job.id), "state": .string(job.state.rawValue)],
      headers: [.location: "/jobs/\(job.id)"])
  }

  /// `?dry_run=true`: the options the job would run with, and nothing queued; nil otherwise.
  static func dryRun(_ kind: JobKind, request: Request, body: JSONValue, factory: JobFactory)
    throws -> Response?
  {
    guard request.uri.queryParameters.get("dry_run") == "true" else { return nil }
    do {
      let (episode, options) = try factory.resolve(kind: kind, body: body)
      return json(
        .ok,
        [
          "ep_id": .string(episode.rawValue), "kind": .string(kind.rawValue),
          "options": OptionsJSON.value(options),
        ])
    } catch let error as JobRequestError {
      return response(error)
    }
  }

  /// A refused job request: 400, 404, or 409 naming the job that runs the episode.
  static func response(_ error: JobRequestError) -> Response {
    switch error {
    case .badRequest(let detail): return problem(.badRequest, "invalid request", detail)
    case .notFound(let detail): return problem(.notFound, "not found", detail)
    case .conflict(let running):
      return json(
        .conflict,
        [
          "error": .string("conflict"), "detail": .string(error.description),
          "job_id": .string(running),
        ])
    }
  }

  static func faces(
    _ request: Request, context: BasicRequestContext, factory: JobFactory, layout: DataLayout
  ) async throws -> Response {
    let episode = try ReviewRoutes.episode(context)
    let query = request.uri.queryParameters
    let limit = query.get("limit").flatMap { Int($0) } ?? 100
    let offset = query.get("offset").flatMap { Int($0) } ?? 0
    guard (1...1000).contains(limit), offset >= 0 else {
      return problem(.badRequest, "invalid query", "limit is 1–1000 and offset ≥ 0")
    }
    let track = query.get("track_id").map { String($0) }
    let url = layout.faces(episode)
    // The scan reads the file: on NIO's blocking-work pool, never on the event loop. It reads
    // the last committed faces.jsonl, through the commit journal while a job commits
    // (docs/artifacts.md, "Commits").
    return try await NIOThreadPool.singleton.runIfActive {
      let committed = CommittedArtifacts.open(
        layout: layout, episode: episode, reader: "faceharvest-server")
      guard FileManager.default.fileExists(atPath: committed.resolve(url).path) else {
        return problem(.notFound, "not found", "\(episode) has no faces.jsonl")
      }
      do {
        let page = try committed.read(url) { source in
          try FacesPage.read(
            source, displayPath: layout.relativePath(url), track: track, offset: offset,
            limit: limit)
        }
        return json(
          .ok,
          [
            "total": .integer(page.total), "offset": .integer(offset), "limit": .integer(limit),
            "faces": .array(page.rows),
          ])
      } catch {
        // A damaged artifact on disk is the server's problem, said in JSON with file and line.
        return problem(.internalServerError, "damaged artifact", "\(error)")
      }
    }
  }

  /// A crop JPEG, streamed from disk by Hummingbird's non-blocking file I/O.
  static func crop(_ context: BasicRequestContext, layout: DataLayout) async throws -> Response {
    let episode = try ReviewRoutes.episode(context)
    let track = context.parameters.get("track") ?? ""
    let file = context.parameters.get("file") ?? ""
    // Only names the pipeline writes: nothing here can leave the crops folder.
    guard ArtifactID.isValidTrackID(track),
      file.range(of: #"^(frame|probe|thumb)_[0-9]{6,}\.jpg$"#, options: .regularExpression) != nil
    else {
      return problem(
        .badRequest, "invalid path",
        "crops are crops/track-NNNNN/frame_NNNNNN.jpg (or probe_NNNNNN.jpg, thumb_NNNNNN.jpg)")
    }
    let url = layout.cropsDir(episode).appendingPathComponent(track).appendingPathComponent(file)
    return try await fileResponse(
      url, of: episode, layout: layout, contentType: "image/jpeg", context: context,
      missing: "no crop \(track)/\(file) in \(episode)")
  }

  /// The artifact at `url` as last committed (through the commit journal while a job commits,
  /// so a reader never mixes two runs: docs/artifacts.md, "Commits"), streamed by Hummingbird's
  /// non-blocking file I/O; a JSON 404 saying `missing` when it is absent.
  static func fileResponse(
    _ url: URL, of episode: EpisodeID, layout: DataLayout, contentType: String,
    context: BasicRequestContext, missing: String
  ) async throws -> Response {
    let source = try await NIOThreadPool.singleton.runIfActive {
      CommittedArtifacts.open(layout: layout, episode: episode, reader: "faceharvest-server")
        .resolve(url)
    }
    // A staged copy renamed in under us is read at its destination, which is then the new file.
    for path in source == url ? [url] : [source, url] {
      do {
        let body = try await FileIO().loadFile(path: path.path, context: context)
        return Response(status: .ok, headers: [.contentType: contentType], body: body)
      } catch let error as HTTPError where error.status == .notFound {
        continue
      }
    }
    return problem(.notFound, "not found", missing)
  }

  /// The episode's JSON artifact at `url(episode)` as written; 404 when it is absent.
  static func jsonFile(
    _ context: BasicRequestContext, named name: String, layout: DataLayout,
    at url: (EpisodeID) -> URL
  ) async throws -> Response {
    let episode = try ReviewRoutes.episode(context)
    return try await fileResponse(
      url(episode), of: episode, layout: layout, contentType: "application/json",
      context: context, missing: "\(episode) has no \(name)")
  }

  static func eventStream(_ job: Job, after: Int) -> Response {
    let events = job.events(after: after)
    return Response(
      status: .ok,
      headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
      body: ResponseBody { writer in
        for await event in events {
          try await writer.write(ByteBuffer(string: event.serverSentEvent))
        }
        try await writer.finish(nil)
      })
  }

  static func snapshotJSON(_ job: Job) -> JSONValue {
    job.snapshot().jsonValue
  }

  static func json(
    _ status: HTTPResponse.Status, _ object: [String: JSONValue], headers: HTTPFields = [:]
  ) -> Response {
    json(status, .object(object), headers: headers)
  }

  static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:])
    -> Response
  {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(
      status: status, headers: fields,
      body: .init(byteBuffer: ByteBuffer(string: value.compactJSON() + "\n")))
  }

  /// `{error, detail}`.
  static func problem(_ status: HTTPResponse.Status, _ error: String, _ detail: String)
    -> Response
  {
    json(status, ["error": .string(error), "detail": .string(detail)])
  }
}
