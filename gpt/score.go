package gpt

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/tensor"
)

// ScoreSequence implements autoreg.Scorer: it writes log P(xs[i] | history,
// xs[:i]) into dst[i] and leaves st conditioned on xs, with the results of
// appending the tokens one by one (up to float32 rounding).
//
// Appending follows the window policy of State: when the window is full,
// the oldest half is dropped. Every later window is therefore the last half
// of the previous one followed by new tokens, and depends only on the text,
// not on earlier windows' computations: ScoreSequence encodes such windows
// many at a time, as one batch of independent sequences through the
// batched (training-style) forward pass, where the big matrix products keep
// both cores busy. Only the windows around the state's own (the first and
// the last) go through the incremental path, which fills the key/value
// cache.
func (m *Model) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s, ok := st.(*State)
	if !ok || s.m != m {
		panic("gpt: ScoreSequence: state of another model")
	}
	if len(dst) != len(xs) {
		panic(fmt.Sprintf("gpt: ScoreSequence: %d tokens, %d results", len(xs), len(dst)))
	}
	if s.exact { // token by token: the exact path has no batched windows
		for i, x := range xs {
			dst[i] = s.LogProb(x)
			s.Append(x)
		}
		return
	}
	V, T := m.V, m.cfg.Context
	for _, x := range xs {
		if x < 0 || int(x) >= V {
			panic(fmt.Sprintf("gpt: ScoreSequence: token %d outside the vocabulary of %d", x, V))
		}
	}
	keep := T / 2 // tokens a shift keeps
	step := T - keep
	// With a control code in view (or <s> or a code among xs), windows
	// past the first pin <s> and the code in their first slots (see pin):
	// those go through the incremental path, which applies the rule.
	pinned := s.code >= 0 || hasContextSpecial(xs, m.vocab)
	for i := 0; i < len(xs); {
		dst[i] = s.LogProb(xs[i])
		if len(s.toks) == T {
			// Whole windows ahead: each is the last half of the previous
			// one plus step new tokens; the last window stays for the
			// incremental path (it ends the state).
			if full := (len(xs) - i) / step; full >= 2 && !pinned {
				i = s.scoreWindows(xs, i, full-1, dst)
				continue
			}
			// The shift sees the control code in effect after xs[i], as
			// Append(xs[i]) does (tracking xs[i] twice changes nothing).
			s.track(xs[i : i+1])
			s.shift()
		}
		c := min(len(xs)-i, T-len(s.toks))
		s.track(xs[i : i+c])
		s.forward(xs[i:i+c], true)
		s.n += c
		for j := 0; j+1 < c; j++ {
			dst[i+1+j] = nn.LogProbRow(s.logits[j*V:(j+1)*V], int(xs[i+1+j]), s.next.Scratch)
		}
		i += c
	}
}

// winScratch holds the activations of a batch of windows.
type winScratch struct {
	rows             int
	ids              []int32
	x, ln, atty, tmp []float32 // (rows,C)
	mean, rstd       []float32 // (rows)
	qkv              []float32 // (rows,3C)
	att              []float32 // (windows,NH,T,T)
	fch              []float32 // (rows,4C)
	logits           []float32 // (rows/2+,V)
}

// winBatch is how many windows one batched pass encodes (16 windows of
// 128 positions: the training benchmark's 2,048 rows).
const winBatch = 16

// scoreWindows scores n full windows starting at xs[i] (the window being
// full, s.next.Logits predicting xs[i], which the caller has scored): window w is
// the last keep tokens before xs[i+w·step] followed by xs[i+w·step :
// i+(w+1)·step]. It leaves the state holding the last window, with its
// key/value cache, and s.next.Logits predicting the token after it, and returns
// the index of that token.
func (s *State) scoreWindows(xs []autoreg.Token, i, n int, dst []float64) int {
	m, a := s.m, s.m.arena
	C, NH, V, T := m.cfg.Dim, m.cfg.Heads, m.V, m.cfg.Context
	keep := T / 2
	step := T - keep
	if s.win == nil {
		s.win = &winScratch{}
	}
	ws := s.win
	// The text from keep tokens before xs[i]: the window's kept half, then xs.
	ctx := s.toks[len(s.toks)-keep:]
	tok := func(j int) autoreg.Token { // position j of the text starting at ctx
		if j < keep {
			return ctx[j]
		}
		return xs[i+j-keep]
	}
	for w0 := 0; w0 < n; w0 += winBatch {
		G := min(winBatch, n-w0)
		N := G * T
		last := w0+G == n
		ws.grow(N, G, C, NH, T, V)
		ids := ws.ids[:N]
		for g := range G {
			for p := range T {
				ids[g*T+p] = int32(tok((w0+g)*step + p))
			}
		}
		x, ln, atty, tmp := ws.x[:N*C], ws.ln[:N*C], ws.atty[:N*C], ws.tmp[:N*C]
		qkv, fch := ws.qkv[:N*3*C], ws.fch[:N*4*C]
		nn.EncoderForward(x, ids, m.wte.Data(a), m.wpe.Data(a), G, T, C)
		m.addImage(x, ids, G, T)
		for l := range m.layers {
			w := &m.layers[l]
			nn.LayerNormForward(ln, ws.mean, ws.rstd, x, w.ln1w.Data(a), w.ln1b.Data(a), N, C)
			nn.LinearForward(qkv, ln, w.qkvw.Data(a), w.qkvb.Data(a), N, C, 3*C)
			if last {
				// The state's window is the last one: its keys and values.
				kc, vc := s.k[l], s.v[l]
				for p := range T {
					r := qkv[((G-1)*T+p)*3*C:]
					copy(kc[p*C:(p+1)*C], r[C:2*C])
					copy(vc[p*C:(p+1)*C], r[2*C:3*C])
				}
			}
			nn.AttentionForward(atty, ws.att, qkv, G, T, C, NH)
			nn.LinearForward(tmp, atty, w.projw.Data(a), nil, N, C, C)
			fused.BiasResidualForward(x, x, tmp, w.projb.Data(a), nil, N, C)
			nn.LayerNormForward(ln, ws.mean, ws.rstd, x, w.ln2w.Data(a), w.ln2b.Data(a), N, C)
			nn.LinearForward(fch, ln, w.fcw.Data(a), nil, N, C, 4*C)
			fused.BiasGELUForward(fch, fch, w.fcb.Data(a), N, 4*C)
			nn.LinearForward(tmp, fch, w.fcprojw.Data(a), nil, N, 4*C, C)
			fused.BiasResidualForward(x, x, tmp, w.fcpjb.Data(a), nil, N, C)
		}
		// Logits of the new positions only: rows keep..T−1 of each window.
		R := G * step
		for g := range G {
			copy(tmp[g*step*C:(g+1)*step*C], x[(g*T+keep)*C:(g+1)*T*C])
		}
		nn.LayerNormForward(ln[:R*C], ws.mean, ws.rstd, tmp[:R*C], m.lnfw.Data(a), m.lnfb.Data(a), R, C)
		logits := ws.logits[:R*V]
		nn.LinearForward(logits, ln[:R*C], m.wte.Data(a), nil, R, C, V)
		for g := range G {
			// Row keep+p of window w predicts the token after its position
			// keep+p: xs[i + w·step + p + 1]; the window's last row predicts
			// the next window's first new token (scored here unless it is
			// past the batch: then it is s.next.Logits).
			base := i + (w0+g)*step
			for p := range step {
				row := logits[(g*step+p)*V : (g*step+p+1)*V]
				t := base + p + 1
				if last && g == G-1 && p == step-1 {
					copy(s.next.Logits, row)
					s.next.SetLogits()
					break
				}
				dst[t] = nn.LogProbRow(row, int(xs[t]), s.next.Scratch)
			}
		}
	}
	// The state now holds the last window.
	end := i + n*step
	s.toks = s.toks[:0]
	for p := range T {
		s.toks = append(s.toks, tok((n-1)*step+p))
	}
	s.n += n * step
	return end
}

func (ws *winScratch) grow(N, G, C, NH, T, V int) {
	if N <= ws.rows {
		return
	}
	g := tensor.Grow
	if cap(ws.ids) < N {
		ws.ids = make([]int32, N)
	}
	ws.ids = ws.ids[:N]
	g(&ws.x, N*C)
	g(&ws.ln, N*C)
	g(&ws.atty, N*C)
	g(&ws.tmp, N*C)
	g(&ws.mean, N)
	g(&ws.rstd, N)
	g(&ws.qkv, N*3*C)
	g(&ws.att, G*NH*T*T)
	g(&ws.fch, N*4*C)
	g(&ws.logits, N*V)
	ws.rows = N
}

// hasContextSpecial reports whether xs holds <s> or a control code, the
// tokens that change what a window pins.
func hasContextSpecial(xs []autoreg.Token, v autoreg.Vocab) bool {
	lo := autoreg.Token(v.Base + autoreg.NumReserved)
	for _, x := range xs {
		if x == v.BOS() || x >= lo {
			return true
		}
	}
	return false
}
