/// The mean cosine similarity over every pair of `vectors` (unit vectors; each dot product
/// summed in `Float`): how much a track's probe faces agree with each other, for the harvest's
/// probes by need and clustering's recognisable faces (docs/harvest.md, "Probes by need";
/// docs/identities.md, "Degraded-only tracks"). 1 for one vector, nil for none.
public func meanPairwiseCosine(_ vectors: [[Float]]) -> Double? {
  guard !vectors.isEmpty else { return nil }
  guard vectors.count > 1 else { return 1 }
  var total = 0.0
  var pairs = 0
  for i in vectors.indices {
    for j in (i + 1)..<vectors.count {
      var sum: Float = 0
      for index in 0..<min(vectors[i].count, vectors[j].count) {
        sum += vectors[i][index] * vectors[j][index]
      }
      total += Double(sum)
      pairs += 1
    }
  }
  return total / Double(pairs)
}
