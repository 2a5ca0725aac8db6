package train

import (
	"context"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/forecast"
)

// Minimum risk training of a real-valued forecasting model: the risk of a
// forecast origin is the continuous ranked probability score (Gneiting and
// Raftery 2007) of the model's own sample paths against the series'
// continuation, instead of the likelihood of that continuation.
//
// An origin is a training window of T = Context steps drawn as ordinary
// training draws one: its first L = T − H inputs are the true history, its
// last H targets the reference continuation y*. From the history (and the
// Past() steps before the window that the lags read), the model's
// forecasting state draws K paths y_1..y_K of H steps, each step sampled
// from the predictive and appended, as `autoreg forecast` does. Each path is
// put back into the window in place of the continuation (as targets, and as
// the inputs that follow them) and the training pass gives its
// log-probability log P(y_k) (the history's targets unscored); sharpened and
// renormalized as for an encoder-decoder, Q_k = P(y_k)^α / Σ_l P(y_l)^α.
//
// The risk is the CRPS of the forecast distribution the weighted paths
// make, Σ_k Q_k δ(y_k), against y*, averaged over the H steps and the
// dimensions (standardized units, missing reference values skipped):
//
//	R = Σ_k Q_k A_k − ½ Σ_k Σ_l Q_k Q_l B_kl,
//	A_k = mean |y_k − y*|,  B_kl = mean |y_k − y_l|
//
// the energy form of the CRPS of a discrete distribution. It is an
// expected cost, R = Σ_k Q_k Δ_k with Δ_k = A_k − ½ Σ_l Q_l B_kl (a path's
// error less half its mean distance to the others): the second term keeps
// the risk proper, so the model cannot lower it by collapsing its paths
// onto the median, as it could the expected absolute error Σ_k Q_k A_k
// alone. Its derivative with respect to Q_k is c_k = A_k − Σ_l Q_l B_kl,
// which mrtGrad turns into each path's weight; the paths themselves are
// not differentiated.
//
// A recurrent model runs every origin's windows from a zero state (the
// forecasting state starts where the lags' history does). With MLE > 0
// the mean NLL of the origins' true windows (every target), times MLE, is
// added. The history's loss is the objective; its parts give mrt_risk
// (the mean CRPS per origin), mrt_mle and mrt_candidates (K).

// mrtReal is a real-valued MRT step's scratch.
type mrtReal struct {
	st        autoreg.RealState // the forecasting state of an origin
	refX      []float64         // B true windows: Past()+T steps each
	refY      []float64         // and their T targets
	x, y      []float64         // B·K candidate windows and targets
	z, zref   []float64         // standardized paths (B·K·H·D) and continuations (B·H·D)
	group     []int
	logp, c   []float64
	w         []float32
	a, pair   []float64 // A_k, and B_kl of one origin (K×K)
	sum, seen []float64 // per origin: weighted path errors, observed values
}

// mrtRealStep runs one optimizer step of minimum risk training of a
// real-valued model, leaving the gradient of the step's objective in the
// arena, and returns the objective (as a sum over one unit), and the steps
// read.
func (t *Trainer) mrtRealStep(f *realFeed, s *mrtReal) (float64, int, int64) {
	o, r := t.Opts, t.Opts.MRT
	m := f.m
	rw := m.(RowWeighted)
	B, T, K, H, d, P := o.Batch, o.Context, r.Candidates, r.Horizon, f.d, f.p
	L := T - H
	n := len(f.stream) / d
	xs, ys := (P+T)*d, T*d
	mean, scale := m.Standardization()
	if s.st == nil {
		s.st = m.NewRealState()
	}
	s.refX, s.refY = grow(s.refX, B*xs), grow(s.refY, B*ys)
	s.x, s.y = grow(s.x, B*K*xs), grow(s.y, B*K*ys)
	s.z, s.zref = grow(s.z, B*K*H*d), grow(s.zref, B*H*d)
	s.group, s.w = s.group[:0], grow(s.w, B*K)
	for b := range B {
		for range K {
			s.group = append(s.group, b)
		}
	}
	origins := o.Accum * B
	var risk, mle float64
	var tokens int64
	for range o.Accum {
		// The origins, their paths, and the candidate windows.
		for b := range B {
			s0 := t.dataRng.IntN(n - T)
			f.window(s.refX[b*xs:], s.refY[b*ys:], f.stream, s0, T)
			s.st.Reset()
			s.st.Append(f.stream[max(0, s0-P)*d : (s0+L+1)*d]...)
			paths, err := forecast.Paths(context.Background(), m, s.st, H, K, t.exp.rng.Uint64())
			if err != nil {
				panic(err) // a background context is never cancelled
			}
			for h := range H {
				for i := range d {
					s.zref[(b*H+h)*d+i] = (s.refY[b*ys+(L+h)*d+i] - mean[i]) / scale[i]
				}
			}
			for k := range K {
				row := b*K + k
				x, y := s.x[row*xs:(row+1)*xs], s.y[row*ys:(row+1)*ys]
				copy(x, s.refX[b*xs:(b+1)*xs])
				for j := range L * d {
					y[j] = math.NaN() // the history: not part of the path's probability
				}
				path := paths[k*H*d : (k+1)*H*d]
				copy(y[L*d:], path)
				// Target L+h is input L+h+1.
				copy(x[(P+L+1)*d:], path[:(H-1)*d])
				for j, v := range path {
					i := j % d
					s.z[row*H*d+j] = (v - mean[i]) / scale[i]
				}
			}
		}
		// Their probabilities, the risk, and its gradient.
		if rec, ok := m.(Recurrent); ok {
			clear(rec.Carry(B * K))
		}
		m.Forward(s.x, s.y, B*K, T, t.dropRng)
		s.logp = rowLogProbs(s.logp, rw.Losses(), B*K, T)
		for _, v := range s.crpsWeights(B, K, H*d, r.Alpha, 1/float64(origins)) {
			risk += v
		}
		rw.BackwardRows(s.w)
		tokens += int64(B * K * H)
		if r.MLE > 0 {
			if rec, ok := m.(Recurrent); ok {
				clear(rec.Carry(B))
			}
			sum, c := m.Forward(s.refX, s.refY, B, T, t.dropRng)
			mle += sum / float64(max(c, 1))
			m.Backward(float32(r.MLE / float64(max(c, 1)) / float64(o.Accum)))
			tokens += int64(B * T)
		}
	}
	risk /= float64(origins)
	mle /= float64(o.Accum)
	t.setting("mrt_risk", risk)
	t.setting("mrt_candidates", float64(K))
	if r.MLE > 0 {
		t.setting("mrt_mle", mle)
	}
	return risk + r.MLE*mle, 1, tokens
}

// crpsWeights computes, for B origins of K paths of n standardized values
// each (s.z, path k of origin b at row b·K+k, against s.zref; NaN
// reference values skipped), the risk R of every origin given the paths'
// log-probabilities s.logp, and writes into s.w each path's BackwardRows
// weight for the gradient of scale·Σ R (see the top of this file). An
// origin whose continuation is all missing has no risk and no gradient.
func (s *mrtReal) crpsWeights(B, K, n int, alpha, scale float64) (risk []float64) {
	q := mrtQ(s.logp, s.group, B, alpha)
	risk = make([]float64, B)
	s.c = grow(s.c, B*K)
	s.a, s.pair = grow(s.a, K), grow(s.pair, K*K)
	for b := range B {
		ref := s.zref[b*n : (b+1)*n]
		seen := 0
		for _, v := range ref {
			if !math.IsNaN(v) {
				seen++
			}
		}
		qb, cb := q[b*K:(b+1)*K], s.c[b*K:(b+1)*K]
		if seen == 0 {
			clear(cb)
			continue
		}
		path := func(k int) []float64 { return s.z[(b*K+k)*n : (b*K+k+1)*n] }
		for k := range K {
			var e float64
			for j, v := range path(k) {
				if !math.IsNaN(ref[j]) {
					e += math.Abs(v - ref[j])
				}
			}
			s.a[k] = e / float64(seen)
			s.pair[k*K+k] = 0
			for l := range k {
				var e float64
				pl := path(l)
				for j, v := range path(k) {
					if !math.IsNaN(ref[j]) {
						e += math.Abs(v - pl[j])
					}
				}
				s.pair[k*K+l], s.pair[l*K+k] = e/float64(seen), e/float64(seen)
			}
		}
		for k := range K {
			var spread float64
			for l := range K {
				spread += qb[l] * s.pair[k*K+l]
			}
			risk[b] += qb[k] * (s.a[k] - spread/2)
			cb[k] = s.a[k] - spread
		}
	}
	mrtGrad(s.w, q, s.c, s.group, B, alpha, scale)
	return risk
}
