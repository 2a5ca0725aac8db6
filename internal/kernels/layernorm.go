package kernels

import (
	"fmt"
	"math"
	"sync"
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
	if g := rowGrain(cols); rows > g {
		Parallel(rows, g, func(lo, hi int) { layerNormRows(out, mean, rstd, inp, weight, bias, cols, eps, lo, hi) })
		return
	}
	layerNormRows(out, mean, rstd, inp, weight, bias, cols, eps, 0, rows)
}

func layerNormRows(out, mean, rstd, inp, weight, bias []float32, cols int, eps float32, lo, hi int) {
	for r := lo; r < hi; r++ {
		m, s := layerNormRow(out[r*cols:(r+1)*cols], inp[r*cols:(r+1)*cols], weight[:cols], bias, eps)
		if mean != nil {
			mean[r] = m
		}
		if rstd != nil {
			rstd[r] = s
		}
	}
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
// dbias may be nil (no bias). One pass over the rows: the rows are cut in
// fixed blocks of lnBlock; each block updates its rows of dinp and sums its
// rows' terms of dweight and dbias into partial sums of its own, which are
// added to dweight and dbias in block order, so the result does not depend
// on GOMAXPROCS.
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, rows, cols int) {
	LayerNormBackwardSum(dinp, dweight, dbias, nil, dout, inp, weight, mean, rstd, rows, cols)
}

// LayerNormBackwardSum is LayerNormBackward that also accumulates, when
// dsum (cols) is not nil, the column sums of dinp after its update:
// dsum[j] += Σ_r dinp[r,j]. That is the bias gradient of a linear layer
// whose output feeds the LayerNorm's input (a residual stream's gradient),
// summed while the rows are in cache instead of in a second pass. The
// sums are blocked like dweight's; dinp, dweight and dbias come out as
// LayerNormBackward computes them.
func LayerNormBackwardSum(dinp, dweight, dbias, dsum, dout, inp, weight, mean, rstd []float32, rows, cols int) {
	checkRows("LayerNormBackward", rows, cols, len(dinp), len(dout), len(inp))
	if len(weight) < cols || len(dweight) < cols || (dbias != nil && len(dbias) < cols) ||
		(dsum != nil && len(dsum) < cols) || len(mean) < rows || len(rstd) < rows {
		panic(fmt.Sprintf("kernels: LayerNormBackward: short weight/dweight/dbias/dsum/mean/rstd for %d×%d", rows, cols))
	}
	if cols == 0 || rows == 0 {
		return
	}
	blocks := (rows + lnBlock - 1) / lnBlock
	// Per block: partial dweight, dbias and dsum.
	buf := lnPool.Get().(*[]float32)
	part := *buf
	if cap(part) < 3*blocks*cols {
		part = make([]float32, 3*blocks*cols)
	}
	part = part[:3*blocks*cols]
	clear(part)
	body := func(lo, hi int) {
		for b := lo; b < hi; b++ {
			pw := part[3*b*cols : (3*b+1)*cols]
			pb := part[(3*b+1)*cols : (3*b+2)*cols]
			ps := part[(3*b+2)*cols : (3*b+3)*cols]
			for r := b * lnBlock; r < min((b+1)*lnBlock, rows); r++ {
				di, d, x := dinp[r*cols:(r+1)*cols], dout[r*cols:(r+1)*cols], inp[r*cols:(r+1)*cols]
				layerNormBackwardRow(di, d, x, weight[:cols], mean[r], rstd[r])
				layerNormDWRow(pw, pb, d, x, mean[r], rstd[r])
				if dsum != nil {
					Axpy(1, di, ps)
				}
			}
		}
	}
	if blocks > 1 && rows*cols > 1<<14 {
		// About four hand-offs per worker: a block is a few microseconds
		// of work, and one hand-off per block cost more than the second
		// core gained (2048×256: 189 µs with one block per hand-off,
		// 100–125 with eight; one core: 218).
		Parallel(blocks, max(1, blocks/(4*maxProcs())), body)
	} else {
		body(0, blocks)
	}
	for b := range blocks {
		Axpy(1, part[3*b*cols:(3*b+1)*cols], dweight[:cols])
		if dbias != nil {
			Axpy(1, part[(3*b+1)*cols:(3*b+2)*cols], dbias[:cols])
		}
		if dsum != nil {
			Axpy(1, part[(3*b+2)*cols:(3*b+3)*cols], dsum[:cols])
		}
	}
	*buf = part
	lnPool.Put(buf)
}

// lnBlock is the row block of LayerNormBackward's column sums: small
// enough that the partial sums stay accurate and the rows spread over the
// workers, large enough that adding the partials costs little.
const lnBlock = 32

// lnPool recycles LayerNormBackward's partial sums (no allocation per
// training step).
var lnPool = sync.Pool{New: func() any { return new([]float32) }}

// layerNormDWRow accumulates one row's terms: dw += x̂·dout, db += dout.
func layerNormDWRow(dw, db, d, x []float32, mu, s float32) {
	n := len(dw)
	d, x, db = d[:n], x[:n], db[:n]
	switch {
	case useAVX512:
		lnDWeightAVX512(dw, db, d, x, mu, s)
	case useAVX2:
		lnDWeightAVX2(dw, db, d, x, mu, s)
	default:
		for j := range dw {
			dw[j] += (x[j] - mu) * s * d[j]
			db[j] += d[j]
		}
	}
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
