package train

import (
	"math/rand/v2"
	"slices"
)

// bucketPool is the number of batches whose items are sorted together by
// length-bucketed batching.
const bucketPool = 50

// lengthBuckets orders n items (pairs, sentences) into one epoch's batches
// of B: it shuffles them with rng, stably sorts each pool of bucketPool·B
// of them by byLen, cuts the pools into batches of B items of similar
// lengths (little padding) and shuffles the batches with rng. The order
// depends on rng's state alone, so an epoch's seed replays it exactly.
func lengthBuckets(n, B int, rng *rand.Rand, byLen func(a, b int32) int) [][]int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	pool := bucketPool * B
	var batches [][]int32
	for lo := 0; lo < len(idx); lo += pool {
		p := idx[lo:min(lo+pool, len(idx))]
		slices.SortStableFunc(p, byLen)
		for b := 0; b < len(p); b += B {
			batches = append(batches, p[b:min(b+B, len(p))])
		}
	}
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	return batches
}
