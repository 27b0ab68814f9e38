import Artifacts
import BuiltExecutableSupport
import Foundation
import Testing

/// The review app in headless Chromium (docs/review_app.md, "Tests"): one browser and one
/// pipeline run in the built `faceharvest-server`, started from the episode list's own button, then the review page's edits
/// through its own controls, checked in `identities.json`. Screenshots go to
/// `.build/review-app/`.
@Suite("Review app in Chromium", .serialized)
struct ReviewAppBrowserTests {
  static let repositoryRoot = BuiltExecutable.repositoryRoot
  static let episode = "sample-s01e01"
  /// Run at defaults (no crops saved) before the server starts: its page must still show a
  /// picture of every track.
  static let defaultRunEpisode = "sample-s01e02"
  /// The show's third episode (sample-s01e01's video under another id), also run at defaults:
  /// the season page shows three episodes.
  static let thirdEpisode = "sample-s01e03"
  static let screenshots = repositoryRoot.appendingPathComponent(".build/review-app")

  @Test(
    "run the pipeline from /app/, then label (typed), lock, split, merge and move on the review page"
  )
  func reviewEpisode() throws {
    let root = try Self.dataRoot()
    defer { try? FileManager.default.removeItem(at: root) }
    let server = try ServerProcess(dataRoot: root)
    defer { server.stop() }
    let browser = try Chromium()
    defer { browser.quit() }
    let session = BrowserSession(
      browser: browser, base: "http://127.0.0.1:\(server.port)", layout: DataLayout(root: root),
      episode: try EpisodeID(Self.episode))
    try session.runPipelineFromTheList()
    try session.save("episodes.png")
    try session.openReview()
    try session.playFromTheTimeline()
    try session.acceptAndRejectSuggestions()
    try session.labelByTyping()
    try session.lockFromTheCard()
    try session.splitMergeAndMove()
    try session.filterWithTheKeyboard()
    try session.save("episode.png")
    try session.everyTrackHasAPicture(
      of: try EpisodeID(Self.defaultRunEpisode), tracks: try Self.trackCount(root))
    try session.save("default-run.png")
    try session.reviewBySuggestion(in: try EpisodeID(Self.defaultRunEpisode))
    try session.save("suggestions.png")
    try Self.runEpisodeRun(["season", "report", "--show", "sample"], root: root)
    try session.seasonPageMatchesTheCSV(
      show: "sample", csv: root.appendingPathComponent("analytics/shows/sample/screentime.csv"))
    try session.save("season-filtered-episode.png")
    #expect(browser.pageErrors.isEmpty, "\(browser.pageErrors)")
  }

  /// The tracks of the default-run episode.
  static func trackCount(_ root: URL) throws -> Int {
    let layout = DataLayout(root: root)
    return try JSONLReader<Track>.readAll(
      from: layout.tracks(try EpisodeID(defaultRunEpisode))
    ).count
  }

  /// `episode-run --detect-track --faces-embed --cluster` on `episode` at defaults.
  static func runPipelineAtDefaults(_ episode: String, root: URL) throws {
    try runEpisodeRun(
      ["--ep-id", episode, "--detect-track", "--faces-embed", "--cluster"], root: root)
  }

  /// The built `episode-run` with `arguments` on the data root `root`; it must succeed.
  static func runEpisodeRun(_ arguments: [String], root: URL) throws {
    let process = Process()
    process.executableURL = try BuiltExecutable.url(
      named: "episode-run", override: "FACEHARVEST_EPISODE_RUN")
    process.arguments = arguments + ["--data-root", root.path]
    process.currentDirectoryURL = repositoryRoot
    process.environment = BuiltExecutable.environment()
    let log = root.appendingPathComponent("episode-run-\(UUID().uuidString).log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    try #require(process.terminationStatus == 0, "episode-run failed: \(output)")
  }

  /// A data root holding the samples' videos (links): the pipeline run from the page makes
  /// the rest of `episode`, and `defaultRunEpisode` is run at defaults first.
  static func dataRoot() throws -> URL {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("faceharvest-browser-\(UUID().uuidString)")
    for (name, source) in [
      (episode, episode), (defaultRunEpisode, defaultRunEpisode), (thirdEpisode, episode),
    ] {
      let videos = root.appendingPathComponent("videos/\(name)")
      try FileManager.default.createDirectory(at: videos, withIntermediateDirectories: true)
      try FileManager.default.createSymbolicLink(
        at: videos.appendingPathComponent("episode.mp4"),
        withDestinationURL: repositoryRoot.appendingPathComponent(
          "data/videos/\(source)/episode.mp4"))
    }
    try runPipelineAtDefaults(defaultRunEpisode, root: root)
    try runPipelineAtDefaults(thirdEpisode, root: root)
    return root
  }
}

/// The steps of the browser test, each through the page's own controls.
struct BrowserSession {
  let browser: Chromium
  let base: String
  let layout: DataLayout
  let episode: EpisodeID

  var row: String { "tr[data-ep=\"\(episode.rawValue)\"]" }
  func card(_ identity: String) -> String { ".card[data-identity=\"\(identity)\"]" }

  /// `identities.json` as the server wrote it.
  func identities() throws -> IdentitiesDocument {
    try JSONDecoder().decode(
      IdentitiesDocument.self, from: Data(contentsOf: layout.identities(episode)))
  }

  /// `/app/` lists the episode; its Run pipeline button runs the job and the row then links
  /// to the review page with the identities counted.
  func runPipelineFromTheList() throws {
    try browser.open("\(base)/app/", until: "document.querySelector('\(row) button.run-pipeline')")
    try browser.click("\(row) button.run-pipeline")
    try browser.wait(
      for: "document.querySelector('\(row) a') || document.querySelector('#toast.error.show')",
      what: "the pipeline job to finish", timeout: 1200)
    let failure =
      try browser.evaluate(
        "document.querySelector('#toast.error.show')?.textContent || ''") as? String
    try #require(failure == "", "\(failure ?? "")")
    let count = try identities().identities.count
    let shown = try browser.evaluate("document.querySelector('\(row)').cells[4].textContent")
    #expect(shown as? String == String(count))
  }

  /// Every identity is a card whose thumbnail loaded; every crop URL answers 200; the
  /// timeline has a bar per track.
  func openReview() throws {
    let document = try identities()
    try #require(document.identities.count >= 2, "the sample has 5 people")
    try showsEveryIdentity(document) {
      try browser.open("\(base)/app/episodes/\(episode)", until: $0)
    }
    let statuses =
      try browser.evaluate(
        "Promise.all([...document.querySelectorAll('img.crop')].map((i) => fetch(i.src).then((r) => r.status)))"
      ) as? [Int]
    #expect(!(statuses ?? []).isEmpty && (statuses ?? []).allSatisfy { $0 == 200 })
    let tracks =
      document.identities.map(\.trackIDs.count).reduce(0, +)
      + (document.metadata.unidentifiedTracks?.count ?? 0)
    let bars = try browser.evaluate("document.querySelectorAll('#timeline rect').length") as? Int
    #expect(bars == tracks)
  }

  /// Clicking a timeline bar loads the video (Range requests to `/episodes/{ep}/video`) and
  /// seeks it to the track's start: the video element reaches that time.
  func playFromTheTimeline() throws {
    // The bar that starts latest, so that the seek goes somewhere.
    try browser.evaluate(
      """
      (() => { const bars = [...document.querySelectorAll('#timeline rect[data-track]')];
        bars.sort((a, b) => Number(b.getAttribute('x')) - Number(a.getAttribute('x')));
        bars[0].dataset.chosen = 'yes'; return true; })()
      """)
    let bar = "#timeline rect[data-chosen]"
    try browser.click(bar)
    do {
      try waitForTheVideo()
    } catch {
      let state = try browser.evaluate(
        """
        (() => { const v = document.querySelector('#video');
          return JSON.stringify({src: v.currentSrc, ready: v.readyState, network: v.networkState,
            error: v.error && v.error.code, message: v.error && v.error.message,
            time: v.currentTime, requested: v.dataset.requested,
            h264: v.canPlayType('video/mp4; codecs="avc1.64001f"')}); })()
        """)
      Issue.record("the video did not reach the bar's time: \(state ?? "?")")
      throw error
    }
    let requested = try browser.evaluate(
      "Number(document.querySelector('#video').dataset.requested)")
    let start = try browser.evaluate(
      """
      (() => { const id = document.querySelector('\(bar)').dataset.track;
        const tracks = [...model.identities.flatMap((i) => i.tracks),
          ...model.unidentified.map((u) => u.track)];
        return tracks.find((t) => t.track_id === id).start_s; })()
      """)
    #expect(requested as? Double == start as? Double && (start as? Double ?? 0) > 0)
  }

  /// Waits until the video has loaded and reached the time the page asked of it.
  func waitForTheVideo() throws {
    try browser.wait(
      for: """
        (() => { const v = document.querySelector('#video');
          return !v.hidden && v.readyState >= 1 && !v.seeking && v.dataset.requested !== undefined
            && Math.abs(v.currentTime - Number(v.dataset.requested)) < 0.05; })()
        """, what: "the video to reach the clicked bar's time", timeout: 60)
  }

  /// On the open page of `other`: `a` accepts the selected (first) suggestion's first candidate
  /// — the track moves, or the identities merge, in identities.json — and `r` says the next one
  /// is none of its candidates: every pair joins `metadata.rejected_pairs` (docs/identities.md,
  /// "Review by suggestion").
  func reviewBySuggestion(in other: EpisodeID) throws {
    try browser.wait(
      for: "document.querySelectorAll('.suggestion').length >= 2",
      what: "two suggestions on \(other)'s page", timeout: 60)
    let url = layout.identities(other)
    func document() throws -> IdentitiesDocument {
      try JSONDecoder().decode(IdentitiesDocument.self, from: Data(contentsOf: url))
    }
    /// The selected suggestion's subject tracks and candidate identities, best first.
    func selected() throws -> (tracks: [String], targets: [String]) {
      let key = try #require(
        try browser.evaluate("document.querySelector('.suggestion.selected').dataset.key")
          as? String)
      let parts = key.split(separator: ">").map(String.init)
      let subject = parts[0]
      let tracks =
        try document().identities.first { $0.identityID == subject }?.trackIDs ?? [subject]
      return (tracks, parts[1].split(separator: ",").map(String.init))
    }
    func pressAndWait(_ key: String) throws {
      let renders = try browser.evaluate("Number(document.body.dataset.renders)") as? Int ?? 0
      try browser.evaluate("document.activeElement?.blur(); true")
      try browser.press(key)
      try browser.wait(
        for: "Number(document.body.dataset.renders) > \(renders)",
        what: "the page to show the edit", timeout: 60)
    }
    let accepted = try selected()
    try pressAndWait("a")
    let target = try #require(
      try document().identities.first { $0.identityID == accepted.targets[0] })
    #expect(Set(accepted.tracks).isSubset(of: target.trackIDs), "a accepted the suggestion")
    let rejected = try selected()
    try pressAndWait("r")
    let targetTracks = try document().identities.filter { rejected.targets.contains($0.identityID) }
      .flatMap(\.trackIDs)
    let pairs = Set(try document().metadata.rejectedPairs ?? [])
    #expect(
      rejected.tracks.allSatisfy { track in
        targetTracks.allSatisfy { pairs.contains([track, $0].sorted()) }
      } && !pairs.isEmpty, "r rejected the suggestion")
  }

  /// After a default run (no crops saved), every track on the episode page, in identities and
  /// unidentified alike, shows at least one picture that loaded: its review thumbnails
  /// (docs/harvest.md, "Review thumbnails"). Lazy images load as each track is scrolled to.
  func everyTrackHasAPicture(of other: EpisodeID, tracks: Int) throws {
    try browser.open(
      "\(base)/app/episodes/\(other)",
      until: "document.querySelectorAll('.track[data-track]').length === \(tracks)")
    try browser.wait(
      for: """
        (() => { const missing = [...document.querySelectorAll('.track[data-track]')].filter((t) =>
            ![...t.querySelectorAll('img.crop')].some((i) => i.complete && i.naturalWidth > 0));
          if (missing.length) missing[0].scrollIntoView();
          return missing.length === 0; })()
        """, what: "a loaded picture under each of the \(tracks) tracks", timeout: 60)
    let none = try browser.evaluate("document.querySelectorAll('.track .none').length") as? Int
    #expect(none == 0, "tracks saying 'no crops saved'")
  }

  /// The season page (docs/review_app.md, "Season page") shows, for every person and episode,
  /// the seconds of the CSV `season report` wrote; its download is that CSV; episodes not
  /// reviewed are marked; a person's number opens the episode filtered to them.
  func seasonPageMatchesTheCSV(show: String, csv: URL) throws {
    try browser.open("\(base)/app/shows/\(show)", until: "document.body.dataset.loaded === 'yes'")
    let text = try String(contentsOf: csv, encoding: .utf8)
    let rows = CSVText.rows(text).dropFirst()
    try #require(rows.count > 0)
    let cells =
      try browser.evaluate(
        """
        JSON.stringify([...document.querySelectorAll('#season tbody tr')].flatMap((tr) =>
          [...tr.querySelectorAll('td.seconds')].map((td) => [tr.dataset.kind, tr.dataset.person,
            td.dataset.ep, Number(td.dataset.seconds), td.textContent])))
        """) as? String ?? "[]"
    let shown = try JSONSerialization.jsonObject(with: Data(cells.utf8)) as? [[Any]] ?? []
    #expect(shown.count == rows.count, "the page has a number for every row of the CSV")
    let episodes = Set(rows.map { $0[4] })
    #expect(episodes.count == 3)
    for row in rows {
      let person = row[2].isEmpty ? row[3] : row[2]
      let match = shown.first {
        $0[0] as? String == row[1] && $0[1] as? String == person && $0[2] as? String == row[4]
      }
      let seconds = Double(row[5]) ?? -1
      #expect(match?[3] as? Double == seconds, "\(person) in \(row[4])")
      #expect(match?[4] as? String == String(format: "%.1f s", seconds), "\(person) in \(row[4])")
    }
    let download =
      try browser.evaluate(
        "fetch(document.querySelector('#csv').href).then((r) => r.text())") as? String
    #expect(download == text)
    let report =
      try JSONSerialization.jsonObject(
        with: Data(
          contentsOf: csv.deletingLastPathComponent().appendingPathComponent("screentime.json")))
      as? [String: Any]
    for episode in report?["episodes"] as? [[String: Any]] ?? [] {
      let id = episode["ep_id"] as? String ?? ""
      let marked = try browser.evaluate(
        "document.querySelector('#season-episodes li[data-ep=\"\(id)\"]').className")
      #expect(
        marked as? String == (episode["reviewed"] as? Bool == true ? "reviewed" : "unreviewed"))
    }
    try save("season.png")
    // A person's number links to the episode filtered to them.
    let link =
      try browser.evaluate(
        "document.querySelector('#season tr.person td.seconds a')?.getAttribute('href')") as? String
    try #require(link != nil, "a person's seconds link to the episode")
    try browser.open("\(base)\(link!)", until: "document.querySelectorAll('.card').length > 0")
    let filter = try browser.evaluate("document.querySelector('#filter').value") as? String
    #expect(link!.hasSuffix("filter=" + (filter ?? "?")) && !(filter ?? "").isEmpty)
    // Only that person's identities are shown: each visible card names them, others are hidden.
    let visibleCards =
      try browser.evaluate(
        """
        [...document.querySelectorAll('.card')].filter((c) => !c.hidden).map((c) =>
          [c.querySelector('.name').textContent, ...[...c.querySelectorAll('input')].map((i) => i.value)]
            .join(' ').toLowerCase())
        """) as? [String] ?? []
    let hidden =
      try browser.evaluate("[...document.querySelectorAll('.card')].filter((c) => c.hidden).length")
      as? Int ?? 0
    #expect(
      !visibleCards.isEmpty
        && visibleCards.allSatisfy { $0.contains((filter ?? "?").lowercased()) })
    #expect(hidden > 0, "the filter hides the other identities")
  }

  /// Waits (through `load`) until the page has one card per identity and every
  /// representative thumbnail has loaded.
  func showsEveryIdentity(_ document: IdentitiesDocument, load: (String) throws -> Void) throws {
    let ids = document.identities.map(\.identityID)
    let literal = Chromium.literal(ids.joined(separator: ","))
    try load(
      """
      [...document.querySelectorAll('.card')].map((c) => c.dataset.identity).join(',') === \(literal)
        && [...document.querySelectorAll('.card img.rep')].every((i) => i.complete && i.naturalWidth > 0)
      """)
  }

  /// Two identities given people-registry suggestions (docs/people.md) show them in italics with
  /// a badge; Accept makes one a human label, Reject removes the other, in identities.json.
  func acceptAndRejectSuggestions() throws {
    var document = try identities()
    try #require(document.identities.count >= 4)
    let (accepted, rejected) = (
      document.identities[1].identityID, document.identities[2].identityID
    )
    for (index, person) in [(1, "ann"), (2, "bob")] {
      document.identities[index].labels = [
        "name": person.capitalized, "person_id": person, "source": "people", "similarity": "0.9",
      ]
    }
    try AtomicFile.writeJSON(document, to: layout.identities(episode))
    let badges = "[...document.querySelectorAll('.card.suggested .badge.suggestion')]"
    try browser.reload(until: "\(badges).length === 2")
    let style = try browser.evaluate(
      "getComputedStyle(document.querySelector('\(card(accepted)) .name')).fontStyle")
    #expect(style as? String == "italic")
    try browser.click("\(card(accepted)) button.accept")
    try browser.wait(
      for: "!document.querySelector('\(card(accepted))').classList.contains('suggested')",
      what: "the accepted suggestion to become a label", timeout: 60)
    try browser.click("\(card(rejected)) button.reject")
    try browser.wait(
      for: "\(badges).length === 0", what: "the rejected suggestion to go", timeout: 60)
    let written = try identities().identities
    #expect(written[1].labels == ["name": "Ann", "person_id": "ann"])
    #expect(written[2].labels == ["rejected_person_ids": "bob"])
  }

  /// A name typed into a card and saved with Enter reaches identities.json and shows after a
  /// reload.
  func labelByTyping() throws {
    let target = try #require(try identities().identities.first).identityID
    let name = "Zoë Ångström"
    try browser.type(name, into: "\(card(target)) input[name=name]")
    try browser.press("Enter")
    try browser.wait(
      for:
        "document.querySelector('\(card(target)) .name').textContent === \(Chromium.literal(name))",
      what: "the label to show", timeout: 60)
    let written = try identities().identities.first { $0.identityID == target }
    #expect(written?.labels["name"] == name)
    try browser.reload(
      until:
        "document.querySelector('\(card(target)) input[name=name]')?.value === \(Chromium.literal(name))"
    )
  }

  /// The lock button locks the identity in identities.json and on the card.
  func lockFromTheCard() throws {
    let target = try #require(try identities().identities.last).identityID
    try browser.click("\(card(target)) button.lock")
    try browser.wait(
      for: "document.querySelector('\(card(target))').classList.contains('locked')",
      what: "\(target) to show locked", timeout: 60)
    #expect(try identities().identities.first { $0.identityID == target }?.locked == true)
  }

  /// Split a track off an identity, merge the new identity back, split it again and move
  /// another track of the same person to it: tracks of one person share no frame, so every
  /// step is allowed.
  func splitMergeAndMove() throws {
    let before = try identities()
    let source = try #require(
      before.identities.first { $0.trackIDs.count >= 2 && !$0.locked },
      "an unlocked identity with two tracks")
    let (first, second) = (source.trackIDs[0], source.trackIDs[1])
    try browser.click("\(card(source.identityID)) .track[data-track=\"\(first)\"] button.split")
    let split = try waitForOwner(of: first, notIn: source.identityID)
    try choose(split, in: "\(card(source.identityID)) select.merge-source")
    try browser.click("\(card(source.identityID)) button.merge")
    try browser.wait(
      for: "!document.querySelector('\(card(split))')", what: "\(split) to be merged",
      timeout: 60)
    let merged = try identities()
    #expect(
      merged.identities.first { $0.identityID == source.identityID }?.trackIDs == source.trackIDs)
    #expect(!merged.identities.contains { $0.identityID == split })

    try browser.click("\(card(source.identityID)) .track[data-track=\"\(first)\"] button.split")
    let target = try waitForOwner(of: first, notIn: source.identityID)
    let strip = "\(card(source.identityID)) .track[data-track=\"\(second)\"]"
    try choose(target, in: "\(strip) select.move-target")
    try browser.click("\(strip) button.move")
    try browser.wait(
      for: "document.querySelector('\(card(target)) .track[data-track=\"\(second)\"]')",
      what: "\(second) to move to \(target)", timeout: 60)
    let moved = try identities().identities.first { $0.identityID == target }
    #expect(moved?.trackIDs == [first, second].sorted())
  }

  /// `u` shows only the unlabelled identities, `u` again all of them.
  func filterWithTheKeyboard() throws {
    try browser.evaluate("document.activeElement?.blur(); true")
    let all = try identities().identities
    let unlabelled = all.filter { ($0.labels["name"] ?? "").isEmpty }.count
    let visible = "[...document.querySelectorAll('.card')].filter((c) => !c.hidden).length"
    try browser.press("u")
    try browser.wait(for: "\(visible) === \(unlabelled)", what: "the filter", timeout: 10)
    try browser.press("u")
    try browser.wait(for: "\(visible) === \(all.count)", what: "all cards again", timeout: 10)
  }

  /// Chooses `value` in the select `selector`, as picking it from the list does.
  func choose(_ value: String, in selector: String) throws {
    let chosen =
      try browser.evaluate(
        """
        (() => { const s = document.querySelector(\(Chromium.literal(selector)));
          s.value = \(Chromium.literal(value)); s.dispatchEvent(new Event('change'));
          return s.value; })()
        """) as? String
    try #require(chosen == value, "\(selector) offers \(value)")
  }

  /// Waits until the page shows `track` in a card other than `old` and returns that identity.
  func waitForOwner(of track: String, notIn old: String) throws -> String {
    let query =
      "document.querySelector('.card:not([data-identity=\"\(old)\"]) .track[data-track=\"\(track)\"]')?.closest('.card').dataset.identity"
    try browser.wait(for: query, what: "\(track) to leave \(old)", timeout: 60)
    let owner = try #require(try browser.evaluate(query) as? String)
    #expect(try identities().identities.first { $0.identityID == owner }?.trackIDs == [track])
    return owner
  }

  /// Writes a screenshot of the whole page to `.build/review-app/name`.
  func save(_ name: String) throws {
    try browser.evaluate("window.scrollTo(0, 0); true")
    let png = try browser.screenshot()
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
    try FileManager.default.createDirectory(
      at: ReviewAppBrowserTests.screenshots, withIntermediateDirectories: true)
    try png.write(to: ReviewAppBrowserTests.screenshots.appendingPathComponent(name))
  }
}

/// RFC 4180 text as rows of fields (quoted fields, doubled quotes, CRLF line ends).
enum CSVText {
  static func rows(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var characters = text.makeIterator()
    while let character = characters.next() {
      if quoted {
        if character == "\"" {
          quoted = false
        } else {
          field.append(character)
        }
      } else if character == "\"" {
        if !field.isEmpty { field.append("\"") }
        quoted = true
      } else if character == "," {
        row.append(field)
        field = ""
      } else if character == "\r\n" || character == "\n" {
        row.append(field)
        rows.append(row)
        (row, field) = ([], "")
      } else {
        field.append(character)
      }
    }
    if !row.isEmpty || !field.isEmpty { rows.append(row + [field]) }
    return rows
  }
}
