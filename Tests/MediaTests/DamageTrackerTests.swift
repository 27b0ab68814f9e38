import Testing

@testable import Media

@Suite("Damage tracker: which frames a lost reference packet may have damaged")
struct DamageTrackerTests {
  /// What happens in a pass, in order.
  enum Event {
    /// A packet goes to the decoder: frame number, keyframe, reference.
    case send(Int, key: Bool = false, reference: Bool = true)
    /// A non-reference packet is dropped undecoded.
    case skip
    /// The decoder outputs frame `n`.
    case output(Int)
  }

  /// The frames released (number, damaged), in order, the stream ending after `events`.
  static func run(_ events: [Event]) -> [[Int]] {
    var tracker = DamageTracker<Int>()
    var released: [DamageTracker<Int>.Released] = []
    for event in events {
      switch event {
      case .send(let number, let key, let reference):
        tracker.sent(number: number, isKeyframe: key, isReference: reference)
      case .skip: tracker.skipped()
      case .output(let number): released += tracker.output(number: number, payload: number)
      }
    }
    released += tracker.finish()
    return released.map { [$0.payload, $0.damaged ? 1 : 0] }
  }

  /// I0 P3 B1 B2 P6 B4 B5 P8 B7 I9 in decode order, B frames non-reference; the decoder
  /// outputs each frame two packets after it could, in presentation order, except `lost`.
  static func gop(losing lost: Int?, skipping: Set<Int> = []) -> [Event] {
    let order: [(Int, Bool)] = [
      (0, true), (3, true), (1, false), (2, false), (6, true), (4, false), (5, false), (8, true),
      (7, false), (9, true),
    ]
    var events: [Event] = []
    var nextOutput = 0
    for (position, (number, reference)) in order.enumerated() {
      events.append(
        skipping.contains(number)
          ? .skip : .send(number, key: number == 0 || number == 9, reference: reference))
      // Everything up to the frames decoded two packets ago is ready.
      let decoded = Set(order.prefix(max(0, position - 1)).map(\.0))
      while nextOutput < 10,
        decoded.contains(nextOutput) || nextOutput == lost
          || skipping.contains(nextOutput)
      {
        if nextOutput != lost && !skipping.contains(nextOutput) {
          events.append(.output(nextOutput))
        }
        nextOutput += 1
      }
    }
    return events + (nextOutput..<10).filter { $0 != lost }.map { .output($0) }
  }

  @Test("a lost reference damages what is decoded after it until the next keyframe")
  func lostReference() {
    #expect(
      Self.run(Self.gop(losing: 3))
        == [[0, 0], [1, 1], [2, 1], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [9, 0]])
  }

  @Test("a lost non-reference frame is only a gap; skipped frames change nothing")
  func lostNonReference() {
    let clean = [0, 1, 3, 4, 5, 6, 7, 8, 9].map { [$0, 0] }
    #expect(Self.run(Self.gop(losing: 2)) == clean)
    #expect(
      Self.run(Self.gop(losing: 3, skipping: [2, 5]))
        == [[0, 0], [1, 1], [4, 1], [6, 1], [7, 1], [8, 1], [9, 0]])
  }

  @Test("a B frame waits for the reference decoded before it; the stream's end settles it")
  func heldUntilResolved() {
    let waiting = Self.run([
      .send(0, key: true), .send(3), .send(1, reference: false), .output(0), .output(1),
    ])
    #expect(waiting == [[0, 0], [1, 1]], "P3 never came out: B1, decoded after it, is damaged")
    let whole = Self.run([
      .send(0, key: true), .send(3), .send(1, reference: false), .output(0), .output(1), .output(3),
    ])
    #expect(whole == [[0, 0], [1, 0], [3, 0]])
  }
}
