package exact

import "github.com/autoreg/autoreg/internal/kernels"

// GRUCell is one step of the gated recurrent unit (Cho et al. 2014) for
// H = len(h) units, in the form cuDNN and PyTorch use (the reset gate
// multiplies the hidden product after the matrix multiply), blocks
// [r z n]. xg (3H) = W·x + b_W and hg (3H) = U·hPrev + b_U are the input
// and hidden pre-activations; gates (3H) receives the activations for
// GRUCellBackward:
//
//	r = ExactSigmoid(xr + hr),  z = ExactSigmoid(xz + hz)
//	n = ExactTanh(xn + float32(r·hn))
//	h = float32((1 − z)·n) + float32(z·hPrev)
//
// gates may alias xg, h may alias hPrev.
func GRUCell(h, gates, xg, hg, hPrev []float32) {
	H := len(h)
	need("GRUCell", "hPrev", H, len(hPrev))
	need("GRUCell", "gates, xg, hg", 3*H, len(gates), len(xg), len(hg))
	for j := range 2 * H {
		gates[j] = xg[j] + hg[j]
	}
	kernels.ExactSigmoidSlice(gates[:2*H], gates[:2*H])
	for j := range H {
		gates[2*H+j] = xg[2*H+j] + float32(gates[j]*hg[2*H+j])
	}
	kernels.ExactTanhSlice(gates[2*H:], gates[2*H:])
	zg, ng := gates[H:2*H], gates[2*H:]
	for j := range H {
		h[j] = float32((1-zg[j])*ng[j]) + float32(zg[j]*hPrev[j])
	}
}

// GRUCellBackward sets the gradients of one GRUCell step, given dh (H), the
// gradient reaching h; gates, hg and hPrev are the forward's. Per unit,
// with r, z, n the activations:
//
//	dn = float32(float32(dh·(1 − z))·(1 − float32(n²)))
//	dz = float32(float32(dh·(hPrev − n))·z)·(1 − z)
//	dr = float32(float32(dn·hn)·r)·(1 − r)
//	dxg = [dr, dz, dn],  dhg = [dr, dz, float32(dn·r)],  dhPrev = float32(dh·z)
//
// each difference and product rounded in the order written. dhPrev is the
// direct path only: the caller adds Uᵀ·dhg. dhPrev may alias dh.
func GRUCellBackward(dxg, dhg, dhPrev, dh, gates, hg, hPrev []float32) {
	H := len(dh)
	need("GRUCellBackward", "dhPrev, hPrev", H, len(dhPrev), len(hPrev))
	need("GRUCellBackward", "dxg, dhg, gates, hg", 3*H, len(dxg), len(dhg), len(gates), len(hg))
	for j := range H {
		d := dh[j]
		r, z, n := gates[j], gates[H+j], gates[2*H+j]
		dn := float32(float32(d*(1-z)) * (1 - float32(n*n)))
		dz := float32(float32(d*(hPrev[j]-n))*z) * (1 - z)
		dr := float32(float32(dn*hg[2*H+j])*r) * (1 - r)
		dxg[j], dxg[H+j], dxg[2*H+j] = dr, dz, dn
		dhg[j], dhg[H+j], dhg[2*H+j] = dr, dz, float32(dn*r)
		dhPrev[j] = float32(d * z)
	}
}
