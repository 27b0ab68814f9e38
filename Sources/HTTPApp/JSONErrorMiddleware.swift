import Foundation
import HTTPTypes
import Hummingbird

/// Every error a route throws leaves as JSON `{error, detail}` with its status (docs/openapi.yaml,
/// `Problem`): a `ProblemError` is answered as it says, an `HTTPError` keeps its status (an unknown route is a 404), anything else is a
/// 500 that names what failed, never an empty body.
struct JSONErrorMiddleware: RouterMiddleware {
  typealias Context = BasicRequestContext

  func handle(
    _ request: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as ProblemError {
      return FaceHarvestServer.problem(error.status, error.error, error.detail)
    } catch let error as HTTPError {
      return FaceHarvestServer.problem(
        error.status, error.status.reasonPhrase.lowercased(),
        error.body ?? "\(request.method) \(request.uri.path)")
    } catch {
      return FaceHarvestServer.problem(.internalServerError, "internal error", "\(error)")
    }
  }
}
