import Testing

@testable import Harvest

/// A face as the buffer sees it: track, frame, probe or accepted.
private struct Item: Equatable {
  var track: String
  var frame: Int
  var probe: Bool
}

@Suite("ProbeBuffer")
struct ProbeBufferTests {
  private func buffer(_ lastFrame: [String: Int]) -> ProbeBuffer<Item> {
    ProbeBuffer(lastFrame: lastFrame, track: \.track, frame: \.frame, isProbe: \.probe)
  }

  @Test("probes wait for their track to end, and only a track with no accepted face embeds them")
  func releaseOrder() {
    var probes = buffer(["A": 13, "B": 20, "C": 15])
    let a5 = Item(track: "A", frame: 5, probe: true)
    let b6 = Item(track: "B", frame: 6, probe: false)
    var step = probes.admit([a5, b6])
    #expect(step.embed == [b6])
    #expect(step.discarded.isEmpty)

    let a8 = Item(track: "A", frame: 8, probe: true)
    let b12 = Item(track: "B", frame: 12, probe: true)
    step = probes.admit([a8, b12])
    #expect(step.embed.isEmpty)
    #expect(step.discarded == [b12])

    // Frame 15 is past A's last planned frame (13): A is complete and had no accepted face.
    let c15 = Item(track: "C", frame: 15, probe: false)
    step = probes.admit([c15])
    #expect(step.embed == [c15, a5, a8])
    #expect(probes.drain().embed.isEmpty)
  }

  @Test("a track still open at the end of the video is released by drain")
  func drainAtEnd() {
    var probes = buffer(["A": 10, "B": 10])
    let a3 = Item(track: "A", frame: 3, probe: true)
    let b3 = Item(track: "B", frame: 3, probe: true)
    let b10 = Item(track: "B", frame: 10, probe: false)
    #expect(probes.admit([a3, b3]).embed.isEmpty)
    // B's accepted face arrives after its probe: the held probe is dropped, not embedded.
    #expect(probes.admit([b10]).embed == [b10])
    let end = probes.drain()
    #expect(end.embed == [a3])
    #expect(end.discarded == [b3])
  }

  @Test("when the episode cap may still drop accepted faces, every probe is embedded")
  func capKeepsProbes() {
    var probes = buffer(["A": 10])
    probes.dropsProbesOfAcceptedTracks = false
    let accepted = Item(track: "A", frame: 2, probe: false)
    let probe = Item(track: "A", frame: 4, probe: true)
    #expect(probes.admit([accepted, probe]).embed == [accepted])
    let end = probes.drain()
    #expect(end.embed == [probe])
    #expect(end.discarded.isEmpty)
  }
}
