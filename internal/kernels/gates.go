package kernels

import "fmt"

// Fused recurrent-cell leaves. The matrix products of a recurrent layer
// (W·x for all time steps at once, U·h one step at a time) go through
// Sgemm; these functions do everything between two products for one time
// step of a batch, in one pass over memory. Rows are spread over the
// worker pool (each row's arithmetic is fixed: no result depends on
// GOMAXPROCS).

func checkCell(fn string, rows, hidden, gates int, lens ...int) {
	if rows < 0 || hidden < 0 {
		panic(fmt.Sprintf("kernels: %s: negative shape %d×%d", fn, rows, hidden))
	}
	for i, l := range lens {
		want := rows * hidden
		if i == 0 {
			want *= gates
		}
		if l < want {
			panic(fmt.Sprintf("kernels: %s: argument %d has length %d < %d", fn, i, l, want))
		}
	}
}

// LSTMCell is the LSTM cell update (Hochreiter and Schmidhuber 1997, with
// the forget gate of Gers et al. 2000) for rows×hidden units.
//
// gates (rows×4H) holds on entry, per row, the pre-activations of the four
// gates in the order [i f g o] (input, forget, cell candidate, output), i.e.
// W·x + U·h + b; on return it holds their activations σ(i), σ(f), tanh(g),
// σ(o), which LSTMCellBackward needs. Then, elementwise,
//
//	c = σ(f)⊙cPrev + σ(i)⊙tanh(g),  tanhC = tanh(c),  h = σ(o)⊙tanhC
//
// h, c, tanhC and cPrev are rows×H; c may alias cPrev.
func LSTMCell(h, c, tanhC, gates, cPrev []float32, rows, hidden int) {
	checkCell("LSTMCell", rows, hidden, 4, len(gates), len(h), len(c), len(tanhC), len(cPrev))
	H := hidden
	if g := rowGrain(4 * hidden); rows > g {
		Parallel(rows, g, func(lo, hi int) { lstmRows(h, c, tanhC, gates, cPrev, H, lo, hi) })
		return
	}
	lstmRows(h, c, tanhC, gates, cPrev, H, 0, rows)
}

func lstmRows(h, c, tanhC, gates, cPrev []float32, H int, lo, hi int) {
	for r := lo; r < hi; r++ {
		g := gates[r*4*H : (r+1)*4*H]
		Sigmoid(g[:2*H], g[:2*H])
		Tanh(g[2*H:3*H], g[2*H:3*H])
		Sigmoid(g[3*H:], g[3*H:])
		ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		cp, cr := cPrev[r*H:(r+1)*H], c[r*H:(r+1)*H]
		for j := range H {
			cr[j] = fg[j]*cp[j] + ig[j]*gg[j]
		}
		tc := tanhC[r*H : (r+1)*H]
		Tanh(tc, cr)
		hr := h[r*H : (r+1)*H]
		for j := range H {
			hr[j] = og[j] * tc[j]
		}
	}
}

// LSTMCellBackward accumulates the gradients of one LSTMCell step. dh is
// the gradient reaching h (from the layer above and the next step's U·h),
// dc the gradient reaching c from the next step (nil means zero). gates,
// cPrev and tanhC are what LSTMCell left. It accumulates
//
//	dc' = dc + dh⊙σ(o)⊙(1−tanhC²)
//	dgates += [dc'⊙tanh(g)⊙σ(i)(1−σ(i)), dc'⊙cPrev⊙σ(f)(1−σ(f)),
//	           dc'⊙σ(i)⊙(1−tanh(g)²),   dh⊙tanhC⊙σ(o)(1−σ(o))]
//	dcPrev += dc'⊙σ(f)
//
// into dgates (rows×4H, pre-activation gradients, same layout as gates) and
// dcPrev (rows×H). dcPrev must not alias dc.
func LSTMCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, rows, hidden int) {
	lstmCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, rows, hidden, false)
}

// LSTMCellBackwardSet is LSTMCellBackward except that it overwrites dgates
// and dcPrev instead of accumulating into them (the values accumulated into
// zeros, a zero possibly keeping its sign; no pass to clear them first).
func LSTMCellBackwardSet(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, rows, hidden int) {
	lstmCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, rows, hidden, true)
}

func lstmCellBackward(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, rows, hidden int, set bool) {
	if dc == nil {
		checkCell("LSTMCellBackward", rows, hidden, 4, len(dgates), len(dcPrev), len(dh), len(cPrev), len(tanhC), len(gates)/4)
	} else {
		checkCell("LSTMCellBackward", rows, hidden, 4, len(dgates), len(dcPrev), len(dh), len(dc), len(cPrev), len(tanhC), len(gates)/4)
	}
	H := hidden
	if g := rowGrain(4 * hidden); rows > g {
		Parallel(rows, g, func(lo, hi int) { lstmBackwardRows(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, H, lo, hi, set) })
		return
	}
	lstmBackwardRows(dgates, dcPrev, dh, dc, gates, cPrev, tanhC, H, 0, rows, set)
}

func lstmBackwardRows(dgates, dcPrev, dh, dc, gates, cPrev, tanhC []float32, H int, lo, hi int, set bool) {
	if (useAVX2 || useAVX512) && H > 0 {
		// The assembly row does the loop below operation by operation.
		f := lstmBackAVX2
		switch {
		case useAVX512 && set:
			f = lstmBackSetAVX512
		case useAVX512:
			f = lstmBackAVX512
		case set:
			f = lstmBackSetAVX2
		}
		for r := lo; r < hi; r++ {
			g := gates[r*4*H : (r+1)*4*H]
			dg := dgates[r*4*H : (r+1)*4*H]
			dhr, cp, tc := dh[r*H:(r+1)*H], cPrev[r*H:(r+1)*H], tanhC[r*H:(r+1)*H]
			dcp := dcPrev[r*H : (r+1)*H]
			dcr, dcm := dhr, float32(0)
			if dc != nil {
				dcr, dcm = dc[r*H:(r+1)*H], 1
			}
			f(H, &g[0], &dg[0], &dhr[0], &dcr[0], &cp[0], &tc[0], &dcp[0], dcm)
		}
		return
	}
	for r := lo; r < hi; r++ {
		g := gates[r*4*H : (r+1)*4*H]
		dg := dgates[r*4*H : (r+1)*4*H]
		ig, fg, gg, og := g[:H], g[H:2*H], g[2*H:3*H], g[3*H:4*H]
		dig, dfg, dgg, dog := dg[:H], dg[H:2*H], dg[2*H:3*H], dg[3*H:4*H]
		dhr, cp, tc := dh[r*H:(r+1)*H], cPrev[r*H:(r+1)*H], tanhC[r*H:(r+1)*H]
		dcp := dcPrev[r*H : (r+1)*H]
		var dcr []float32
		if dc != nil {
			dcr = dc[r*H : (r+1)*H]
		}
		if set {
			for j := range H {
				d := dhr[j] * og[j] * (1 - tc[j]*tc[j])
				if dcr != nil {
					d += dcr[j]
				}
				i, f, gv, o := ig[j], fg[j], gg[j], og[j]
				dig[j] = d * gv * i * (1 - i)
				dfg[j] = d * cp[j] * f * (1 - f)
				dgg[j] = d * i * (1 - gv*gv)
				dog[j] = dhr[j] * tc[j] * o * (1 - o)
				dcp[j] = d * f
			}
			continue
		}
		for j := range H {
			d := dhr[j] * og[j] * (1 - tc[j]*tc[j])
			if dcr != nil {
				d += dcr[j]
			}
			i, f, gv, o := ig[j], fg[j], gg[j], og[j]
			dig[j] += d * gv * i * (1 - i)
			dfg[j] += d * cp[j] * f * (1 - f)
			dgg[j] += d * i * (1 - gv*gv)
			dog[j] += dhr[j] * tc[j] * o * (1 - o)
			dcp[j] += d * f
		}
	}
}

// GRUCell is the gated recurrent unit update (Cho et al. 2014) in the
// form cuDNN and PyTorch use, where the reset gate multiplies the hidden
// product after the matrix multiply:
//
//	r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r⊙hn),  h = (1−z)⊙n + z⊙hPrev
//
// xg = W·x + b_W and hg = U·hPrev + b_U are rows×3H with blocks [r z n].
// gates (rows×3H) receives the activations [r z n] for GRUCellBackward.
// h and hPrev are rows×H; h may alias hPrev.
func GRUCell(h, gates, xg, hg, hPrev []float32, rows, hidden int) {
	checkCell("GRUCell", rows, hidden, 3, len(gates), len(h), len(hPrev), len(xg)/3, len(hg)/3)
	H := hidden
	if g := rowGrain(3 * hidden); rows > g {
		Parallel(rows, g, func(lo, hi int) { gruRows(h, gates, xg, hg, hPrev, H, lo, hi) })
		return
	}
	gruRows(h, gates, xg, hg, hPrev, H, 0, rows)
}

func gruRows(h, gates, xg, hg, hPrev []float32, H int, lo, hi int) {
	for r := lo; r < hi; r++ {
		g := gates[r*3*H : (r+1)*3*H]
		x := xg[r*3*H : (r+1)*3*H]
		hh := hg[r*3*H : (r+1)*3*H]
		Add(g[:2*H], x[:2*H], hh[:2*H])
		Sigmoid(g[:2*H], g[:2*H])
		rg, zg, ng := g[:H], g[H:2*H], g[2*H:]
		xn, hn := x[2*H:], hh[2*H:]
		for j := range H {
			ng[j] = xn[j] + rg[j]*hn[j]
		}
		Tanh(ng, ng)
		hp, hr := hPrev[r*H:(r+1)*H], h[r*H:(r+1)*H]
		for j := range H {
			hr[j] = ng[j] + zg[j]*(hp[j]-ng[j])
		}
	}
}

// GRUCellBackward accumulates the gradients of one GRUCell step given dh,
// the gradient reaching h. gates are GRUCell's activations, hg its hidden
// pre-activations, hPrev its previous state. With dn = dh⊙(1−z)⊙(1−n²):
//
//	dxg += [dr, dz, dn],  dhg += [dr, dz, dn⊙r],  dhPrev += dh⊙z
//	dz = dh⊙(hPrev−n)⊙z(1−z),  dr = dn⊙hn⊙r(1−r)
//
// dxg and dhg are rows×3H; dhPrev is rows×H and may alias dh.
func GRUCellBackward(dxg, dhg, dhPrev, dh, gates, hg, hPrev []float32, rows, hidden int) {
	checkCell("GRUCellBackward", rows, hidden, 3, len(dxg), len(dhg)/3, len(gates)/3, len(hg)/3, len(dhPrev), len(dh), len(hPrev))
	H := hidden
	if g := rowGrain(3 * hidden); rows > g {
		Parallel(rows, g, func(lo, hi int) { gruBackwardRows(dxg, dhg, dhPrev, dh, gates, hg, hPrev, H, lo, hi) })
		return
	}
	gruBackwardRows(dxg, dhg, dhPrev, dh, gates, hg, hPrev, H, 0, rows)
}

func gruBackwardRows(dxg, dhg, dhPrev, dh, gates, hg, hPrev []float32, H int, lo, hi int) {
	for r := lo; r < hi; r++ {
		g := gates[r*3*H : (r+1)*3*H]
		rg, zg, ng := g[:H], g[H:2*H], g[2*H:]
		hn := hg[r*3*H+2*H : (r+1)*3*H]
		dx := dxg[r*3*H : (r+1)*3*H]
		dhh := dhg[r*3*H : (r+1)*3*H]
		dhr, hp, dhp := dh[r*H:(r+1)*H], hPrev[r*H:(r+1)*H], dhPrev[r*H:(r+1)*H]
		for j := range H {
			d := dhr[j]
			rv, z, n := rg[j], zg[j], ng[j]
			dn := d * (1 - z) * (1 - n*n)
			dz := d * (hp[j] - n) * z * (1 - z)
			dr := dn * hn[j] * rv * (1 - rv)
			dx[j] += dr
			dx[H+j] += dz
			dx[2*H+j] += dn
			dhh[j] += dr
			dhh[H+j] += dz
			dhh[2*H+j] += dn * rv
			dhp[j] = dhp[j] + d*z
		}
	}
}
