package exact

import "github.com/autoreg/autoreg/internal/kernels"

// GatedTanh is the gated activation unit of WaveNet and the gated PixelCNN
// (van den Oord et al. 2016): out = tanh(a)⊙σ(b), elementwise,
//
//	th[k] = ExactTanh(a[k]),  sg[k] = ExactSigmoid(b[k]),  out[k] = float32(th[k]·sg[k])
//
// th and sg receive the activations for GatedTanhBackward; out may alias
// neither (it may alias a or b).
func GatedTanh(out, th, sg, a, b []float32) {
	need("GatedTanh", "out, th, sg, b", len(a), len(out), len(th), len(sg), len(b))
	kernels.ExactTanhSlice(th, a)
	kernels.ExactSigmoidSlice(sg, b)
	for k, t := range th {
		out[k] = float32(t * sg[k])
	}
}

// GatedTanhBackward sets da and db, the gradients through GatedTanh given
// dy, with th and sg the forward's activations:
//
//	da[k] = float32(float32(dy·sg)·(1 − float32(th²)))
//	db[k] = float32(float32(dy·th)·float32(sg·(1 − sg)))
//
// da and db may alias dy, not each other.
func GatedTanhBackward(da, db, dy, th, sg []float32) {
	need("GatedTanhBackward", "da, db, th, sg", len(dy), len(da), len(db), len(th), len(sg))
	for k, d := range dy {
		t, s := th[k], sg[k]
		da[k] = float32(float32(d*s) * (1 - float32(t*t)))
		db[k] = float32(float32(d*t) * float32(s*(1-s)))
	}
}
