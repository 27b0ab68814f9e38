/// Tells which decoded frames a lost reference packet may have damaged (docs/detect_track.md,
/// "Corrupt packets"). A packet the decoder rejects leaves a gap at its own frame number; when
/// other frames refer to it, the decoder conceals what is missing in every frame decoded after
/// it until the next keyframe, and that concealment depends on what else the pass decoded, so
/// two passes with different selections can see different pixels there. Those frames are
/// marked damaged, the same way in every pass: the criterion uses only container facts (decode
/// order, keyframe flags, which packets are references) and which reference packets yielded no
/// frame, and every pass decodes every reference packet.
///
/// A frame can leave the decoder before a reference packet decoded ahead of it is known to be
/// lost (a B frame is presented before the P frame it refers to), so frames are held until
/// every packet decoded before theirs is accounted for: it produced a frame, or a frame of a
/// later number came out first (the decoder outputs in presentation order), or the stream
/// ended. The decoder's reorder depth bounds how many frames wait.
struct DamageTracker<Payload> {
  /// A frame released in presentation order, and whether a lost reference may have damaged it.
  struct Released {
    let payload: Payload
    let damaged: Bool
  }

  private struct SentPacket {
    let position: Int
    let isReference: Bool
  }

  private struct Held {
    let position: Int
    let payload: Payload
  }

  /// Packets sent to the decoder that have not produced a frame yet, by frame number.
  private var unresolved: [Int: SentPacket] = [:]
  /// Decode positions of the keyframe packets sent, ascending.
  private var keyframes: [Int] = []
  /// Decode positions of the reference packets that produced no frame.
  private var lostReferences: [Int] = []
  private var held: [Held] = []
  private var nextPosition = 0

  /// A packet with frame number `number` goes to the decoder.
  mutating func sent(number: Int, isKeyframe: Bool, isReference: Bool) {
    unresolved[number] = SentPacket(position: nextPosition, isReference: isReference)
    if isKeyframe { keyframes.append(nextPosition) }
    nextPosition += 1
  }

  /// A packet is dropped undecoded (a non-reference frame nobody wants): it takes its decode
  /// position and nothing depends on it.
  mutating func skipped() { nextPosition += 1 }

  /// The decoder output the frame numbered `number`; returns the frames now known to be whole or
  /// damaged, in presentation order.
  mutating func output(number: Int, payload: Payload) -> [Released] {
    let position = unresolved.removeValue(forKey: number)?.position ?? nextPosition - 1
    for (earlier, packet) in unresolved where earlier < number {
      unresolved[earlier] = nil
      if packet.isReference { lostReferences.append(packet.position) }
    }
    held.append(Held(position: position, payload: payload))
    return release()
  }

  /// The decoder is drained: every packet still unaccounted for is lost; returns the frames
  /// still held.
  mutating func finish() -> [Released] {
    lostReferences += unresolved.values.filter(\.isReference).map(\.position)
    unresolved.removeAll()
    return release()
  }

  private mutating func release() -> [Released] {
    let oldestUnresolved = unresolved.values.map(\.position).min() ?? Int.max
    var released: [Released] = []
    while let first = held.first, first.position < oldestUnresolved {
      held.removeFirst()
      released.append(Released(payload: first.payload, damaged: isDamaged(first.position)))
    }
    return released
  }

  /// Whether a reference packet decoded before `position`, and not before the last keyframe
  /// decoded at or before it, was lost.
  private func isDamaged(_ position: Int) -> Bool {
    let keyframe = keyframes.last { $0 <= position } ?? -1
    return lostReferences.contains { $0 >= keyframe && $0 < position }
  }
}
