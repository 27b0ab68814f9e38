public import Artifacts
public import FaceHarvestCore
public import Foundation
import Inference

/// `shows/{show_id}/people.json` (docs/people.md): the people a show's episodes were labelled
/// with, each with a few representative track embeddings of the model that made them.
public struct PeopleDocument: Codable, Hashable, Sendable {
  /// The schema this code writes and reads.
  public static let currentSchema = "people-v1"
  /// `schema_version`.
  public var schemaVersion: String
  /// `show_id`.
  public var showID: ShowID
  /// `people`, ordered by `person_id`.
  public var people: [RegisteredPerson]

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version"
    case showID = "show_id"
    case people
  }

  /// A registry document.
  public init(showID: ShowID, people: [RegisteredPerson] = []) {
    schemaVersion = Self.currentSchema
    self.showID = showID
    self.people = people
  }
}

/// One registered person.
public struct RegisteredPerson: Codable, Hashable, Sendable {
  /// `person_id`: the stable id the episodes' labels used.
  public var personID: String
  /// `name`: the display name (the latest episode added wins).
  public var name: String
  /// `model`: the embedder (manifest name) that made `samples`.
  public var model: String
  /// `embedding_width`: the width of every sample vector.
  public var embeddingWidth: Int
  /// `samples`: representative track embeddings (unit vectors).
  public var samples: [PersonSample]
  /// `updated_at`.
  public var updatedAt: String

  enum CodingKeys: String, CodingKey {
    case personID = "person_id"
    case name, model
    case embeddingWidth = "embedding_width"
    case samples
    case updatedAt = "updated_at"
  }
}

/// One representative track embedding of a person, with where it came from.
public struct PersonSample: Codable, Hashable, Sendable {
  /// `ep_id`.
  public var epID: String
  /// `track_id` in that episode.
  public var trackID: String
  /// `vector`: the track's pooled embedding (`track_embeddings.npy` row).
  public var vector: [Float]

  enum CodingKeys: String, CodingKey {
    case epID = "ep_id"
    case trackID = "track_id"
    case vector
  }
}

/// The embedder that made an episode's track embeddings: the manifest's one embedder of that
/// width (the face artifacts do not name the model; docs/people.md).
public struct EmbedderIdentity: Hashable, Sendable {
  /// The manifest name.
  public var name: String
  /// The output width.
  public var width: Int

  /// The identity given explicitly.
  public init(name: String, width: Int) {
    self.name = name
    self.width = width
  }

  /// The manifest's single embedder of `width`.
  public static func resolve(manifest: ModelManifest?, width: Int) throws -> EmbedderIdentity {
    let candidates = manifest?.models.filter { $0.role == .embedder && $0.outputWidth == width }
    guard let candidates, candidates.count == 1 else {
      throw PeopleError.model(
        "cannot tell which model made embeddings of width \(width): the manifest has "
          + "\(candidates?.count ?? 0) embedders of that width")
    }
    return EmbedderIdentity(name: candidates[0].name, width: width)
  }
}

/// A registry operation that cannot be done.
public enum PeopleError: Error, CustomStringConvertible, LocalizedError {
  /// The model of the embeddings is unknown or differs from the registered one.
  case model(String)
  /// `people.json` (path) breaks a rule (field, reason).
  case invalid(path: String, field: String, reason: String)
  /// The show has no such person.
  case unknownPerson(String, path: String)
  /// Nothing to register.
  case nothingToAdd(String)
  /// Another writer holds the show's registry.
  case locked(holder: String, lockFile: String)

  public var description: String {
    switch self {
    case .model(let message): return message
    case .invalid(let path, let field, let reason): return "\(path): \(field): \(reason)"
    case .unknownPerson(let id, let path): return "\(id) is not in \(path)"
    case .nothingToAdd(let message): return message
    case .locked(let holder, let lockFile):
      return "the people registry is being written by \(holder) (lock \(lockFile))"
    }
  }

  public var errorDescription: String? { description }
}

/// Reads and writes one show's `people.json` (docs/people.md): validated on read, written
/// atomically, one writer at a time (`locks/shows/{show_id}.lock`).
public struct PeopleRegistry {
  private let layout: DataLayout
  /// The show.
  public let show: ShowID
  /// Representative track embeddings kept per person and episode.
  public var samplesPerEpisode = 5
  /// The clock (tests fix it).
  public var now: () -> Date = { Date() }

  /// The registry of `show` under `layout`.
  public init(layout: DataLayout, show: ShowID) {
    self.layout = layout
    self.show = show
  }

  private var url: URL { layout.people(show) }
  private var path: String { layout.relativePath(url) }

  /// The registry, or an empty one when the file does not exist.
  public func load() throws -> PeopleDocument {
    guard FileManager.default.fileExists(atPath: url.path) else {
      return PeopleDocument(showID: show)
    }
    let document = try AtomicFile.readJSON(PeopleDocument.self, from: url, displayPath: path)
    try validate(document)
    return document
  }

  /// Registers the human-labelled identities (with a `person_id`) of `episode`, made by
  /// `model`: a person's samples from that episode are replaced, other episodes' kept. Returns
  /// the person ids added or updated.
  @discardableResult
  public func add(fromEpisode episode: EpisodeID, model: EmbedderIdentity) throws -> [String] {
    let found = try labelledSamples(of: episode, width: model.width)
    guard !found.isEmpty else {
      throw PeopleError.nothingToAdd(
        "\(episode) has no identity with a human person_id label: label some first")
    }
    return try update { document in
      let timestamp = ArtifactTimestamp.string(from: now())
      for (personID, entry) in found {
        var person =
          document.people.first { $0.personID == personID }
          ?? RegisteredPerson(
            personID: personID, name: entry.name, model: model.name,
            embeddingWidth: model.width, samples: [], updatedAt: timestamp)
        guard person.model == model.name, person.embeddingWidth == model.width else {
          throw PeopleError.model(
            "\(personID) is registered with \(person.model) (width \(person.embeddingWidth)), "
              + "not \(model.name) (width \(model.width)): remove it first")
        }
        person.name = entry.name.isEmpty ? person.name : entry.name
        person.samples = person.samples.filter { $0.epID != episode.rawValue } + entry.samples
        person.updatedAt = timestamp
        document.people.removeAll { $0.personID == personID }
        document.people.append(person)
      }
      return found.map(\.0)
    }
  }

  /// Removes a person.
  public func remove(_ personID: String) throws {
    try update { document in
      guard document.people.contains(where: { $0.personID == personID }) else {
        throw PeopleError.unknownPerson(personID, path: path)
      }
      document.people.removeAll { $0.personID == personID }
    }
  }

  /// Loads under the show's lock, applies `change`, writes atomically.
  private func update<T>(_ change: (inout PeopleDocument) throws -> T) throws -> T {
    let lock = try EpisodeLock.acquire(
      name: "shows/\(show.rawValue)", layout: layout, purpose: "a people registry edit"
    ) { PeopleError.locked(holder: $0, lockFile: $1) }
    defer { lock.release() }
    var document = try load()
    let result = try change(&document)
    document.people.sort { $0.personID < $1.personID }
    try validate(document)
    try AtomicFile.writeJSON(document, to: url, displayPath: path)
    return result
  }

  /// The labelled identities' best tracks, by person id (sorted).
  private func labelledSamples(of episode: EpisodeID, width: Int) throws
    -> [(String, (name: String, samples: [PersonSample]))]
  {
    let identitiesURL = layout.identities(episode)
    let document = try CommittedArtifacts.open(
      layout: layout, episode: episode, reader: "episode-run people"
    ).read(identitiesURL) {
      try AtomicFile.readJSON(
        IdentitiesDocument.self, from: $0, displayPath: layout.relativePath(identitiesURL))
    }
    let pooled = try IdentityEditor.loadPooled(
      layout: layout, episode: episode, definingOnly: true)
    var tracks: [String: (name: String, tracks: [PooledTrack])] = [:]
    for identity in document.identities where PeopleMatcher.isHumanLabel(identity.labels) {
      guard let personID = identity.labels["person_id"], !personID.isEmpty else { continue }
      let members = identity.trackIDs.compactMap { pooled[$0] }
      tracks[personID, default: (identity.labels["name"] ?? "", [])].tracks += members
    }
    return try tracks.keys.sorted().compactMap { personID in
      let entry = tracks[personID]!
      let best = entry.tracks.sorted { ($1.facesUsed, $0.trackID) < ($0.facesUsed, $1.trackID) }
        .prefix(samplesPerEpisode)
      guard !best.isEmpty else { return nil }
      for track in best where track.vector.count != width {
        throw PeopleError.model("\(track.trackID) has width \(track.vector.count), not \(width)")
      }
      let samples = best.map {
        PersonSample(epID: episode.rawValue, trackID: $0.trackID, vector: $0.vector)
      }
      return (personID, (entry.name, samples))
    }
  }

  /// The rules `load` and every write check; the first broken one is thrown.
  private func validate(_ document: PeopleDocument) throws {
    func fail(_ field: String, _ reason: String) -> PeopleError {
      PeopleError.invalid(path: path, field: field, reason: reason)
    }
    guard document.schemaVersion == PeopleDocument.currentSchema else {
      throw fail("schema_version", "expected \(PeopleDocument.currentSchema)")
    }
    guard document.showID == show else {
      throw fail("show_id", "is \(document.showID), but the file is \(show)'s")
    }
    var seen = Set<String>()
    for (index, person) in document.people.enumerated() {
      let field = "people[\(index)]"
      guard !person.personID.isEmpty, seen.insert(person.personID).inserted else {
        throw fail("\(field).person_id", "empty or repeated")
      }
      guard !person.model.isEmpty, person.embeddingWidth > 0, !person.samples.isEmpty else {
        throw fail(field, "needs a model, a positive embedding_width and samples")
      }
      for (sample, entry) in person.samples.enumerated() {
        guard entry.vector.count == person.embeddingWidth, entry.vector.allSatisfy(\.isFinite)
        else {
          throw fail(
            "\(field).samples[\(sample)].vector",
            "needs \(person.embeddingWidth) finite numbers, has \(entry.vector.count)")
        }
      }
    }
  }
}
