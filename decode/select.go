package decode

import (
	"math"
	"math/bits"
	"slices"
)

// Partial selection: the truncations need the best few tokens in order, never
// the whole vocabulary sorted. Ranking is a strict total order — higher key
// first, then lower token id — so every selection is deterministic and ties
// never depend on the algorithm.

// pair is a token id with its ranking key.
type pair struct {
	v  float32
	id int32
}

// better is the ranking order: larger key first, then smaller id.
func better(a, b pair) bool { return a.v > b.v || (a.v == b.v && a.id < b.id) }

func cmpPair(a, b pair) int {
	switch {
	case better(a, b):
		return -1
	case better(b, a):
		return 1
	}
	return 0
}

// sortPairs sorts ps best first.
func sortPairs(ps []pair) { slices.SortFunc(ps, cmpPair) }

// selectTop rearranges ps so that ps[:k] holds the k best pairs (in no
// particular order). It is an introselect: median-of-three quickselect whose
// work is bounded by falling back to a sort after 2·log₂n bad partitions.
func selectTop(ps []pair, k int) {
	if k <= 0 || k >= len(ps) {
		return
	}
	lo, hi := 0, len(ps) // the k-th best lies in ps[lo:hi]
	budget := 2 * bits.Len(uint(len(ps)))
	for hi-lo > 16 {
		if budget == 0 {
			sortPairs(ps[lo:hi])
			return
		}
		budget--
		p := partition(ps[lo:hi]) + lo
		switch {
		case p == k || p == k-1:
			return
		case p < k:
			lo = p + 1
		default:
			hi = p
		}
	}
	sortPairs(ps[lo:hi])
}

// partition picks a median-of-three pivot, moves pairs better than it to the
// front and returns the pivot's final index.
func partition(ps []pair) int {
	n := len(ps)
	a, b, c := 0, n/2, n-1
	if better(ps[b], ps[a]) {
		a, b = b, a
	}
	if better(ps[c], ps[b]) {
		b, c = c, b
		if better(ps[b], ps[a]) {
			a, b = b, a
		}
	}
	// b is the median index; move the pivot to the end.
	ps[b], ps[n-1] = ps[n-1], ps[b]
	pk := rankKey(ps[n-1])
	// Branchless Lomuto: always swap, advance only past better pairs; the
	// comparison is one integer compare on rankKey, so the loop carries no
	// unpredictable branch.
	i := 0
	for j := 0; j < n-1; j++ {
		x := ps[j]
		ps[j] = ps[i]
		ps[i] = x
		if rankKey(x) > pk {
			i++
		}
	}
	ps[i], ps[n-1] = ps[n-1], ps[i]
	return i
}

// rankKey maps a pair to an integer whose order is the ranking order
// (better ⇔ larger key): the score's order-preserving bits, then the
// complemented id so that lower ids rank higher. Scores are never NaN here.
func rankKey(p pair) uint64 {
	b := math.Float32bits(p.v)
	if b == 0x80000000 {
		b = 0 // −0 ranks as +0, as in better
	}
	if b&0x80000000 != 0 {
		b = ^b // negative: reverse the order of magnitudes
	} else {
		b |= 0x80000000
	}
	return uint64(b)<<32 | uint64(^uint32(p.id))
}

// topHeap is a bounded min-heap (the worst kept pair at the root) for
// selecting the k best of a long stream with k small: one comparison per
// element against the root, which rarely wins once the heap is warm.
type topHeap []pair

func (h topHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l // the worse child
		if r := l + 1; r < n && better(h[l], h[r]) {
			w = r
		}
		if !better(h[i], h[w]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

func (h topHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// topKDense writes into dst (capacity ≥ k) the k best finite entries of x in
// ranking order and returns the slice. Entries equal to −Inf are never
// selected, so fewer than k may be returned.
func topKDense(dst []pair, x []float32, k int) []pair {
	h := topHeap(dst[:0])
	for i, v := range x {
		if len(h) == k {
			if !(v > h[0].v) { // equal keys lose to the earlier (smaller) id; NaN never enters
				continue
			}
			h[0] = pair{v, int32(i)}
			h.down(0)
			continue
		}
		if !(v > negInf) {
			continue
		}
		h = append(h, pair{v, int32(i)})
		h.up(len(h) - 1)
	}
	out := []pair(h)
	sortPairs(out)
	return out
}

// topKRef is the specification of top-k selection: a full sort.
func topKRef(x []float32, k int) []pair {
	var ps []pair
	for i, v := range x {
		if v > negInf {
			ps = append(ps, pair{v, int32(i)})
		}
	}
	sortPairs(ps)
	if len(ps) > k {
		ps = ps[:k]
	}
	return ps
}

// cutByMass is the selection on pairs that cutByMassKeys reproduces on
// rankKeys (the sampler now uses the latter; tests pin the two together).
// It rearranges ps so that ps[:k] holds the k best pairs, k minimal
// such that their weights sum to at least target, and returns k (len(ps)
// when the whole falls short). The weight of a pair is ws[id]. It is a
// quickselect that keeps only the side holding the boundary, O(n) expected,
// with the sort fallback of selectTop; nothing is sorted but the last small
// range, so ps[:k] comes back unordered.
func cutByMass(ps []pair, ws []float32, target float64) int {
	lo, hi := 0, len(ps)
	above := 0.0 // mass of ps[:lo], every pair of which beats ps[lo:hi]
	budget := 2 * bits.Len(uint(len(ps)))
	for hi-lo > 32 && budget > 0 {
		budget--
		p := partition(ps[lo:hi]) + lo
		m := 0.0
		for _, q := range ps[lo:p] {
			m += float64(ws[q.id])
		}
		if above+m >= target {
			hi = p
			continue
		}
		above += m + float64(ws[ps[p].id])
		if above >= target {
			return p + 1
		}
		lo = p + 1
	}
	sortPairs(ps[lo:hi])
	for i := lo; i < hi; i++ {
		above += float64(ws[ps[i].id])
		if above >= target {
			return i + 1
		}
	}
	// Only rounding (block sums versus running sums) can end here with
	// hi < len(ps); the boundary is then the end of the range.
	return hi
}

// unRankKey inverts rankKey (up to the sign of a zero score, which the
// ranking ignores).
func unRankKey(x uint64) pair {
	b := uint32(x >> 32)
	if b&0x80000000 != 0 {
		b &^= 0x80000000
	} else {
		b = ^b
	}
	return pair{math.Float32frombits(b), int32(^uint32(x))}
}

// keyID is the token id of a rankKey.
func keyID(x uint64) int32 { return int32(^uint32(x)) }

// partitionKeys is partition on rankKeys: the same pivot, the same swaps, so
// the same arrangement, with one integer compare per element.
func partitionKeys(ks []uint64) int {
	n := len(ks)
	a, b, c := 0, n/2, n-1
	if ks[b] > ks[a] {
		a, b = b, a
	}
	if ks[c] > ks[b] {
		b, c = c, b
		if ks[b] > ks[a] {
			a, b = b, a
		}
	}
	ks[b], ks[n-1] = ks[n-1], ks[b]
	pk := ks[n-1]
	i := 0
	for j := 0; j < n-1; j++ {
		x := ks[j]
		ks[j] = ks[i]
		ks[i] = x
		// i += (x > pk), branchless: a branch here mispredicts half the
		// time on random data.
		_, gt := bits.Sub64(pk, x, 0)
		i += int(gt)
	}
	ks[i], ks[n-1] = ks[n-1], ks[i]
	return i
}

// cutByMassKeys is cutByMass on the rankKeys of the pairs, with the weight
// of a key w = expf(lp[id] − m) · scale: the same partitions in the same
// order and the same sums in the same order, so the same k and the same
// arrangement of ks (as keys) as cutByMass gives the pairs. Weights are
// computed (into ws, by id) only when first summed: the worse side of the
// first partitions is mostly never summed at all.
func cutByMassKeys(ks []uint64, ws, lp []float32, m, scale float32, target float64) int {
	lo, hi := 0, len(ks)
	above := 0.0   // mass of ks[:lo], every key of which beats ks[lo:hi]
	known := false // ws holds the weights of all of ks[lo:hi]
	budget := 2 * bits.Len(uint(len(ks)))
	for hi-lo > 32 && budget > 0 {
		budget--
		p := partitionKeys(ks[lo:hi]) + lo
		var s, wp float64
		if known {
			for _, x := range ks[lo:p] {
				s += float64(ws[keyID(x)])
			}
		} else {
			s = weigh(ws, lp, ks[lo:p], m, scale)
		}
		if above+s >= target {
			hi = p
			known = true
			continue
		}
		if known {
			wp = float64(ws[keyID(ks[p])])
		} else {
			wp = weigh(ws, lp, ks[p:p+1], m, scale)
		}
		above += s + wp
		if above >= target {
			return p + 1
		}
		lo = p + 1
	}
	if !known {
		weigh(ws, lp, ks[lo:hi], m, scale)
	}
	// Keys are distinct, so the descending sort is unique: the same order
	// as sortPairs.
	slices.SortFunc(ks[lo:hi], func(a, b uint64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	for i := lo; i < hi; i++ {
		above += float64(ws[keyID(ks[i])])
		if above >= target {
			return i + 1
		}
	}
	// Only rounding (block sums versus running sums) can end here with
	// hi < len(ks); the boundary is then the end of the range.
	return hi
}

// cutByMassRef is the specification: sort, then the shortest prefix whose
// running sum reaches target.
func cutByMassRef(ps []pair, ws []float32, target float64) int {
	sortPairs(ps)
	s := 0.0
	for i, q := range ps {
		s += float64(ws[q.id])
		if s >= target {
			return i + 1
		}
	}
	return len(ps)
}
