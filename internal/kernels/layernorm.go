package kernels

import (
	"fmt"
	"math"
)

// LayerNorm normalizes each row of inp (rows×cols) to zero mean and unit
// variance, then applies the per-column affine map (Ba, Kiros and Hinton,
// "Layer Normalization", 2016):
//
//	out[r,j] = (inp[r,j] − μ_r)·σ_r·weight[j] + bias[j],  σ_r = 1/√(var_r + eps)
//
// with the biased variance var_r = mean((inp[r,:] − μ_r)²). mean and rstd
// (length rows) receive μ_r and σ_r for the backward pass; either may be nil
// at inference. bias may be nil (no bias). out may alias inp.
func LayerNorm(out, mean, rstd, inp, weight, bias []float32, rows, cols int, eps float32) {
	checkRows("LayerNorm", rows, cols, len(out), len(inp))
	if len(weight) < cols || (bias != nil && len(bias) < cols) ||
		(mean != nil && len(mean) < rows) || (rstd != nil && len(rstd) < rows) {
		panic(fmt.Sprintf("kernels: LayerNorm: short weight/bias/mean/rstd for %d×%d", rows, cols))
	}
	if cols == 0 {
		return
	}
	if rows == 1 {
		// One row (incremental inference): no closure, no allocation.
		m, s := layerNormRow(out[:cols], inp[:cols], weight[:cols], bias, eps)
		if mean != nil {
			mean[0] = m
		}
		if rstd != nil {
			rstd[0] = s
		}
		return
	}
	rowsPar(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			m, s := layerNormRow(out[r*cols:(r+1)*cols], inp[r*cols:(r+1)*cols], weight[:cols], bias, eps)
			if mean != nil {
				mean[r] = m
			}
			if rstd != nil {
				rstd[r] = s
			}
		}
	})
}

func layerNormRow(out, x, w, b []float32, eps float32) (mean, rstd float32) {
	n := float32(len(x))
	mean = rowSum(x) / n
	v := rowSumSqDev(x, mean) / n
	rstd = float32(1 / math.Sqrt(float64(v+eps)))
	switch {
	case b == nil:
		layerNormApplyGeneric(out, x, w, nil, mean, rstd)
	case useAVX512:
		lnApplyAVX512(out[:len(x)], x, w[:len(x)], b[:len(x)], mean, rstd)
	case useAVX2:
		lnApplyAVX2(out[:len(x)], x, w[:len(x)], b[:len(x)], mean, rstd)
	default:
		layerNormApplyGeneric(out, x, w, b[:len(x)], mean, rstd)
	}
	return mean, rstd
}

// LayerNormBackward accumulates the gradients of LayerNorm given dout and
// the mean and rstd saved by the forward pass (llm.c's formulation):
//
//	x̂ = (x−μ)σ,  g = weight⊙dout
//	dinp   += σ·(g − mean(g) − x̂·mean(g⊙x̂))
//	dweight += Σ_r dout⊙x̂,   dbias += Σ_r dout
//
// dbias may be nil (no bias). dweight and dbias are reductions over rows:
// the work is split by columns for them and by rows for dinp, and each sum
// runs in row order, so the result does not depend on GOMAXPROCS.
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, rows, cols int) {
	checkRows("LayerNormBackward", rows, cols, len(dinp), len(dout), len(inp))
	if len(weight) < cols || len(dweight) < cols || (dbias != nil && len(dbias) < cols) ||
		len(mean) < rows || len(rstd) < rows {
		panic(fmt.Sprintf("kernels: LayerNormBackward: short weight/dweight/dbias/mean/rstd for %d×%d", rows, cols))
	}
	if cols == 0 || rows == 0 {
		return
	}
	rowsPar(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			layerNormBackwardRow(dinp[r*cols:(r+1)*cols], dout[r*cols:(r+1)*cols],
				inp[r*cols:(r+1)*cols], weight[:cols], mean[r], rstd[r])
		}
	})
	// Column sums: chunks of columns, rows in order inside each.
	Parallel(cols, max(64, (1<<15)/rows), func(lo, hi int) {
		dw := dweight[lo:hi]
		for r := range rows {
			mu, s := mean[r], rstd[r]
			x := inp[r*cols+lo : r*cols+hi]
			d := dout[r*cols+lo : r*cols+hi]
			if dbias != nil && useAVX512 {
				lnDWeightAVX512(dw, dbias[lo:hi], d, x, mu, s)
				continue
			}
			if dbias != nil && useAVX2 {
				lnDWeightAVX2(dw, dbias[lo:hi], d, x, mu, s)
				continue
			}
			for j := range dw {
				dw[j] += (x[j] - mu) * s * d[j]
			}
			if dbias != nil {
				db := dbias[lo:hi]
				for j := range db {
					db[j] += d[j]
				}
			}
		}
	})
}

func layerNormBackwardRow(dinp, dout, x, w []float32, mean, rstd float32) {
	n := len(x)
	dout, x, w, dinp = dout[:n], x[:n], w[:n], dinp[:n]
	switch {
	case useAVX512:
		sg, sgx := lnBackSumsAVX512(dout, x, w, mean, rstd)
		lnBackApplyAVX512(dinp, dout, x, w, mean, rstd, sg/float32(n), sgx/float32(n))
		return
	case useAVX2:
		sg, sgx := lnBackSumsAVX2(dout, x, w, mean, rstd)
		lnBackApplyAVX2(dinp, dout, x, w, mean, rstd, sg/float32(n), sgx/float32(n))
		return
	}
	var sg, sgx float32 // Σ g, Σ g·x̂
	for j := range x {
		g := w[j] * dout[j]
		sg += g
		sgx += g * (x[j] - mean) * rstd
	}
	mg := sg / float32(n)
	mgx := sgx / float32(n)
	for j := range x {
		xh := (x[j] - mean) * rstd
		dinp[j] += rstd * (w[j]*dout[j] - mg - xh*mgx)
	}
}

func rowSum(x []float32) float32 {
	switch {
	case useAVX512:
		return sumAVX512(x)
	case useAVX2:
		return sumAVX2(x)
	}
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func rowSumSqDev(x []float32, m float32) float32 {
	switch {
	case useAVX512:
		return sumSqDevAVX512(x, m)
	case useAVX2:
		return sumSqDevAVX2(x, m)
	}
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := x[i]-m, x[i+1]-m, x[i+2]-m, x[i+3]-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

func layerNormApplyGeneric(out, x, w, b []float32, mean, rstd float32) {
	out, w = out[:len(x)], w[:len(x)]
	if b == nil {
		for j, v := range x {
			out[j] = (v - mean) * rstd * w[j]
		}
		return
	}
	b = b[:len(x)]
	for j, v := range x {
		out[j] = (v-mean)*rstd*w[j] + b[j]
	}
}
