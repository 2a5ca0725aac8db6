package exact

import "github.com/autoreg/autoreg/internal/kernels"

// AttentionStep is one step of causal dot-product attention (Vaswani et
// al. 2017) for one head: the query q attends to the n = len(p) cached
// positions t = 0..n−1 (the history and the query's own position), whose
// keys and values are k_t = k[t·stride : t·stride+hs] and v_t likewise in
// v, hs = len(q):
//
//	p[t] = float32(ExactDot(q, k_t)·scale),  Softmax(p)
//	y = +0, then y += p[t]·v_t by ExactAxpy for t in increasing order
//
// p (n) receives the attention weights, which AttentionStepBackward needs;
// y has hs elements.
func AttentionStep(y, p, q, k, v []float32, stride int, scale float32) {
	hs, n := len(q), len(p)
	need("AttentionStep", "y", hs, len(y))
	if n == 0 {
		panic("exact: AttentionStep: no positions")
	}
	for t := range p {
		p[t] = float32(kernels.ExactDot(q, k[t*stride:t*stride+hs]) * scale)
	}
	Softmax(p)
	clear(y)
	for t, w := range p {
		kernels.ExactAxpy(w, v[t*stride:t*stride+hs], y)
	}
}

// AttentionStepBackward adds the gradients of one AttentionStep given dy,
// the gradient reaching y: to dq (hs), and to the keys' and values'
// gradients dk_t and dv_t, laid out as k and v (stride apart). p, q, k and
// v are the forward's; dp (n) is scratch:
//
//	dp[t] = ExactDot(dy, v_t),  dv_t += float32(p[t]·dy)   (ExactAxpy)
//	s = ExactDot(p, dp),  ds[t] = float32(float32(p[t]·(dp[t] − s))·scale)
//	dq += float32(ds[t]·k_t),  dk_t += float32(ds[t]·q)    (ExactAxpy, t in increasing order)
func AttentionStepBackward(dq, dk, dv, dp, dy, p, q, k, v []float32, stride int, scale float32) {
	hs, n := len(q), len(p)
	need("AttentionStepBackward", "dq, dy", hs, len(dq), len(dy))
	need("AttentionStepBackward", "dp", n, len(dp))
	for t, w := range p {
		dp[t] = kernels.ExactDot(dy, v[t*stride:t*stride+hs])
		kernels.ExactAxpy(w, dy, dv[t*stride:t*stride+hs])
	}
	SoftmaxBackward(dp, p, dp)
	for t := range p {
		ds := float32(dp[t] * scale)
		kernels.ExactAxpy(ds, k[t*stride:t*stride+hs], dq)
		kernels.ExactAxpy(ds, q, dk[t*stride:t*stride+hs])
	}
}
