package vae

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/nn"
)

// Posterior writes the mean and the log-variance of q(z | xs) into mean
// and logVar (autoreg.Latent): both encoder directions run over xs token
// by token from a zero state (an empty xs leaves them there), and the
// final states of their top layers make [μ; ln σ²]. The results equal the
// training path's, without dropout, up to float rounding.
func (m *Model) Posterior(xs []autoreg.Token, mean, logVar []float64) error {
	D, E, He, Le := m.cfg.Latent, m.cfg.embed(), m.cfg.encHidden(), m.cfg.encLayers()
	if len(mean) != D || len(logVar) != D {
		return fmt.Errorf("vae: Posterior: %d means and %d log-variances, the code has %d dimensions", len(mean), len(logVar), D)
	}
	if err := m.checkTokens(xs); err != nil {
		return err
	}
	a := m.arena
	hcat := make([]float32, 2*He)
	h, c := make([]float32, Le*He), make([]float32, Le*He)
	for dir, st := range m.enc {
		buf := st.NewStepBuf()
		clear(h)
		clear(c)
		for i := range xs {
			x := xs[i]
			if dir == 1 {
				x = xs[len(xs)-1-i]
			}
			st.Step(a, &buf, h, c, m.emb.Data(a)[int(x)*E:int(x+1)*E])
		}
		copy(hcat[dir*He:], h[(Le-1)*He:])
	}
	post := make([]float32, 2*D)
	nn.LinearForward(post, hcat, m.wq.Data(a), m.bq.Data(a), 1, 2*He, 2*D)
	for d := range D {
		mean[d], logVar[d] = float64(post[d]), float64(post[D+d])
	}
	return nil
}

func (m *Model) checkTokens(xs []autoreg.Token) error {
	for _, x := range xs {
		if x < 0 || int(x) >= m.V {
			return fmt.Errorf("vae: token %d outside the vocabulary of %d", x, m.V)
		}
	}
	return nil
}

// scoreRows bounds the rows × steps of one batched pass of ScoreLatents
// (its logits and probabilities are two (rows·steps, V) buffers).
const scoreRows = 1024

// ScoreLatents sets dst[k] = ln P(xs | zs[k]) (autoreg.LatentScorer): the
// decoder's batched training pass, without dropout, over one row per
// code, as many rows at once as scoreRows allows. Safe for concurrent use.
func (m *Model) ScoreLatents(xs []autoreg.Token, zs [][]float64, dst []float64) error {
	if len(dst) != len(zs) {
		return fmt.Errorf("vae: ScoreLatents: %d codes, %d results", len(zs), len(dst))
	}
	for _, z := range zs {
		if err := autoreg.CheckLatent(z, m.cfg.Latent); err != nil {
			return fmt.Errorf("vae: %w", err)
		}
	}
	if err := m.checkTokens(xs); err != nil {
		return err
	}
	T, D := len(xs), m.cfg.Latent
	if T == 0 {
		clear(dst)
		return nil
	}
	sc, _ := m.pool.Get().(*decScratch)
	if sc == nil {
		sc = &decScratch{}
	}
	defer m.pool.Put(sc)
	rows := max(1, scoreRows/T)
	bos := int32(m.vocab.BOS())
	for lo := 0; lo < len(zs); lo += rows {
		B := min(rows, len(zs)-lo)
		m.growDec(sc, B, T)
		for t := range T {
			in := bos
			if t > 0 {
				in = int32(xs[t-1])
			}
			for b := range B {
				sc.ids[t*B+b], sc.tgt[t*B+b] = in, int32(xs[t])
			}
		}
		for b := range B {
			for d, v := range zs[lo+b] {
				sc.z[b*D+d] = float32(v)
			}
		}
		m.decForward(sc, nil)
		for b := range B {
			dst[lo+b] = -sentenceNLL(sc.losses, b, B, T)
		}
	}
	return nil
}
