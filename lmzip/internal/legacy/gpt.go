package legacy

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// GPT is revision 1 of the adaptive mode's transformer predictor
// (online.GPT is the current one), with its own LayerNorm (sums in index
// order), GELU (the tanh form), attention softmax and backward pass: a
// small GPT
// (pre-LayerNorm, learned positions, causal multi-head attention, GELU MLP,
// output tied to the byte embedding) over a window of the last w bytes,
// trained online as it codes, in the manner of NNCP. Every w/2 bytes it
// backpropagates the coding loss of the whole window (the activations of
// the incremental forward passes that made the predictions), takes one Adam
// step, and re-encodes the newest half of the window with the new weights as
// positions 0..w/2−1 (the KV cache policy of the gpt package: drop the
// oldest half). Between steps each byte costs one incremental forward pass
// with the cache.
//
// Its numerics are those of the LSTM (lstm.go): exact kernels, explicit
// float32 roundings, our own exp and tanh, so the decoder replays it bit for
// bit on any machine.
type GPT struct {
	d, heads, hd, layers, w int
	scale                   float32 // 1/√hd

	tok, pos online.Param // 256×d (also the output matrix), w×d
	lay      []gptLayer
	lnfG     online.Param
	lnfB     online.Param
	opt      online.Adam

	n      int    // positions in the cache
	inputs []byte // inputs[t] is the byte read at position t
	// Per position: the final LayerNorm's input, normalized value and
	// output, the softmax over the next byte.
	xfin, xhatF, xf []float32 // w×d
	rstdF           []float32 // w
	probs           []float32 // w×256
	tree            online.Tree

	// scratch
	dx, dtmp, dcur []float32 // d
	dh4            []float32 // 4d
	dlog           []float32 // w×256, the output layer's gradients
	dp             []float32 // w
	tmp            []float32 // the largest parameter's size
	ps             []*online.Param
}

// gptLayer holds one transformer block's parameters and, per position, the
// activations its backward pass needs.
type gptLayer struct {
	ln1G, ln1B, qkv, bqkv, proj, bproj online.Param
	ln2G, ln2B, fc, bfc, out, bout     online.Param

	xin, xhat1, a1 []float32 // w×d: block input, LN1 normalized and output
	rstd1          []float32 // w
	qkvs           []float32 // w×3d: q, k, v of each position
	att            []float32 // heads×w×w: attention weights of position t over j ≤ t
	o              []float32 // w×d: attention output (heads concatenated)
	x2, xhat2, c   []float32 // w×d: after attention; LN2 normalized and output
	rstd2          []float32 // w
	f, th, gf      []float32 // w×4d: MLP pre-GELU, tanh of GELU's argument, post-GELU

	// gradients per position, kept for the weight gradients (outer sums)
	dqkv, dy, df, dm []float32 // w×3d, w×d, w×4d, w×d
}

// params lists every parameter (built once: the Adam step runs every few
// bytes and allocates nothing).
func (m *GPT) params() []*online.Param {
	if m.ps != nil {
		return m.ps
	}
	ps := []*online.Param{&m.tok, &m.pos}
	for i := range m.lay {
		l := &m.lay[i]
		ps = append(ps, &l.ln1G, &l.ln1B, &l.qkv, &l.bqkv, &l.proj, &l.bproj, &l.ln2G, &l.ln2B, &l.fc, &l.bfc, &l.out, &l.bout)
	}
	m.ps = append(ps, &m.lnfG, &m.lnfB)
	return m.ps
}

// NewGPT makes a model of width d (a multiple of 32), heads heads (each
// d/heads wide), layers blocks, a window of w bytes (even), and Adam rate
// lr.
func NewGPT(d, heads, layers, w int, lr float32) *GPT {
	m := &GPT{d: d, heads: heads, hd: d / heads, layers: layers, w: w, opt: online.Adam{LR: lr}}
	m.scale = float32(1 / math.Sqrt(float64(m.hd)))
	seed := uint64(1000)
	param := func(rows, cols int, scale float32) online.Param {
		seed++
		return online.NewParam(rows, cols, seed, scale)
	}
	ones := func() online.Param {
		p := param(1, d, 0)
		for i := range p.W {
			p.W[i] = 1
		}
		return p
	}
	const s = 0.035 // uniform ±0.035: standard deviation 0.02, as GPT-2
	m.tok, m.pos = param(256, d, s), param(w, d, s)
	vec := func(n int) []float32 { return make([]float32, n) }
	for i := 0; i < layers; i++ {
		m.lay = append(m.lay, gptLayer{
			ln1G: ones(), ln1B: param(1, d, 0), qkv: param(3*d, d, s), bqkv: param(1, 3*d, 0),
			proj: param(d, d, s/float32(math.Sqrt(2*float64(layers)))), bproj: param(1, d, 0),
			ln2G: ones(), ln2B: param(1, d, 0), fc: param(4*d, d, s), bfc: param(1, 4*d, 0),
			out: param(d, 4*d, s/float32(math.Sqrt(2*float64(layers)))), bout: param(1, d, 0),
			xin: vec(w * d), xhat1: vec(w * d), a1: vec(w * d), rstd1: vec(w),
			qkvs: vec(w * 3 * d), att: vec(heads * w * w), o: vec(w * d),
			x2: vec(w * d), xhat2: vec(w * d), c: vec(w * d), rstd2: vec(w),
			f: vec(w * 4 * d), th: vec(w * 4 * d), gf: vec(w * 4 * d),
			dqkv: vec(w * 3 * d), dy: vec(w * d), df: vec(w * 4 * d), dm: vec(w * d),
		})
	}
	m.lnfG, m.lnfB = ones(), param(1, d, 0)
	m.inputs = make([]byte, w)
	m.xfin, m.xhatF, m.xf, m.rstdF = vec(w*d), vec(w*d), vec(w*d), vec(w)
	m.probs = vec(w * 256)
	m.dx, m.dtmp, m.dcur, m.dh4 = vec(d), vec(d), vec(d), vec(4*d)
	m.dlog, m.dp = vec(w*256), vec(w)
	m.tmp = vec(max(256*d, 4*d*d))
	m.push(0) // a zero byte stands before the data
	return m
}

// P12 returns P(next bit = 1) in 12 bits given the byte's bits so far (c0,
// with a leading 1).
func (m *GPT) P12(c0 uint32) uint32 { return m.tree.P12(c0) }

// Update learns that byte c followed and predicts the next one.
func (m *GPT) Update(c byte) {
	if m.n == m.w {
		m.backward(c)
		lr := m.opt.Next()
		for _, q := range m.params() {
			q.Step(lr)
		}
		// Keep the newest half of the window, re-encoded with the new
		// weights at positions 0..w/2−1.
		half := m.w / 2
		copy(m.inputs, m.inputs[half:])
		m.n = 0
		for t := 0; t < half; t++ {
			m.push(m.inputs[t])
		}
	}
	m.push(c)
}

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

// push runs the forward pass for byte x at position m.n (attending to the
// cached positions before it), stores its activations, leaves the next
// byte's distribution in m.tree and advances m.n.
func (m *GPT) push(x byte) {
	t, d, hd := m.n, m.d, m.hd
	m.inputs[t] = x
	row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
	h := row(m.lay[0].xin, d)
	if m.layers == 0 {
		h = row(m.xfin, d)
	}
	te, pe := m.tok.W[int(x)*d:(int(x)+1)*d], m.pos.W[t*d:(t+1)*d]
	for i := range h {
		h[i] = te[i] + pe[i]
	}
	for li := range m.lay {
		l := &m.lay[li]
		xin := row(l.xin, d)
		a1 := row(l.a1, d)
		l.rstd1[t] = layerNorm(a1, row(l.xhat1, d), xin, l.ln1G.W, l.ln1B.W)
		qkv := row(l.qkvs, 3*d)
		kernels.ExactMatVec(qkv, l.qkv.W, a1)
		kernels.ExactAxpy(1, l.bqkv.W, qkv)
		o := row(l.o, d)
		clear(o)
		for hh := 0; hh < m.heads; hh++ {
			q := qkv[hh*hd : (hh+1)*hd]
			att := l.att[(hh*m.w+t)*m.w : (hh*m.w+t)*m.w+t+1]
			mx := float32(math.Inf(-1))
			for j := 0; j <= t; j++ {
				k := l.qkvs[j*3*d+d+hh*hd : j*3*d+d+(hh+1)*hd]
				att[j] = float32(kernels.ExactDot(q, k) * m.scale)
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
				v := l.qkvs[j*3*d+2*d+hh*hd : j*3*d+2*d+(hh+1)*hd]
				kernels.ExactAxpy(att[j], v, oh)
			}
		}
		x2 := row(l.x2, d)
		kernels.ExactMatVec(x2, l.proj.W, o)
		for i := range x2 {
			x2[i] = (x2[i] + l.bproj.W[i]) + xin[i]
		}
		c := row(l.c, d)
		l.rstd2[t] = layerNorm(c, row(l.xhat2, d), x2, l.ln2G.W, l.ln2B.W)
		f, gf := row(l.f, 4*d), row(l.gf, 4*d)
		kernels.ExactMatVec(f, l.fc.W, c)
		th := row(l.th, 4*d)
		for i := range f {
			f[i] += l.bfc.W[i]
			th[i] = geluArg(f[i])
		}
		kernels.ExactTanhSlice(th, th)
		for i, x := range f {
			gf[i] = float32(0.5*x) * (1 + th[i])
		}
		next := row(m.xfin, d)
		if li+1 < m.layers {
			next = row(m.lay[li+1].xin, d)
		}
		kernels.ExactMatVec(next, l.out.W, gf)
		for i := range next {
			next[i] = (next[i] + l.bout.W[i]) + x2[i]
		}
	}
	xf := row(m.xf, d)
	m.rstdF[t] = layerNorm(xf, row(m.xhatF, d), row(m.xfin, d), m.lnfG.W, m.lnfB.W)
	logits := m.dlog[t*256 : (t+1)*256] // scratch until backward
	kernels.ExactMatVec(logits, m.tok.W, xf)
	softmaxTree(row(m.probs, 256), logits, &m.tree)
	m.n++
}

// backward sets the gradients of the window's coding loss, Σₜ −ln pₜ(next
// byte), given c, the byte that followed the last position.
func (m *GPT) backward(c byte) {
	w, d, hd := m.w, m.d, m.hd
	for t := 0; t < w; t++ {
		target := c
		if t+1 < w {
			target = m.inputs[t+1]
		}
		dl := m.dlog[t*256 : (t+1)*256]
		copy(dl, m.probs[t*256:(t+1)*256])
		dl[target] -= 1
	}
	for li := range m.lay {
		clear(m.lay[li].dqkv)
	}
	for t := w - 1; t >= 0; t-- {
		row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
		// Output layer (tied to the embedding) and the final LayerNorm.
		clear(m.dtmp)
		kernels.ExactMatTVecAdd(m.dtmp, m.tok.W, m.dlog[t*256:(t+1)*256])
		dcur := m.dcur // the gradient at the current block's output
		clear(dcur)
		layerNormBack(dcur, m.dtmp, row(m.xhatF, d), m.rstdF[t], m.lnfG.W, m.lnfG.G, m.lnfB.G)
		for li := m.layers - 1; li >= 0; li-- {
			l := &m.lay[li]
			// MLP: next = out·gelu(fc·c + bfc) + bout + x2.
			dm := row(l.dm, d)
			copy(dm, dcur)
			dh4 := m.dh4
			clear(dh4)
			kernels.ExactMatTVecAdd(dh4, l.out.W, dm)
			f, th, df := row(l.f, 4*d), row(l.th, 4*d), row(l.df, 4*d)
			for i := range df {
				df[i] = float32(dh4[i] * geluGrad(f[i], th[i]))
			}
			clear(m.dtmp)
			kernels.ExactMatTVecAdd(m.dtmp, l.fc.W, df)
			dx2 := dcur // the residual passes dcur on
			layerNormBack(dx2, m.dtmp, row(l.xhat2, d), l.rstd2[t], l.ln2G.W, l.ln2G.G, l.ln2B.G)
			// Attention: x2 = proj·o + bproj + xin.
			copy(row(l.dy, d), dx2)
			do := m.dx
			clear(do)
			kernels.ExactMatTVecAdd(do, l.proj.W, dx2)
			dq := row(l.dqkv, 3*d)
			q := row(l.qkvs, 3*d)
			for hh := 0; hh < m.heads; hh++ {
				doh := do[hh*hd : (hh+1)*hd]
				att := l.att[(hh*w+t)*w : (hh*w+t)*w+t+1]
				dp := m.dp[:t+1]
				var s float32
				for j := range att {
					v := l.qkvs[j*3*d+2*d+hh*hd : j*3*d+2*d+(hh+1)*hd]
					dp[j] = kernels.ExactDot(doh, v)
					s += float32(att[j] * dp[j])
					kernels.ExactAxpy(att[j], doh, l.dqkv[j*3*d+2*d+hh*hd:j*3*d+2*d+(hh+1)*hd])
				}
				qh := q[hh*hd : (hh+1)*hd]
				dqh := dq[hh*hd : (hh+1)*hd]
				for j := range att {
					ds := float32(float32(att[j]*(dp[j]-s)) * m.scale)
					k := l.qkvs[j*3*d+d+hh*hd : j*3*d+d+(hh+1)*hd]
					kernels.ExactAxpy(ds, k, dqh)
					kernels.ExactAxpy(ds, qh, l.dqkv[j*3*d+d+hh*hd:j*3*d+d+(hh+1)*hd])
				}
			}
			clear(m.dtmp)
			kernels.ExactMatTVecAdd(m.dtmp, l.qkv.W, dq)
			layerNormBack(dcur, m.dtmp, row(l.xhat1, d), l.rstd1[t], l.ln1G.W, l.ln1G.G, l.ln1B.G)
		}
		// Embeddings: h = tok[x] + pos[t].
		x := int(m.inputs[t])
		kernels.ExactAxpy(1, dcur, m.tok.G[x*d:(x+1)*d])
		kernels.ExactAxpy(1, dcur, m.pos.G[t*d:(t+1)*d])
	}
	// Weight gradients: sums over positions of outer products.
	m.outerAdd(&m.tok, m.dlog, m.xf)
	for li := range m.lay {
		l := &m.lay[li]
		m.outerAdd(&l.out, l.dm, l.gf)
		m.outerAdd(&l.fc, l.df, l.c)
		m.outerAdd(&l.proj, l.dy, l.o)
		m.outerAdd(&l.qkv, l.dqkv, l.a1)
		for t := 0; t < w; t++ {
			kernels.ExactAxpy(1, l.dm[t*d:(t+1)*d], l.bout.G)
			kernels.ExactAxpy(1, l.df[t*4*d:(t+1)*4*d], l.bfc.G)
			kernels.ExactAxpy(1, l.dy[t*d:(t+1)*d], l.bproj.G)
			kernels.ExactAxpy(1, l.dqkv[t*3*d:(t+1)*3*d], l.bqkv.G)
		}
	}
}

// outerAdd adds Σₜ a[t]·b[t]ᵀ to q's gradient, through a scratch matrix
// (the outer sum starts from zero; the output matrix's gradient already
// holds the embedding's).
func (m *GPT) outerAdd(q *online.Param, a, b []float32) {
	tmp := m.tmp[:len(q.G)]
	kernels.ExactOuterSum(tmp, a, b, m.w)
	kernels.ExactAxpy(1, tmp, q.G)
}
