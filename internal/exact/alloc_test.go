package exact

import (
	"math/rand/v2"
	"testing"
)

// TestNoAllocations: no piece allocates, forward or backward (the exact
// states' Append and the online networks' steps allocate nothing).
func TestNoAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	const H, n = 40, 7
	v := func(k int) []float32 { return normals(r, k, 1) }
	x, w, b, out, dx, dw := v(H), v(4*H*H), v(4*H), v(4*H), v(H), v(4*H*H)
	gates, c, tc, h, cp := v(4*H), v(H), v(H), v(H), v(H)
	hg, g3, xhat, sig, tmp := v(3*H), v(3*H), v(H), v(H), v(H)
	q, k, vv, p, dp := v(H), v(n*H), v(n*H), v(n), v(n)
	allocs := testing.AllocsPerRun(20, func() {
		Linear(out, x, w, b, 1, H, 4*H)
		LinearBackwardInput(dx, out, w, 1, H, 4*H)
		LinearBackwardParams(dw, b, out, x, 1, H, 4*H)
		Add(out, b)
		LSTMCell(h, c, tc, gates, cp)
		LSTMCellBackward(out, cp, h, c, gates, cp, tc)
		GRUCell(h, g3, hg, hg, cp)
		GRUCellBackward(hg, g3, cp, h, g3, hg, cp)
		rs := LayerNorm(h, xhat, x, c, cp, 1e-5)
		LayerNormBackward(dx, c, cp, h, xhat, c, rs, tmp)
		GELU(h, sig, x)
		GELU(h, nil, x)
		GELUBackward(dx, h, x, sig)
		GatedTanh(h, tc, sig, x, c)
		GatedTanhBackward(dx, tmp, h, tc, sig)
		Softmax(x)
		LogSoftmax(h, x)
		SoftmaxBackward(dx, x, h)
		CrossEntropyBackward(dx, x, 3)
		AttentionStep(h, p, q, k, vv, H, 0.5)
		AttentionStepBackward(dx, k, vv, dp, h, p, q, k, vv, H, 0.5)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of every piece", allocs)
	}
}
