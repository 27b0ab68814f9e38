import ArgumentParser
import Artifacts
import FaceHarvestCore
import Foundation
import Identities
import Inference

/// `episode-run people`: the show's registry of labelled people (docs/people.md).
struct PeopleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "people",
    abstract: "Register an episode's labelled people for the show; list or remove them.",
    subcommands: [AddPeople.self, ListPeople.self, RemovePerson.self],
    defaultSubcommand: ListPeople.self
  )
}

/// The show a people command works on.
struct ShowOptions: ParsableArguments {
  @Option(
    name: .customLong("show"),
    help: "Show id (default: the part of --from-episode / --ep-id before -sNNeNN).")
  var show: String?

  /// `--data-root`; `--ep-id` names an episode of the show (for `list` and `remove`).
  @OptionGroup var episode: EpisodeOptions

  func layout() -> DataLayout { episode.layout() }

  /// `--show`, else the show of `episode` (else of `--ep-id`).
  func registry(for episode: EpisodeID?) throws -> PeopleRegistry {
    let episode = try episode ?? self.episode.epID.map { _ in try self.episode.episodeID() }
    let show: ShowID
    if let given = self.show {
      show = try ShowID(given)
    } else if let episode, let derived = ShowID.derived(from: episode) {
      show = derived
    } else {
      throw ValidationError("give --show (no show id can be derived from the episode id)")
    }
    return PeopleRegistry(layout: layout(), show: show)
  }
}

struct AddPeople: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Register the human-labelled identities of an episode.")
  @OptionGroup var options: ShowOptions
  @Option(name: .customLong("from-episode"), help: "Episode id whose labels to register.")
  var fromEpisode: String

  func run() throws {
    let episode = try EpisodeID(fromEpisode)
    let registry = try options.registry(for: episode)
    let layout = options.layout()
    let width = try NPYMatrix.read(
      from: layout.trackEmbeddingsNPY(episode),
      displayPath: layout.relativePath(layout.trackEmbeddingsNPY(episode))
    ).columns
    let model = try EmbedderIdentity.resolve(
      manifest: try ModelManifest.load(from: ModelManifest.defaultURL()), width: width)
    let added = try registry.add(fromEpisode: episode, model: model)
    print("\(registry.show): registered \(added.joined(separator: ", ")) (\(model.name))")
  }
}

struct ListPeople: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the show's registered people.")
  @OptionGroup var options: ShowOptions

  func run() throws {
    let registry = try options.registry(for: nil)
    for person in try registry.load().people {
      let episodes = Set(person.samples.map(\.epID)).sorted().joined(separator: ",")
      print(
        "\(person.personID)  \"\(person.name)\"  \(person.model)  "
          + "\(person.samples.count) samples from \(episodes)")
    }
  }
}

struct RemovePerson: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove a person from the show's registry.")
  @OptionGroup var options: ShowOptions
  @Argument(help: "person id") var personID: String

  func run() throws { try options.registry(for: nil).remove(personID) }
}
