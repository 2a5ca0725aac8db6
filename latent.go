package autoreg

import (
	"errors"
	"fmt"
	"math"
)

// Latent is an optional interface of models whose sequences come from a
// continuous latent code z ∈ R^D, drawn from the standard normal prior:
//
//	P(x) = ∫ N(z; 0, I) ∏_t P(x_t | x<t, z) dz
//
// with an approximate posterior q(z | x) = N(μ(x), diag σ²(x)) to encode
// a sequence: a variational autoencoder (Kingma and Welling 2014; for
// sentences Bowman et al. 2016).
//
// Conditioning on a code is a way to build a Model, as an encoder-decoder's
// conditioning on a source is: WithLatent returns the model of sequences
// given z, whose States all see z, so every sampler, beam search, evaluation and
// compression works on it unchanged. The Latent model's own NewState is
// the model given z = 0, the prior's mean; its probabilities are those of
// P(x | z = 0), not of P(x), which has no closed form (package eval bounds
// it from below: the ELBO and the importance-weighted bound).
//
// A sequence x, here as everywhere in the seam, is what follows <s>: its
// tokens and the closing </s>, the tokens a State scores after
// Append(<s>).
type Latent interface {
	Model
	// LatentDim is D, the dimension of the code.
	LatentDim() int
	// WithLatent returns the model of sequences given z (length D, finite
	// values). The States of all the models WithLatent returns may be
	// copied into each other: CopyTo carries the code, and Reset returns
	// to the empty history given the state's code.
	WithLatent(z []float64) (Model, error)
	// Posterior writes the mean and the log-variance (ln σ²) of q(z | xs)
	// into mean and logVar (length D each). It fails on ids outside the
	// vocabulary or a sequence longer than the model reads.
	Posterior(xs []Token, mean, logVar []float64) error
}

// LatentScorer is an optional interface of a Latent model that scores
// one sequence under many codes in one batched pass: dst[k] =
// ln P(xs | zs[k]), summed over the tokens of xs after <s>, what a State of
// WithLatent(zs[k]) gives up to float rounding. Importance sampling draws
// a hundred codes per sequence; batching them shares every weight read.
type LatentScorer interface {
	Latent
	ScoreLatents(xs []Token, zs [][]float64, dst []float64) error
}

// ScoreLatents sets dst[k] = ln P(xs | zs[k]) for every code: in batched
// passes when m is a LatentScorer, one State per code otherwise.
func ScoreLatents(m Latent, xs []Token, zs [][]float64, dst []float64) error {
	if len(dst) != len(zs) {
		return fmt.Errorf("autoreg: ScoreLatents: %d codes, %d results", len(zs), len(dst))
	}
	if s, ok := m.(LatentScorer); ok {
		return s.ScoreLatents(xs, zs, dst)
	}
	bos := m.Vocab().BOS()
	for k, z := range zs {
		d, err := m.WithLatent(z)
		if err != nil {
			return err
		}
		st := d.NewState()
		st.Append(bos)
		var sum float64
		for _, x := range xs {
			sum += st.LogProb(x)
			st.Append(x)
		}
		dst[k] = sum
	}
	return nil
}

// CheckLatent reports a code that is not D finite values.
func CheckLatent(z []float64, D int) error {
	if len(z) != D {
		return fmt.Errorf("autoreg: a latent code of %d values, the model's has %d", len(z), D)
	}
	for _, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("autoreg: a latent code with a value that is not finite")
		}
	}
	return nil
}
