//go:build !noasm

package kernels

//go:noescape
func exactDotAVX2(x, y *float32, n int) float32

//go:noescape
func exactMatVecAVX2(dst, w, x *float32, rows, cols int)

//go:noescape
func exactAxpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func exactAdamAVX2(p, gr, m, v *float32, n int, a *exactAdamArgs)

//go:noescape
func exactMatTVecAddAVX2(dst, w, gv *float32, rows, cols int)

//go:noescape
func exactOuterSumAVX2(dst, a, b *float32, steps, rows, cols int)

//go:noescape
func exactExpAVX2(dst, src *float32, n int)

//go:noescape
func exactSigmoidAVX2(dst, src *float32, n int)

//go:noescape
func exactTanhAVX2(dst, src *float32, n int)
