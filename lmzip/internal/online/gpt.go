package online

import "github.com/autoreg/autoreg/internal/exact"

// layerNormEps is the ε of the LayerNorms (GPT-2's).
const layerNormEps = 1e-5

// GPT is the adaptive mode's transformer predictor: a small GPT
// (pre-LayerNorm, learned positions, causal multi-head attention, GELU MLP,
// output tied to the byte embedding) over a window of the last W bytes,
// trained online as it codes, in the manner of NNCP. Each byte costs one
// incremental forward pass with the KV cache (push); when the window is
// full, the coding loss of all its positions is backpropagated through the
// stored activations (backward), Adam takes one step and the newest half
// of the window is re-encoded with the new weights (GPTCore.Learn). Every
// piece is internal/exact's, so the decoder replays it bit for bit on any
// machine:
//
//	h = tok[x] + pos[t]
//	per block:  a = LayerNorm₁(h);  q, k, v = Linear(a)
//	            h = h + Linear(AttentionStep(q; k, v of positions ≤ t))
//	            h = h + Linear(GELU(Linear(LayerNorm₂(h))))
//	p = Softmax(tokᵀ·LayerNorm_f(h))
type GPT struct{ *GPTCore }

// NewGPT makes a model of width d (a multiple of 32), heads heads (each
// d/heads wide), layers blocks, a window of w bytes (even), and Adam rate
// lr, and predicts the first byte (after a zero byte).
func NewGPT(d, heads, layers, w int, lr float32) *GPT {
	m := &GPT{NewGPTCore(d, heads, layers, w, lr)}
	m.push(0)
	return m
}

// Update learns that byte c followed and predicts the next one.
func (m *GPT) Update(c byte) { m.Learn(c, m.backward, m.push) }

// push runs the forward pass for byte x at position m.N (attending to the
// cached positions before it), stores its activations, leaves the next
// byte's distribution in m.Tree and advances m.N.
func (m *GPT) push(x byte) {
	t, d, hd := m.N, m.D, m.HD
	m.Inputs[t] = x
	row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
	h := row(m.Xfin, d)
	if m.Layers > 0 {
		h = row(m.Blocks[0].XIn, d)
	}
	copy(h, m.Tok.W[int(x)*d:(int(x)+1)*d])
	exact.Add(h, m.Pos.W[t*d:(t+1)*d])
	for li := range m.Blocks {
		l := &m.Blocks[li]
		xin, a1 := row(l.XIn, d), row(l.A1, d)
		l.Rstd1[t] = exact.LayerNorm(a1, row(l.Xhat1, d), xin, l.Ln1G.W, l.Ln1B.W, layerNormEps)
		qkv := row(l.QKVs, 3*d)
		exact.Linear(qkv, a1, l.QKV.W, l.BQKV.W, 1, d, 3*d)
		o := row(l.O, d)
		for hh := range m.Heads {
			att := l.Att[(hh*m.W+t)*m.W : (hh*m.W+t)*m.W+t+1]
			exact.AttentionStep(o[hh*hd:(hh+1)*hd], att, qkv[hh*hd:(hh+1)*hd], l.QKVs[d+hh*hd:], l.QKVs[2*d+hh*hd:], 3*d, m.Scale)
		}
		x2 := row(l.X2, d)
		exact.Linear(x2, o, l.Proj.W, l.BProj.W, 1, d, d)
		exact.Add(x2, xin)
		c := row(l.C, d)
		l.Rstd2[t] = exact.LayerNorm(c, row(l.Xhat2, d), x2, l.Ln2G.W, l.Ln2B.W, layerNormEps)
		f, gf := row(l.F, 4*d), row(l.GF, 4*d)
		exact.Linear(f, c, l.FC.W, l.BFC.W, 1, d, 4*d)
		exact.GELU(gf, row(l.Act, 4*d), f)
		next := row(m.Xfin, d)
		if li+1 < m.Layers {
			next = row(m.Blocks[li+1].XIn, d)
		}
		exact.Linear(next, gf, l.Out.W, l.BOut.W, 1, 4*d, d)
		exact.Add(next, x2)
	}
	xf := row(m.Xf, d)
	m.RstdF[t] = exact.LayerNorm(xf, row(m.XhatF, d), row(m.Xfin, d), m.LnfG.W, m.LnfB.W, layerNormEps)
	p := row(m.Probs, 256)
	exact.Linear(p, xf, m.Tok.W, nil, 1, d, 256)
	exact.Softmax(p)
	m.Tree.Set(p)
	m.N++
}

// backward sets the gradients of the window's coding loss, Σₜ −ln pₜ(next
// byte), given c, the byte that followed the last position.
func (m *GPT) backward(c byte) {
	w, d, hd := m.W, m.D, m.HD
	for t := range w {
		exact.CrossEntropyBackward(m.DLog[t*256:(t+1)*256], m.Probs[t*256:(t+1)*256], int(m.Target(t, c)))
	}
	// The output matrix is the embedding: its gradient as the output
	// layer's first, then the embedding rows' below.
	exact.LinearBackwardParams(m.Tok.G, nil, m.DLog, m.Xf, w, d, 256)
	for li := range m.Blocks {
		clear(m.Blocks[li].DQKV)
	}
	for t := w - 1; t >= 0; t-- {
		row := func(buf []float32, width int) []float32 { return buf[t*width : (t+1)*width] }
		// The output layer and the final LayerNorm; dcur is the gradient
		// at the current block's output.
		clear(m.DTmp)
		exact.LinearBackwardInput(m.DTmp, m.DLog[t*256:(t+1)*256], m.Tok.W, 1, d, 256)
		dcur := m.DCur
		clear(dcur)
		exact.LayerNormBackward(dcur, m.LnfG.G, m.LnfB.G, m.DTmp, row(m.XhatF, d), m.LnfG.W, m.RstdF[t], m.DLN)
		for li := m.Layers - 1; li >= 0; li-- {
			l := &m.Blocks[li]
			// MLP: next = out·gelu(fc·c + bfc) + bout + x2.
			dm := row(l.DM, d)
			copy(dm, dcur)
			clear(m.DH4)
			exact.LinearBackwardInput(m.DH4, dm, l.Out.W, 1, 4*d, d)
			df := row(l.DF, 4*d)
			exact.GELUBackward(df, m.DH4, row(l.F, 4*d), row(l.Act, 4*d))
			clear(m.DTmp)
			exact.LinearBackwardInput(m.DTmp, df, l.FC.W, 1, d, 4*d)
			// the residual passes dcur on, LayerNorm₂ adds its gradient
			exact.LayerNormBackward(dcur, l.Ln2G.G, l.Ln2B.G, m.DTmp, row(l.Xhat2, d), l.Ln2G.W, l.Rstd2[t], m.DLN)
			// Attention: x2 = proj·o + bproj + xin.
			copy(row(l.DY, d), dcur)
			clear(m.DX)
			exact.LinearBackwardInput(m.DX, dcur, l.Proj.W, 1, d, d)
			dq, q := row(l.DQKV, 3*d), row(l.QKVs, 3*d)
			for hh := range m.Heads {
				att := l.Att[(hh*w+t)*w : (hh*w+t)*w+t+1]
				exact.AttentionStepBackward(dq[hh*hd:(hh+1)*hd], l.DQKV[d+hh*hd:], l.DQKV[2*d+hh*hd:], m.DP[:t+1],
					m.DX[hh*hd:(hh+1)*hd], att, q[hh*hd:(hh+1)*hd], l.QKVs[d+hh*hd:], l.QKVs[2*d+hh*hd:], 3*d, m.Scale)
			}
			// Later positions are done, so position t's keys and values
			// have their whole gradient.
			clear(m.DTmp)
			exact.LinearBackwardInput(m.DTmp, dq, l.QKV.W, 1, d, 3*d)
			exact.LayerNormBackward(dcur, l.Ln1G.G, l.Ln1B.G, m.DTmp, row(l.Xhat1, d), l.Ln1G.W, l.Rstd1[t], m.DLN)
		}
		// Embeddings: h = tok[x] + pos[t].
		x := int(m.Inputs[t])
		exact.Add(m.Tok.G[x*d:(x+1)*d], dcur)
		exact.Add(m.Pos.G[t*d:(t+1)*d], dcur)
	}
	// The blocks' weight gradients: sums over positions.
	for li := range m.Blocks {
		l := &m.Blocks[li]
		exact.LinearBackwardParams(l.Out.G, l.BOut.G, l.DM, l.GF, w, 4*d, d)
		exact.LinearBackwardParams(l.FC.G, l.BFC.G, l.DF, l.C, w, d, 4*d)
		exact.LinearBackwardParams(l.Proj.G, l.BProj.G, l.DY, l.O, w, d, d)
		exact.LinearBackwardParams(l.QKV.G, l.BQKV.G, l.DQKV, l.A1, w, d, 3*d)
	}
}
