package decode

import (
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
	pv := ps[n-1]
	i := 0
	for j := 0; j < n-1; j++ {
		if better(ps[j], pv) {
			ps[i], ps[j] = ps[j], ps[i]
			i++
		}
	}
	ps[i], ps[n-1] = ps[n-1], ps[i]
	return i
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
