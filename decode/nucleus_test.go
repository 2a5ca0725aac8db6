package decode

import (
	"math"
	"slices"
	"testing"
)

// cutMassPairs is cutMass as it was before the selection moved to rankKeys
// (quickselect on the pairs themselves): the differential test below checks
// that the two leave bit-identical candidates, in the same internal order,
// so that every seeded draw is unchanged.
func (c *Candidates) cutMassPairs(ps []pair, presorted bool, lse, target float64) {
	mk := min(c.minKeep(), len(ps))
	var k int
	if presorted {
		mass := 0.0
		k = len(ps)
		for i, q := range ps {
			mass += math.Exp(float64(c.LogP[q.id]) - lse)
			if mass >= target {
				k = i + 1
				break
			}
		}
		k = max(k, mk)
	} else {
		m := float32(lse)
		scale := float32(math.Exp(float64(m) - lse))
		for _, q := range ps {
			c.w[q.id] = expf(c.LogP[q.id]-m) * scale
		}
		k = cutByMass(ps, c.w, target)
		if k < mk {
			selectTop(ps[k:], mk-k)
			k = mk
		}
	}
	if presorted && k == len(ps) && len(ps) == c.Len() {
		return
	}
	c.keep(ps[:k], presorted)
}

// topPPairs is TopP.Process with cutMassPairs.
func topPPairs(c *Candidates, P float64) {
	if P >= 1 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	presorted := c.sparse && c.sorted
	var ps []pair
	if presorted {
		ps = c.gather()
	} else {
		ps = c.gatherAbove(float32(lse + math.Log((1-P)/float64(len(c.LogP)))))
		if len(ps) < c.minKeep() {
			ps = c.gather()
		}
	}
	c.cutMassPairs(ps, presorted, lse, P)
}

// typicalPPairs is TypicalP.Process with cutMassPairs.
func typicalPPairs(c *Candidates, P float64) {
	if P >= 1 {
		return
	}
	lse := c.LogSumExp()
	if math.IsInf(lse, -1) {
		return
	}
	h := c.entropy(lse)
	ps := c.gather()
	for i, q := range ps {
		ps[i].v = -float32(math.Abs(-(float64(q.v) - lse) - h))
	}
	c.cutMassPairs(ps, false, lse, P)
}

// nucleusRef is the specification of the top-p kept set: rank every token
// in play by (score desc, id asc), weigh it as cutMass does, and keep the
// shortest prefix whose running mass reaches P, at least MinKeep tokens.
func nucleusRef(lp []float32, minKeep int, P float64) []int32 {
	var ps []pair
	for i, v := range lp {
		if v > negInf {
			ps = append(ps, pair{v, int32(i)})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	if P >= 1 {
		return sortedIDs(ps)
	}
	sortPairs(ps)
	m := ps[0].v
	s := 0.0
	for _, q := range ps {
		s += math.Exp(float64(q.v - m))
	}
	lse := float64(m) + math.Log(s)
	mf := float32(lse)
	scale := float32(math.Exp(float64(mf) - lse))
	k := len(ps)
	mass := 0.0
	for i, q := range ps {
		mass += float64(expf(q.v-mf) * scale)
		if mass >= P {
			k = i + 1
			break
		}
	}
	k = max(k, min(max(minKeep, 1), len(ps)))
	return sortedIDs(ps[:k])
}

func sortedIDs(ps []pair) []int32 {
	ids := make([]int32, len(ps))
	for i, q := range ps {
		ids[i] = q.id
	}
	slices.Sort(ids)
	return ids
}

// liveIDs returns the tokens in play, sorted.
func liveIDs(c *Candidates) []int32 {
	var ids []int32
	for i, v := range c.LogP {
		if v > negInf {
			ids = append(ids, int32(i))
		}
	}
	return ids
}

// randomScores draws a distribution of n scores: Zipf-like, Gaussian or
// heavily tied, with some −Inf entries.
func randomScores(r interface {
	IntN(int) int
	Float64() float64
	NormFloat64() float64
}, n int) []float32 {
	lp := make([]float32, n)
	kind := r.IntN(4)
	s := 0.5 + 1.5*r.Float64()
	for i := range lp {
		switch kind {
		case 0:
			lp[i] = float32(-s * math.Log(float64(r.IntN(n))+2.7))
		case 1:
			lp[i] = float32(r.NormFloat64() * 3 * r.Float64())
		case 2:
			lp[i] = -float32(r.IntN(1 + r.IntN(8))) // many ties
		default:
			lp[i] = float32(r.NormFloat64())
			if r.IntN(3) == 0 {
				lp[i] = 0 // one big tie
			}
		}
		if r.IntN(10) == 0 {
			lp[i] = negInf
		}
	}
	if r.IntN(4) == 0 {
		lp[r.IntN(n)] = float32(math.Copysign(0, -1))
	}
	return lp
}

// TestNucleusDifferential: top-p and typical-p leave exactly what the
// pair-based quickselect left (same scores, same internal order, so the same
// draws), and top-p keeps exactly the sort-based reference set, over random
// distributions with ties, −Inf entries, MinKeep and P near 0 and 1, dense
// and sparse.
func TestNucleusDifferential(t *testing.T) {
	r := NewRand(2026)
	trials := 3000
	if testing.Short() {
		trials = 300
	}
	for trial := range trials {
		n := 1 + r.IntN(3000)
		if r.IntN(4) == 0 {
			n = 1 + r.IntN(40)
		}
		lp := randomScores(r, n)
		P := r.Float64()
		switch r.IntN(6) {
		case 0:
			P = 1e-9 * r.Float64()
		case 1:
			P = 1 - 1e-9*r.Float64()
		case 2:
			P = 0
		case 3:
			P = 0.9
		}
		minKeep := 1
		if r.IntN(3) == 0 {
			minKeep = r.IntN(n + 5)
		}
		normalized := false
		if r.IntN(2) == 0 {
			// Normalize in float64 and trust it, as Reset(lp, true) does.
			m := slices.Max(lp)
			if m > negInf {
				s := 0.0
				for _, v := range lp {
					s += math.Exp(float64(v - m))
				}
				z := float32(float64(m) + math.Log(s))
				for i := range lp {
					lp[i] -= z
				}
			}
			normalized = r.IntN(2) == 0
		}
		// Sparse, unranked input: an epsilon cut first.
		sparse := r.IntN(3) == 0
		eps := 1e-4 * r.Float64()
		typical := r.IntN(3) == 0

		run := func(old bool) *Candidates {
			c := NewCandidates(n)
			c.MinKeep = minKeep
			c.Reset(slices.Clone(lp), normalized)
			if sparse {
				Epsilon{eps}.Process(c)
			}
			massCut(c, P, typical, old)
			return c
		}
		want, got := run(true), run(false)
		if want.sparse != got.sparse || want.sorted != got.sorted ||
			!slices.Equal(want.ids, got.ids) {
			t.Fatalf("trial %d (n %d, P %v, minKeep %d, sparse %v, typical %v): internal order differs",
				trial, n, P, minKeep, sparse, typical)
		}
		for i := range want.LogP {
			if math.Float32bits(want.LogP[i]) != math.Float32bits(got.LogP[i]) {
				t.Fatalf("trial %d: score of %d: %v, want %v", trial, i, got.LogP[i], want.LogP[i])
			}
		}
		for _, u := range []float64{0, 0.3, 0.77, 0.999} {
			a, oka := want.draw(u)
			b, okb := got.draw(u)
			if a != b || oka != okb {
				t.Fatalf("trial %d: draw(%v) = %v, want %v", trial, u, b, a)
			}
		}
		if typical || sparse {
			continue
		}
		// The kept set against the specification. normalized inputs trust
		// the caller's normalizer, which the reference recomputes; skip
		// them.
		if normalized {
			continue
		}
		if ref := nucleusRef(lp, minKeep, P); !slices.Equal(liveIDs(got), ref) {
			t.Fatalf("trial %d (n %d, P %v, minKeep %d): kept %d tokens, reference %d",
				trial, n, P, minKeep, len(liveIDs(got)), len(ref))
		}
	}
}

// massCut applies top-p, or typical-p if typical, at P: the previous
// implementation (the pairs-based reference) if old, else the processor.
func massCut(c *Candidates, P float64, typical, old bool) {
	switch {
	case typical && old:
		typicalPPairs(c, P)
	case typical:
		TypicalP{P}.Process(c)
	case old:
		topPPairs(c, P)
	default:
		TopP{P}.Process(c)
	}
}

// TestNucleusDifferentialGPT2: the same at GPT-2's vocabulary on the
// benchmarks' distributions, typical (Zipf s=1.5) and flat (s=1.1).
func TestNucleusDifferentialGPT2(t *testing.T) {
	rows := 8
	if testing.Short() {
		rows = 2
	}
	for _, zs := range []float64{1.5, 1.1} {
		for seed := range uint64(rows) {
			lp := zipf(gpt2Vocab, seed, zs)
			for _, T := range []float64{1, 0.8} {
				for _, P := range []float64{0.5, 0.9, 0.95} {
					for _, typical := range []bool{false, true} {
						run := func(old bool) *Candidates {
							c := NewCandidates(gpt2Vocab)
							c.Reset(slices.Clone(lp), true)
							Temperature{T}.Process(c)
							massCut(c, P, typical, old)
							return c
						}
						want, got := run(true), run(false)
						if !slices.Equal(want.ids, got.ids) || !slices.Equal(want.LogP, got.LogP) {
							t.Fatalf("s=%v seed %d T %v P %v typical %v: candidates differ", zs, seed, T, P, typical)
						}
						for _, u := range []float64{0.01, 0.5, 0.93} {
							a, _ := want.draw(u)
							b, _ := got.draw(u)
							if a != b {
								t.Fatalf("s=%v seed %d T %v P %v typical %v: draw(%v) %v, want %v", zs, seed, T, P, typical, u, b, a)
							}
						}
					}
				}
			}
		}
	}
}
