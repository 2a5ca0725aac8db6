package exact

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
)

// LayerNorm computes the layer normalization of x (Ba, Kiros and Hinton
// 2016) into out, with n = len(x) converted to float32:
//
//	μ = ExactSum(x) / n,  d[k] = x[k] − μ,  σ² = ExactDot(d, d) / n
//	r = 1 / √(σ² + eps)       (the square root correctly rounded)
//	x̂[k] = float32(d[k]·r),  out[k] = float32(x̂[k]·w[k]) + b[k]
//
// and returns r. xhat receives x̂ for LayerNormBackward (nil: not kept); b
// may be nil (no bias). out may alias x. w, b, xhat and out have len(x)
// elements.
func LayerNorm(out, xhat, x, w, b []float32, eps float32) (rstd float32) {
	n := len(x)
	need("LayerNorm", "out, w", n, len(out), len(w))
	if b != nil {
		need("LayerNorm", "b", n, len(b))
	}
	if xhat != nil {
		need("LayerNorm", "xhat", n, len(xhat))
	}
	if n == 0 {
		return 0
	}
	fn := float32(n)
	mean := kernels.ExactSum(x) / fn
	for k, v := range x {
		out[k] = v - mean
	}
	r := 1 / float32(math.Sqrt(float64(kernels.ExactDot(out, out)/fn+eps)))
	for k, d := range out {
		xh := float32(d * r)
		if xhat != nil {
			xhat[k] = xh
		}
		out[k] = float32(xh * w[k])
	}
	if b != nil {
		Add(out, b)
	}
	return r
}

// LayerNormBackward adds the gradients of one LayerNorm row given dy, the
// gradient reaching out: to dx, and to the gain's and bias's gradients dw
// and db (nil: no bias). xhat and rstd are the forward's; tmp is scratch.
// With n = len(dy) as float32:
//
//	g[k] = float32(dy[k]·w[k])   (in tmp)
//	m1 = ExactSum(g) / n,  m2 = ExactDot(g, x̂) / n
//	dx[k] += float32(rstd·((g[k] − m1) − float32(x̂[k]·m2)))
//	dw[k] += float32(dy[k]·x̂[k]),  db[k] += dy[k]
//
// All slices have len(dy) elements.
func LayerNormBackward(dx, dw, db, dy, xhat, w []float32, rstd float32, tmp []float32) {
	n := len(dy)
	need("LayerNormBackward", "dx, dw, xhat, w, tmp", n, len(dx), len(dw), len(xhat), len(w), len(tmp))
	if n == 0 {
		return
	}
	for k, v := range dy {
		tmp[k] = float32(v * w[k])
		dw[k] += float32(v * xhat[k])
	}
	if db != nil {
		Add(db, dy)
	}
	fn := float32(n)
	m1 := kernels.ExactSum(tmp) / fn
	m2 := kernels.ExactDot(tmp, xhat) / fn
	for k, g := range tmp {
		dx[k] += float32(rstd * ((g - m1) - float32(xhat[k]*m2)))
	}
}
