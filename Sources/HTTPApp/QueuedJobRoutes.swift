import Artifacts
import EpisodePipeline
import FaceHarvestCore
import Foundation
import Hummingbird
import JobQueue

/// The job routes when the server was started with a job queue (`faceharvest-server
/// --database-url`, docs/job_queue.md, "The job server"): a job request is checked exactly as
/// an in-process one, then queued in PostgreSQL for `episode-run worker`s; `GET /jobs/{id}`
/// reads the queue's row. There are no event streams in this mode: poll `GET /jobs/{id}`.
enum QueuedJobRoutes {
  static func add(to router: Router<BasicRequestContext>, queue: JobQueue, factory: JobFactory) {
    let submitter = "faceharvest-server \(WorkerOptions.processName)"
    for kind in JobKind.allCases {
      router.post("/jobs/\(kind.rawValue)") { request, _ in
        try await submit(kind, request, queue: queue, factory: factory, submitter: submitter)
      }
    }
    router.get("/jobs") { _, _ in
      try await answering {
        let jobs = try await queue.jobs().suffix(50).reversed().map(snapshot)
        return FaceHarvestServer.json(.ok, ["jobs": .array(jobs)])
      }
    }
    router.get("/jobs/:id") { _, context in
      try await answering {
        guard let id = Int64(context.parameters.get("id") ?? ""), let job = try await queue.job(id)
        else { return FaceHarvestServer.problem(.notFound, "not found", "no such job") }
        return FaceHarvestServer.json(.ok, snapshot(job))
      }
    }
    router.get("/jobs/:id/events") { _, _ in
      FaceHarvestServer.problem(
        .notFound, "not found",
        "queued jobs have no event stream: poll GET /jobs/{id} (its progress is the worker's)")
    }
    router.post("/jobs/:id/cancel") { _, context in
      try await answering {
        guard let id = Int64(context.parameters.get("id") ?? "") else {
          return FaceHarvestServer.problem(.notFound, "not found", "no such job")
        }
        return FaceHarvestServer.json(.accepted, snapshot(try await queue.cancel(id)))
      }
    }
  }

  static func submit(
    _ kind: JobKind, _ request: Request, queue: JobQueue, factory: JobFactory, submitter: String
  ) async throws -> Response {
    let body = try await RequestBody.json(request)
    if let dryRun = try FaceHarvestServer.dryRun(
      kind, request: request, body: body, factory: factory)
    {
      return dryRun
    }
    let submission: JobSubmission
    do {
      submission = try factory.submission(kind: kind, body: body, submittedBy: submitter)
    } catch let error as JobRequestError {
      return FaceHarvestServer.response(error)
    }
    return try await answering {
      switch try await queue.submit(submission) {
      case .queued(let job):
        return FaceHarvestServer.json(
          .accepted, ["job_id": .string("\(job.id)"), "state": .string(job.state.rawValue)],
          headers: [.location: "/jobs/\(job.id)"])
      case .alreadyActive(let job):
        return FaceHarvestServer.response(.conflict(jobID: "\(job.id)"))
      }
    }
  }

  /// `body`'s answer; the queue's refusals as 404 or 409, its database failing as 503.
  static func answering(_ body: () async throws -> Response) async throws -> Response {
    do {
      return try await body()
    } catch let error as JobQueueError {
      switch error {
      case .noSuchJob: return FaceHarvestServer.problem(.notFound, "not found", "\(error)")
      case .notAllowed, .episodeActive:
        return FaceHarvestServer.problem(.conflict, "conflict", "\(error)")
      default:
        return FaceHarvestServer.problem(.serviceUnavailable, "job queue unavailable", "\(error)")
      }
    }
  }

  /// A queued job in the shape of an in-process one (`Job` in docs/openapi.yaml), with the
  /// queue's fields (attempts, worker, timings) added.
  static func snapshot(_ job: QueuedJob) -> JSONValue {
    var object = job.jsonValue.objectValue ?? [:]
    object["id"] = nil
    object["job_id"] = .string("\(job.id)")
    object["kind"] = .string(kind(of: Set(job.stages)).rawValue)
    object["created_at"] = object["submitted_at"]
    object["result"] = job.result?["artifacts"]
    object["summary"] = job.result?["summary"]
    return .object(object.filter { $0.value != .null })
  }

  static func kind(of stages: Set<PipelineStage>) -> JobKind {
    JobKind.allCases.first { JobFactory.stages($0) == stages } ?? .pipeline
  }
}
