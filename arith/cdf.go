package arith

import (
	"math/bits"
	"sort"
)

// A CDF is a table of cumulative frequencies for n symbols: a slice of length
// n+1 with cdf[0] = 0, cdf[k+1] > cdf[k] (every symbol has a frequency of at
// least 1, so none is impossible) and cdf[n] = total ≤ MaxTotal.

// EncodeSymbol codes symbol s with the cumulative table cdf.
func (e *Encoder) EncodeSymbol(cdf []uint32, s int) {
	if s < 0 || s+1 >= len(cdf) || cdf[s+1] <= cdf[s] {
		if e.err == nil {
			e.err = ErrTotal
		}
		return
	}
	e.Encode(cdf[s], cdf[s+1]-cdf[s], cdf[len(cdf)-1])
}

// DecodeSymbol decodes one symbol coded with EncodeSymbol(cdf, s). On a
// malformed table it returns 0 and sets Err.
func (d *Decoder) DecodeSymbol(cdf []uint32) int {
	n := len(cdf) - 1
	if n < 1 || cdf[n] == 0 {
		if d.err == nil {
			d.err = ErrTotal
		}
		return 0
	}
	total := cdf[n]
	t := d.Target(total)
	// The symbol s with cdf[s] ≤ t < cdf[s+1]: the last index whose start is ≤ t.
	s := sort.Search(n, func(i int) bool { return cdf[i+1] > t })
	if s >= n || cdf[s+1] <= cdf[s] {
		if d.err == nil {
			d.err = ErrTotal
		}
		return 0
	}
	d.Consume(cdf[s], cdf[s+1]-cdf[s], total)
	return s
}

// BuildCDF turns non-negative weights (any scale; a zero weight is allowed)
// into a cumulative table in cdf, which must have length len(weights)+1, and
// returns the total. Every symbol receives a frequency of 1 plus its weight
// scaled so the total stays below 2^31: the floor keeps every symbol codable
// while costing at most len(weights)/2^30 of the probability mass. The
// computation is integer-only, hence identical on every platform.
// len(weights) must be in [1, 2^29].
func BuildCDF(cdf []uint32, weights []uint64) uint32 {
	n := len(weights)
	if n < 1 || n > 1<<29 || len(cdf) != n+1 {
		panic("arith: BuildCDF: bad lengths")
	}
	// Sum exactly if the sum fits in 64 bits, else sum the weights shifted
	// right by 32 (at most 2^29 terms of at most 2^32: no overflow).
	pre := uint(0)
	var sum uint64
	for _, w := range weights {
		var c uint64
		sum, c = bits.Add64(sum, w, 0)
		if c != 0 {
			pre = 32
			break
		}
	}
	if pre != 0 {
		sum = 0
		for _, w := range weights {
			sum += w >> pre
		}
	}
	// Shift so the scaled sum is below 2^30; since the sum of floors is at
	// most the floor of the sum, the total stays below n + 2^30 < 2^31.
	sh := pre
	if l := bits.Len64(sum); l > 30 {
		sh += uint(l - 30)
	}
	var c uint32
	cdf[0] = 0
	for i, w := range weights {
		c += 1 + uint32(w>>sh)
		cdf[i+1] = c
	}
	return c
}
