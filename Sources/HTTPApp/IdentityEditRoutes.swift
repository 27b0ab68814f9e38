import Artifacts
import Foundation
import Hummingbird
import Identities
import NIOPosix
import ThreadPrimitives

/// The human edits of `identities.json` over HTTP (docs/review_app.md, "Edits"): each route
/// calls the `IdentityEditor` method that `episode-run identities …` calls, so a rule lives in
/// one place. Every edit takes the episode's lock and commits atomically; the answer is the
/// identity as written (the kept one of a merge, the target of a move, the new one of a split).
enum IdentityEditRoutes {
  /// Adds the edit routes to `router`.
  static func add(to router: Router<BasicRequestContext>, layout: DataLayout) {
    let identity = "/episodes/:ep/identities/:identity"
    router.post("\(identity)/label") { request, context in
      let fields = try await RequestBody.object(request)
      var labels: [String: String] = [:]
      for key in ["name", "person_id"] {
        switch fields[key] {
        case nil: continue
        case .string(let value)?: labels[key] = value
        default: throw ProblemError.field(key, "a string is expected (empty removes the label)")
        }
      }
      guard !labels.isEmpty else { throw ProblemError.field("name", "give name and/or person_id") }
      let (id, given) = (try identityID(context), labels)
      return try await run(context, layout: layout) { try $0.label(id, given) }
    }
    for (action, locked) in [("lock", true), ("unlock", false)] {
      router.post("\(identity)/\(action)") { _, context in
        let id = try identityID(context)
        return try await run(context, layout: layout) { try $0.setLocked(id, locked) }
      }
    }
    // A people-registry suggestion (docs/people.md): accept makes it a human label, reject
    // removes it for good.
    for (action, accept) in [("accept", true), ("reject", false)] {
      router.post("\(identity)/suggestion/\(action)") { _, context in
        let id = try identityID(context)
        return try await run(context, layout: layout) {
          try accept ? $0.acceptSuggestion(id) : $0.rejectSuggestion(id)
        }
      }
    }
    router.post("/episodes/:ep/identities/merge") { request, context in
      let fields = try await RequestBody.object(request)
      let (kept, absorbed) = (
        try identityID(RequestBody.string(fields, "kept"), field: "kept"),
        try identityID(RequestBody.string(fields, "absorbed"), field: "absorbed")
      )
      return try await run(context, layout: layout, force: try RequestBody.flag(fields, "force")) {
        try $0.merge(kept, absorbed)
      }
    }
    router.post("/episodes/:ep/tracks/:track/move") { request, context in
      let fields = try await RequestBody.object(request)
      let target = try identityID(RequestBody.string(fields, "to"), field: "to")
      let track = try trackID(context)
      return try await run(context, layout: layout, force: try RequestBody.flag(fields, "force")) {
        try $0.moveTrack(track, to: target)
      }
    }
    router.post("/episodes/:ep/tracks/:track/split") { _, context in
      let track = try trackID(context)
      return try await run(context, layout: layout) { try $0.split(track) }
    }
    // Review by suggestion (docs/identities.md): the suggestions, and a rejected one. Accepting
    // is a move or a merge.
    router.get("/episodes/:ep/suggestions") { _, context in
      let episode = try ReviewRoutes.episode(context)
      do {
        let suggestions = try await runOnOwnThread {
          try ReviewSuggestions.load(layout: layout, episode: episode)
        }
        return try ReviewRoutes.encoded(.ok, suggestions)
      } catch {
        throw problem(for: error)
      }
    }
    router.post("/episodes/:ep/suggestions/reject") { request, context in
      let fields = try await RequestBody.object(request)
      let subject = try RequestBody.string(fields, "subject")
      guard ArtifactID.isValidTrackID(subject) || ArtifactID.isValidIdentityID(subject) else {
        throw ProblemError.field("subject", "a track or identity id, not \"\(subject)\"")
      }
      guard case .array(let values)? = fields["identity_ids"], !values.isEmpty else {
        throw ProblemError.field("identity_ids", "a non-empty array of identity ids")
      }
      let identities = try values.map { value -> String in
        guard case .string(let raw) = value else {
          throw ProblemError.field("identity_ids", "identity ids are strings")
        }
        return try identityID(raw, field: "identity_ids")
      }
      return try await run(context, layout: layout) { try $0.reject(subject, notIn: identities) }
    }
  }

  /// Runs `edit` with an editor of the path's episode on NIO's blocking-work pool (the editor
  /// reads and writes files) and answers the identity it returns.
  static func run(
    _ context: BasicRequestContext, layout: DataLayout, force: Bool = false,
    _ edit: @escaping @Sendable (IdentityEditor) throws -> Identity
  ) async throws -> Response {
    let episode = try ReviewRoutes.episode(context)
    do {
      // An edit re-renders thumbnails (it decodes frames): seconds of work that must not hold
      // NIO's small blocking pool, which serves the app's files and the crops
      // (docs/review_app.md, "Edits").
      let identity = try await runOnOwnThread {
        var editor = IdentityEditor(layout: layout, episode: episode)
        editor.force = force
        return try edit(editor)
      }
      return try ReviewRoutes.encoded(.ok, identity)
    } catch {
      throw problem(for: error)
    }
  }

  /// The answer to an edit's error (docs/review_app.md, "Edits"): 404 for an unknown identity,
  /// track or clustering, 409 for a locked identity, a refused edit or a busy episode.
  static func problem(for error: any Error) -> ProblemError {
    switch error {
    case let error as IdentitiesError:
      switch error {
      case .locked: return ProblemError(.conflict, "locked", error.description)
      case .unknownIdentity, .unknownTrack, .missingInput:
        return ProblemError(.notFound, "not found", error.description)
      case .edit: return ProblemError(.conflict, "edit refused", error.description)
      case .invalidIdentities, .invalidInput, .noThreshold:
        return ProblemError(.internalServerError, "damaged artifact", error.description)
      }
    case let error as ArtifactError:
      if case .episodeLocked = error {
        return ProblemError(.conflict, "episode busy", error.description)
      }
      return ProblemError(.internalServerError, "damaged artifact", error.description)
    default:
      return ProblemError(.internalServerError, "internal error", "\(error)")
    }
  }

  static func identityID(_ context: BasicRequestContext) throws -> String {
    try identityID(context.parameters.get("identity") ?? "", field: "identity_id")
  }

  static func identityID(_ raw: String, field: String) throws -> String {
    guard ArtifactID.isValidIdentityID(raw) else {
      throw ProblemError.field(field, "an identity id such as identity-00001, not \"\(raw)\"")
    }
    return raw
  }

  static func trackID(_ context: BasicRequestContext) throws -> String {
    let raw = context.parameters.get("track") ?? ""
    guard ArtifactID.isValidTrackID(raw) else {
      throw ProblemError.field("track_id", "a track id such as track-00001, not \"\(raw)\"")
    }
    return raw
  }
}
