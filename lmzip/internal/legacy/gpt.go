package legacy

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// GPT is revision 1 of the adaptive mode's transformer predictor
// (online.GPT is the current one), with its own LayerNorm (sums in index
// order), GELU (the tanh form; Block.Act keeps tanh of its argument),
// attention softmax and backward pass, on the state and window policy
// both revisions share (online.GPTCore).
type GPT struct {
	*online.GPTCore
	tmp []float32 // the largest parameter's size
}

// NewGPT makes a model of width d (a multiple of 32), heads heads (each
// d/heads wide), layers blocks, a window of w bytes (even), and Adam rate
// lr.
func NewGPT(d, heads, layers, w int, lr float32) *GPT {
	m := &GPT{GPTCore: online.NewGPTCore(d, heads, layers, w, lr), tmp: make([]float32, max(256*d, 4*d*d))}
	m.push(0) // a zero byte stands before the data
	return m
}

// Update learns that byte c followed and predicts the next one.
func (m *GPT) Update(c byte) { m.Learn(c, m.backward, m.push) }

// layerNorm sets xhat = (x − mean)/√(var + 10⁻⁵) and y = xhat·g + b,
// returning 1/√(var + 10⁻⁵); sums in index order.
func layerNorm(y, xhat, x, g, b []float32) float32 {
	n := float32(len(x))
	var s float32
	for _, v := range x {
		s += v
	}
	mean := s / n
	var ss float32
	for _, v := range x {
		dv := v - mean
		ss += float32(dv * dv)
	}
	rstd := 1 / float32(math.Sqrt(float64(ss/n+1e-5)))
	for i, v := range x {
		xhat[i] = float32((v - mean) * rstd)
		y[i] = float32(xhat[i]*g[i]) + b[i]
	}
	return rstd
}

// layerNormBack adds to dx the gradient through layerNorm given dy, and
// accumulates the gain's and bias's gradients.
func layerNormBack(dx, dy, xhat []float32, rstd float32, g, dg, db []float32) {
	n := float32(len(dy))
	var s1, s2 float32
	for i, v := range dy {
		dxh := float32(v * g[i])
		s1 += dxh
		s2 += float32(dxh * xhat[i])
		dg[i] += float32(v * xhat[i])
		db[i] += v
	}
	m1, m2 := s1/n, s2/n
	for i, v := range dy {
		dxh := float32(v * g[i])
		dx[i] += float32(rstd * ((dxh - m1) - float32(xhat[i]*m2)))
	}
}

const (
	geluC = 0.7978845608028654 // √(2/π)
	geluA = 0.044715
)

// GELU, GPT-2's tanh approximation: gelu(x) = x/2·(1 + tanh u) with u =
// geluArg(x) = √(2/π)(x + 0.044715x³); geluGrad is its derivative given
// th = tanh u.
func geluArg(x float32) float32 {
	return float32(geluC * (x + float32(geluA*float32(x*float32(x*x)))))
}

func geluGrad(x, th float32) float32 {
	x2 := float32(x * x)
	du := float32(geluC * (1 + float32(3*geluA*x2)))
	return float32(0.5*(1+th)) + float32(float32(float32(0.5*x)*(1-float32(th*th)))*du)
}

// push runs the forward pass for byte x at position m.N (attending to the
// cached positions before it), stores its activations, leaves the next
// byte's distribution in m.Tree and advances m.N.
func (m *GPT) push(x byte) {
	t, d, hd := m.N, m.D, m.HD
	m.Inputs[t] = x
	row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
	h := row(m.Blocks[0].XIn, d)
	if m.Layers == 0 {
		h = row(m.Xfin, d)
	}
	te, pe := m.Tok.W[int(x)*d:(int(x)+1)*d], m.Pos.W[t*d:(t+1)*d]
	for i := range h {
		h[i] = te[i] + pe[i]
	}
	for li := range m.Blocks {
		l := &m.Blocks[li]
		xin := row(l.XIn, d)
		a1 := row(l.A1, d)
		l.Rstd1[t] = layerNorm(a1, row(l.Xhat1, d), xin, l.Ln1G.W, l.Ln1B.W)
		qkv := row(l.QKVs, 3*d)
		kernels.ExactMatVec(qkv, l.QKV.W, a1)
		kernels.ExactAxpy(1, l.BQKV.W, qkv)
		o := row(l.O, d)
		clear(o)
		for hh := 0; hh < m.Heads; hh++ {
			q := qkv[hh*hd : (hh+1)*hd]
			att := l.Att[(hh*m.W+t)*m.W : (hh*m.W+t)*m.W+t+1]
			mx := float32(math.Inf(-1))
			for j := 0; j <= t; j++ {
				k := l.QKVs[j*3*d+d+hh*hd : j*3*d+d+(hh+1)*hd]
				att[j] = float32(kernels.ExactDot(q, k) * m.Scale)
				if att[j] > mx {
					mx = att[j]
				}
			}
			for j := range att {
				att[j] -= mx
			}
			kernels.ExactExpSlice(att, att)
			var sum float32
			for _, a := range att {
				sum += a
			}
			oh := o[hh*hd : (hh+1)*hd]
			for j := range att {
				att[j] /= sum
				v := l.QKVs[j*3*d+2*d+hh*hd : j*3*d+2*d+(hh+1)*hd]
				kernels.ExactAxpy(att[j], v, oh)
			}
		}
		x2 := row(l.X2, d)
		kernels.ExactMatVec(x2, l.Proj.W, o)
		for i := range x2 {
			x2[i] = (x2[i] + l.BProj.W[i]) + xin[i]
		}
		c := row(l.C, d)
		l.Rstd2[t] = layerNorm(c, row(l.Xhat2, d), x2, l.Ln2G.W, l.Ln2B.W)
		f, gf := row(l.F, 4*d), row(l.GF, 4*d)
		kernels.ExactMatVec(f, l.FC.W, c)
		th := row(l.Act, 4*d)
		for i := range f {
			f[i] += l.BFC.W[i]
			th[i] = geluArg(f[i])
		}
		kernels.ExactTanhSlice(th, th)
		for i, x := range f {
			gf[i] = float32(0.5*x) * (1 + th[i])
		}
		next := row(m.Xfin, d)
		if li+1 < m.Layers {
			next = row(m.Blocks[li+1].XIn, d)
		}
		kernels.ExactMatVec(next, l.Out.W, gf)
		for i := range next {
			next[i] = (next[i] + l.BOut.W[i]) + x2[i]
		}
	}
	xf := row(m.Xf, d)
	m.RstdF[t] = layerNorm(xf, row(m.XhatF, d), row(m.Xfin, d), m.LnfG.W, m.LnfB.W)
	logits := m.DLog[t*256 : (t+1)*256] // scratch until backward
	kernels.ExactMatVec(logits, m.Tok.W, xf)
	softmaxTree(row(m.Probs, 256), logits, &m.Tree)
	m.N++
}

// backward sets the gradients of the window's coding loss, Σₜ −ln pₜ(next
// byte), given c, the byte that followed the last position.
func (m *GPT) backward(c byte) {
	w, d, hd := m.W, m.D, m.HD
	for t := 0; t < w; t++ {
		target := c
		if t+1 < w {
			target = m.Inputs[t+1]
		}
		dl := m.DLog[t*256 : (t+1)*256]
		copy(dl, m.Probs[t*256:(t+1)*256])
		dl[target] -= 1
	}
	for li := range m.Blocks {
		clear(m.Blocks[li].DQKV)
	}
	for t := w - 1; t >= 0; t-- {
		row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
		// Output layer (tied to the embedding) and the final LayerNorm.
		clear(m.DTmp)
		kernels.ExactMatTVecAdd(m.DTmp, m.Tok.W, m.DLog[t*256:(t+1)*256])
		dcur := m.DCur // the gradient at the current block's output
		clear(dcur)
		layerNormBack(dcur, m.DTmp, row(m.XhatF, d), m.RstdF[t], m.LnfG.W, m.LnfG.G, m.LnfB.G)
		for li := m.Layers - 1; li >= 0; li-- {
			l := &m.Blocks[li]
			// MLP: next = out·gelu(fc·c + bfc) + bout + x2.
			dm := row(l.DM, d)
			copy(dm, dcur)
			dh4 := m.DH4
			clear(dh4)
			kernels.ExactMatTVecAdd(dh4, l.Out.W, dm)
			f, th, df := row(l.F, 4*d), row(l.Act, 4*d), row(l.DF, 4*d)
			for i := range df {
				df[i] = float32(dh4[i] * geluGrad(f[i], th[i]))
			}
			clear(m.DTmp)
			kernels.ExactMatTVecAdd(m.DTmp, l.FC.W, df)
			dx2 := dcur // the residual passes dcur on
			layerNormBack(dx2, m.DTmp, row(l.Xhat2, d), l.Rstd2[t], l.Ln2G.W, l.Ln2G.G, l.Ln2B.G)
			// Attention: x2 = proj·o + bproj + xin.
			copy(row(l.DY, d), dx2)
			do := m.DX
			clear(do)
			kernels.ExactMatTVecAdd(do, l.Proj.W, dx2)
			dq := row(l.DQKV, 3*d)
			q := row(l.QKVs, 3*d)
			for hh := 0; hh < m.Heads; hh++ {
				doh := do[hh*hd : (hh+1)*hd]
				att := l.Att[(hh*w+t)*w : (hh*w+t)*w+t+1]
				dp := m.DP[:t+1]
				var s float32
				for j := range att {
					v := l.QKVs[j*3*d+2*d+hh*hd : j*3*d+2*d+(hh+1)*hd]
					dp[j] = kernels.ExactDot(doh, v)
					s += float32(att[j] * dp[j])
					kernels.ExactAxpy(att[j], doh, l.DQKV[j*3*d+2*d+hh*hd:j*3*d+2*d+(hh+1)*hd])
				}
				qh := q[hh*hd : (hh+1)*hd]
				dqh := dq[hh*hd : (hh+1)*hd]
				for j := range att {
					ds := float32(float32(att[j]*(dp[j]-s)) * m.Scale)
					k := l.QKVs[j*3*d+d+hh*hd : j*3*d+d+(hh+1)*hd]
					kernels.ExactAxpy(ds, k, dqh)
					kernels.ExactAxpy(ds, qh, l.DQKV[j*3*d+d+hh*hd:j*3*d+d+(hh+1)*hd])
				}
			}
			clear(m.DTmp)
			kernels.ExactMatTVecAdd(m.DTmp, l.QKV.W, dq)
			layerNormBack(dcur, m.DTmp, row(l.Xhat1, d), l.Rstd1[t], l.Ln1G.W, l.Ln1G.G, l.Ln1B.G)
		}
		// Embeddings: h = tok[x] + pos[t].
		x := int(m.Inputs[t])
		kernels.ExactAxpy(1, dcur, m.Tok.G[x*d:(x+1)*d])
		kernels.ExactAxpy(1, dcur, m.Pos.G[t*d:(t+1)*d])
	}
	// Weight gradients: sums over positions of outer products.
	m.outerAdd(&m.Tok, m.DLog, m.Xf)
	for li := range m.Blocks {
		l := &m.Blocks[li]
		m.outerAdd(&l.Out, l.DM, l.GF)
		m.outerAdd(&l.FC, l.DF, l.C)
		m.outerAdd(&l.Proj, l.DY, l.O)
		m.outerAdd(&l.QKV, l.DQKV, l.A1)
		for t := 0; t < w; t++ {
			kernels.ExactAxpy(1, l.DM[t*d:(t+1)*d], l.BOut.G)
			kernels.ExactAxpy(1, l.DF[t*4*d:(t+1)*4*d], l.BFC.G)
			kernels.ExactAxpy(1, l.DY[t*d:(t+1)*d], l.BProj.G)
			kernels.ExactAxpy(1, l.DQKV[t*3*d:(t+1)*3*d], l.BQKV.G)
		}
	}
}

// outerAdd adds Σₜ a[t]·b[t]ᵀ to q's gradient, through a scratch matrix
// (the outer sum starts from zero; the output matrix's gradient already
// holds the embedding's).
func (m *GPT) outerAdd(q *online.Param, a, b []float32) {
	tmp := m.tmp[:len(q.G)]
	kernels.ExactOuterSum(tmp, a, b, m.W)
	kernels.ExactAxpy(1, tmp, q.G)
}
