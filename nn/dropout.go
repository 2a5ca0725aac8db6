package nn

import "math/rand/v2"

// DropoutForward applies inverted dropout with probability p: each element
// is zeroed with probability p and the survivors are scaled by 1/(1−p), so
// nothing changes at inference. mask (same length as inp) receives the
// per-element factor (0 or 1/(1−p)) for the backward pass. The draws come
// from rng in element order, 16 bits each (four per Uint64), so a run is
// reproduced exactly from the generator's state. out may alias inp. With
// p == 0 it copies and fills mask with ones.
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
	keep := float32(1 / (1 - p))
	thr := uint64(p * 65536)
	var bits uint64
	for i := range inp {
		if i&3 == 0 {
			bits = rng.Uint64()
		}
		m := keep
		if bits&0xffff < thr {
			m = 0
		}
		bits >>= 16
		mask[i] = m
		out[i] = inp[i] * m
	}
}

// DropoutBackward accumulates dinp += dout⊙mask.
func DropoutBackward(dinp, dout, mask []float32) {
	n := len(dout)
	dinp, mask = dinp[:n], mask[:n]
	for i, d := range dout {
		dinp[i] += d * mask[i]
	}
}
