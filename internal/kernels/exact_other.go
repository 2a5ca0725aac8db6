//go:build noasm || !amd64

package kernels

// Without assembly useAVX2 stays false and these are never called.

func exactDotAVX2(x, y *float32, n int) float32          { panic("kernels: no assembly") }
func exactMatVecAVX2(dst, w, x *float32, rows, cols int) { panic("kernels: no assembly") }
func exactAxpyAVX2(alpha float32, x, y *float32, n int)  { panic("kernels: no assembly") }
func exactAdamAVX2(p, gr, m, v *float32, n int, a *exactAdamArgs) {
	panic("kernels: no assembly")
}

func exactMatTVecAddAVX2(dst, w, gv *float32, rows, cols int) { panic("kernels: no assembly") }

func exactOuterSumAVX2(dst, a, b *float32, steps, rows, cols int) {
	panic("kernels: no assembly")
}

func exactExpAVX2(dst, src *float32, n int)     { panic("kernels: no assembly") }
func exactSigmoidAVX2(dst, src *float32, n int) { panic("kernels: no assembly") }
func exactTanhAVX2(dst, src *float32, n int)    { panic("kernels: no assembly") }
