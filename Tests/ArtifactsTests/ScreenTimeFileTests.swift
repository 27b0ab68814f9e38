import Foundation
import Testing

@testable import Artifacts

/// `screentime.json` and `screentime.csv` as files: the JSON layout, RFC 4180 quoting, and what
/// pandas reads back. The pandas test fails (never skips) without a Python that has pandas: the
/// set-up venv has it (scripts/requirements.txt).
@Suite("Screen-time files")
struct ScreenTimeFileTests {
  static let names = [
    "Zoë Ångström, Jr.", "Dwayne \"The Rock\" Johnson", "two\nlines", "李小龍 🎬", "", "a\r\nb",
  ]

  /// The sample report with one identity per awkward name (the empty name is no label).
  static func report() -> ScreenTimeReport {
    var report = Samples.screenTime()
    report.identities = names.enumerated().map { index, name in
      ScreenTimeEntry(
        identityID: ArtifactID.identity(index + 1), name: name.isEmpty ? nil : name,
        personID: index == 0 ? "p,1" : nil, seconds: Double(index) / 4, share: Double(index) / 10,
        numTracks: index + 1, firstSeenSeconds: 0.5, lastSeenSeconds: 2)
    }
    return report
  }

  @Test("a field is quoted only when it holds a comma, a quote, CR or LF; quotes are doubled")
  func quoting() {
    #expect(ScreenTimeCSV.field("Ardern") == "Ardern")
    #expect(ScreenTimeCSV.field("Zoë 李") == "Zoë 李")
    #expect(ScreenTimeCSV.field("a,b") == "\"a,b\"")
    #expect(ScreenTimeCSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(ScreenTimeCSV.field("x\ny") == "\"x\ny\"")
    #expect(ScreenTimeCSV.field("x\r\ny") == "\"x\r\ny\"")
  }

  @Test("the CSV: header, one row per identity in order, the unidentified row last, CRLF")
  func csvText() {
    let expected =
      "kind,identity_id,name,person_id,seconds,share,num_tracks,first_seen_s,last_seen_s\r\n"
      + "identity,identity-00001,\"Vanderpump, \"\"Lisa\"\"\",lisa-vanderpump,1.75,0.7,2,0.0,"
      + "\(40.0 / 24)\r\n"
      + "identity,identity-00002,,,0.9,0.36,1,1.25,\(50.0 / 24)\r\n"
      + "unidentified,,,,0.0,0.0,0,,\r\n"
    #expect(ScreenTimeCSV.text(Samples.screenTime()) == expected)
  }

  @Test("the JSON writes null for unset labels, and reads back equal")
  func jsonRoundTrip() throws {
    let report = Samples.screenTime()
    let data = try AtomicFile.jsonData(report, displayPath: "screentime.json")
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let identities = try #require(object["identities"] as? [[String: Any]])
    #expect(identities[1]["name"] is NSNull && identities[1]["person_id"] is NSNull)
    let unidentified = try #require(object["unidentified"] as? [String: Any])
    #expect(Set(unidentified.keys) == ["seconds", "share", "num_tracks"])
    #expect(object["schema_version"] as? String == "screentime_v1")
    #expect(try JSONDecoder().decode(ScreenTimeReport.self, from: data) == report)
  }

  @Test("a transaction of two files: both replaced; a failure staging the second replaces neither")
  func pairedWrite() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let layout = DataLayout(root: directory.url)
    let episode = try EpisodeID("ep")
    let json = layout.screentimeJSON(episode)
    let csv = layout.screentimeCSV(episode)
    let first = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
    try first.stage(Data("1".utf8), at: json)
    try first.stage(Data("2".utf8), at: csv)
    try first.commit()
    #expect(try directory.listing("analytics/ep") == ["screentime.csv", "screentime.json"])
    // The second destination's folder is a file: its temporary file cannot be created.
    try writeText("not a folder", to: directory.file("analytics/ep/blocked"))
    let second = ArtifactTransaction(layout: layout, episode: episode, purpose: "test")
    try second.stage(Data("3".utf8), at: json)
    let error = artifactError {
      try second.stage(Data("4".utf8), at: directory.file("analytics/ep/blocked/screentime.csv"))
    }
    #expect(error != nil)
    second.discard()
    #expect(try String(contentsOf: json, encoding: .utf8) == "1")
    #expect(
      try directory.listing("analytics/ep") == ["blocked", "screentime.csv", "screentime.json"])
  }

  @Test("pandas reads the CSV and the JSON back: names, labels and numbers intact")
  func pandasRoundTrip() throws {
    let (python, tried) = PythonLocator.python(importing: "pandas")
    let path = try #require(
      python, "no Python with pandas (tried: \(tried.joined(separator: "; "))); run make setup")
    let directory = try TemporaryDirectory()
    defer { directory.cleanUp() }
    let report = Self.report()
    let csv = directory.file("screentime.csv")
    let json = directory.file("screentime.json")
    try Data(ScreenTimeCSV.text(report).utf8).write(to: csv)
    try AtomicFile.writeJSON(report, to: json)
    let script = """
      import json, sys, pandas as pd
      csv = pd.read_csv(sys.argv[1])
      doc = json.load(open(sys.argv[2], encoding="utf-8"))
      frame = pd.json_normalize(doc, record_path="identities", meta=["ep_id", "duration_s"])
      series = pd.read_json(sys.argv[2], typ="series")
      print(json.dumps({
        "columns": list(csv.columns), "kind": list(csv["kind"]),
        "names": [None if pd.isna(n) else n for n in csv["name"]],
        "person": [None if pd.isna(n) else n for n in csv["person_id"]],
        "seconds": [float(x) for x in csv["seconds"]], "dtype": str(csv["seconds"].dtype),
        "tracks": [int(x) for x in csv["num_tracks"]],
        "json_names": [None if pd.isna(n) else n for n in frame["name"]],
        "json_ep": list(frame["ep_id"]), "duration": float(series["duration_s"]),
        "unidentified": float(series["unidentified"]["seconds"]),
      }))
      """
    let result = try PythonLocator.run(path, script: script, arguments: [csv.path, json.path])
    try #require(result.status == 0, "pandas failed: \(result.error)")
    let output = try #require(
      try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    let names: [String?] = Self.names.map { $0.isEmpty ? nil : $0 }
    func strings(_ key: String) -> [String?]? {
      (output[key] as? [Any])?.map { $0 as? String }
    }
    #expect(output["columns"] as? [String] == ScreenTimeCSV.columns)
    #expect(
      output["kind"] as? [String] == Array(repeating: "identity", count: 6) + ["unidentified"])
    #expect(strings("names") == names + [nil])
    #expect(strings("json_names") == names)
    #expect(strings("person") == ["p,1", nil, nil, nil, nil, nil, nil])
    #expect(output["seconds"] as? [Double] == report.identities.map(\.seconds) + [0])
    #expect(output["dtype"] as? String == "float64")
    #expect(output["tracks"] as? [Int] == [1, 2, 3, 4, 5, 6, 0])
    #expect(output["json_ep"] as? [String] == Array(repeating: Samples.episode, count: 6))
    #expect(output["duration"] as? Double == 2.5 && output["unidentified"] as? Double == 0)
  }
}
