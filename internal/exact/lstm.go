package exact

import "github.com/autoreg/autoreg/internal/kernels"

// LSTMCell is one step of the LSTM cell (Hochreiter and Schmidhuber 1997,
// with the forget gate of Gers et al. 2000) for H = len(h) units, gate
// order [i f g o]. gates (4H) holds the pre-activations on entry (W·x +
// U·h + b, however the caller sums them) and the activations on return,
// which LSTMCellBackward needs:
//
//	gates = [ExactSigmoid(i), ExactSigmoid(f), ExactTanh(g), ExactSigmoid(o)]
//	c[j]     = float32(σf·cPrev[j]) + float32(σi·tanh g)
//	tanhC[j] = ExactTanh(c[j])
//	h[j]     = float32(σo·tanhC[j])
//
// h, c, tanhC and cPrev have H elements; c may alias cPrev.
func LSTMCell(h, c, tanhC, gates, cPrev []float32) {
	H := len(h)
	need("LSTMCell", "c, tanhC, cPrev", H, len(c), len(tanhC), len(cPrev))
	need("LSTMCell", "gates", 4*H, len(gates))
	kernels.ExactSigmoidSlice(gates[:2*H], gates[:2*H])
	kernels.ExactTanhSlice(gates[2*H:3*H], gates[2*H:3*H])
	kernels.ExactSigmoidSlice(gates[3*H:], gates[3*H:])
	ig, fg, gg := gates[:H], gates[H:2*H], gates[2*H:3*H]
	for j := range H {
		c[j] = float32(fg[j]*cPrev[j]) + float32(ig[j]*gg[j])
	}
	kernels.ExactTanhSlice(tanhC, c)
	og := gates[3*H:]
	for j := range H {
		h[j] = float32(og[j] * tanhC[j])
	}
}

// LSTMCellBackward sets the pre-activation gradients dgates (4H, layout of
// gates) and the previous cell state's gradient dcPrev (H) of one
// LSTMCell step, given dh (H), the gradient reaching h, and dc (H, nil for
// none), the gradient reaching c from the next step; gates, cPrev and
// tanhC are the forward's. Per unit, with σi, σf, tanh g, σo the
// activations:
//
//	d  = float32(float32(dh·σo)·(1 − float32(tanhC²))) + dc   (no addition for a nil dc)
//	di = float32(float32(d·tanh g)·σi)·(1 − σi)
//	df = float32(float32(d·cPrev)·σf)·(1 − σf)
//	dg = float32(d·σi)·(1 − float32(tanh g²))
//	do = float32(float32(dh·tanhC)·σo)·(1 − σo)
//	dcPrev = float32(d·σf)
//
// each product and difference rounded to float32 in the order written.
// dcPrev may alias dc.
func LSTMCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32) {
	H := len(dh)
	need("LSTMCellBackward", "dcPrev, cPrev, tanhC", H, len(dcPrev), len(cPrev), len(tanhC))
	need("LSTMCellBackward", "gates, dgates", 4*H, len(gates), len(dgates))
	if dc != nil {
		need("LSTMCellBackward", "dc", H, len(dc))
	}
	ig, fg, gg, og := gates[:H], gates[H:2*H], gates[2*H:3*H], gates[3*H:4*H]
	di, df, dg, do := dgates[:H], dgates[H:2*H], dgates[2*H:3*H], dgates[3*H:4*H]
	dh, cPrev, tanhC, dcPrev = dh[:H], cPrev[:H], tanhC[:H], dcPrev[:H]
	for j := range H {
		i, f, g, o, tc := ig[j], fg[j], gg[j], og[j], tanhC[j]
		d := float32(float32(dh[j]*o) * (1 - float32(tc*tc)))
		if dc != nil {
			d += dc[j]
		}
		di[j] = float32(float32(d*g)*i) * (1 - i)
		df[j] = float32(float32(d*cPrev[j])*f) * (1 - f)
		dg[j] = float32(d*i) * (1 - float32(g*g))
		do[j] = float32(float32(dh[j]*tc)*o) * (1 - o)
		dcPrev[j] = float32(d * f)
	}
}
