package nn

import (
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/kernels"
)

// Dropout masks are drawn by a counter-based generator: one Uint64 from
// the caller's rng is the key, and the 64 random bits of element group g
// (elements 4g..4g+3, 16 bits each) are mix64(key + g·γ), the SplitMix64
// output function (γ its odd increment). A group's bits depend only on the
// key and g, so large masks are filled in parallel chunks, the result is
// the same for any GOMAXPROCS, and a run is reproduced exactly from the
// rng's state (which advances by one draw per mask).

const splitMixGamma = 0x9e3779b97f4a7c15

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// dropoutGrain is the chunk (a multiple of 4) of mask elements per worker
// hand-off.
const dropoutGrain = 1 << 14

// dropoutFill sets mask[i] (and out[i] = inp[i]·mask[i] when inp is not
// nil) for i in [lo, hi), lo a multiple of 4. The keep/drop choice is
// branch-free (a random branch mispredicts p of the time).
func dropoutFill(out, mask, inp []float32, key uint64, thr uint64, keep float32, lo, hi int) {
	kb := math.Float32bits(keep)
	factor := func(bits uint64) float32 {
		// All ones when the 16 bits are ≥ thr (keep), zero otherwise.
		km := ^uint32((int64(bits&0xffff) - int64(thr)) >> 63)
		return math.Float32frombits(kb & km)
	}
	for g := lo; g < hi; g += 4 {
		bits := mix64(key + uint64(g/4)*splitMixGamma)
		if g+4 <= hi {
			m := mask[g : g+4 : g+4]
			m[0], m[1], m[2], m[3] = factor(bits), factor(bits>>16), factor(bits>>32), factor(bits>>48)
			if inp != nil {
				x, o := inp[g:g+4:g+4], out[g:g+4:g+4]
				o[0], o[1], o[2], o[3] = x[0]*m[0], x[1]*m[1], x[2]*m[2], x[3]*m[3]
			}
			continue
		}
		for i := g; i < hi; i++ {
			mask[i] = factor(bits)
			bits >>= 16
			if inp != nil {
				out[i] = inp[i] * mask[i]
			}
		}
	}
}

// DropoutMask fills mask with inverted-dropout factors (0 with probability
// p, else 1/(1−p)), the mask DropoutForward would draw from rng's state.
func DropoutMask(mask []float32, p float64, rng *rand.Rand) {
	dropout(nil, mask, nil, p, rng)
}

// DropoutForward applies inverted dropout with probability p: each element
// is zeroed with probability p and the survivors are scaled by 1/(1−p), so
// nothing changes at inference. mask (same length as inp) receives the
// per-element factor (0 or 1/(1−p)) for the backward pass. The mask takes
// one draw from rng (see the counter-based generator above), so a run is
// reproduced exactly from the generator's state. out may alias inp. With
// p == 0 it copies and fills mask with ones (and draws nothing).
func DropoutForward(out, mask, inp []float32, p float64, rng *rand.Rand) {
	n := len(inp)
	out, mask = out[:n], mask[:n]
	if p <= 0 {
		copy(out, inp)
		for i := range mask {
			mask[i] = 1
		}
		return
	}
	dropout(out, mask, inp, p, rng)
}

func dropout(out, mask, inp []float32, p float64, rng *rand.Rand) {
	keep := float32(1 / (1 - p))
	thr := uint64(p * 65536)
	key := rng.Uint64()
	fill := func(lo, hi int) { dropoutFill(out, mask, inp, key, thr, keep, lo, hi) }
	if len(mask) <= dropoutGrain {
		fill(0, len(mask))
		return
	}
	kernels.Parallel(len(mask), dropoutGrain, fill)
}

// DropoutBackward accumulates dinp += dout⊙mask.
func DropoutBackward(dinp, dout, mask []float32) {
	n := len(dout)
	dinp, mask = dinp[:n], mask[:n]
	fused.ForChunks(n, func(lo, hi int) {
		for i, d := range dout[lo:hi] {
			dinp[lo+i] += d * mask[lo+i]
		}
	})
}
