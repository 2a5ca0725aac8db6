// Package ar is the classic autoregressive model of time series, AR(p)
// with intercept (Yule 1927; Box and Jenkins 1970):
//
//	x_t = c + φ_1 x_{t−1} + … + φ_p x_{t−p} + ε_t
//
// fitted by least squares on the observed past, which is the conditional
// maximum-likelihood estimate under Gaussian innovations, exactly as
// statsmodels' AutoReg(trend='c') fits it. The order is fixed or chosen by
// AIC or BIC over 0..maxlag on a common sample, as statsmodels'
// ar_select_order does. The innovation ε_t is Gaussian, N(0, σ²) with σ² =
// RSS/n, or optionally a K-component Gaussian mixture fitted to the
// training residuals by EM (the "AR + GMM head" anchor), which captures
// skewed or heavy-tailed shocks the Gaussian misses.
//
// A [Model] is an autoreg.RealModel of dimension 1: its state's Predict is
// the one-step predictive N(μ_t, σ²) (a [dist.Gaussian]) or μ_t + the
// mixture (a [dist.GaussianMixture]), in working units, carried to the
// data's own units by a [dist.Affine].
//
// A model may work on standardized values z = (x − mean)/std (the training
// part's mean and population standard deviation): the coefficients are then
// those of z, and the state converts on the way in and out.
package ar

import (
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
)

// Model is a fitted AR(p) model. Intercept, Coef, Sigma2 and Mix are in
// the model's working units: z = (x − Mean)/Scale when Standardized, x
// itself otherwise.
type Model struct {
	// Mean and Scale are the training values' mean and population standard
	// deviation, in the data's units. They standardize a standardized
	// model, and give every model the value of the unobserved past before
	// a series starts (the training mean).
	Mean, Scale  float64
	Standardized bool
	// Intercept is c; Coef holds φ_1 … φ_p (the coefficient of x_{t−i} at
	// i−1).
	Intercept float64
	Coef      []float64
	// Sigma2 is the Gaussian innovation variance RSS/n.
	Sigma2 float64
	// Mix, when set, replaces the Gaussian innovation.
	Mix *Mixture
}

// Order is p.
func (m *Model) Order() int { return len(m.Coef) }

// Dim is 1: the model is univariate.
func (m *Model) Dim() int { return 1 }

// units returns the offset and scale from the data's units to the working
// units: w = (x − off)/sc.
func (m *Model) units() (off, sc float64) {
	if m.Standardized {
		return m.Mean, m.Scale
	}
	return 0, 1
}

// NewRealState returns a state with the empty history.
func (m *Model) NewRealState() autoreg.RealState {
	p := m.Order()
	s := &state{m: m, buf: make([]float64, 2*p), rc: make([]float64, p)}
	for j := range s.rc {
		s.rc[j] = m.Coef[p-1-j]
	}
	s.off, s.sc = m.units()
	// The innovation's distribution lives in working units, centred on μ_t;
	// the affine map carries it to the data's.
	if m.Mix != nil {
		k := m.Mix.K()
		s.mix = dist.NewGaussianMixture(1, k)
		for c := range k {
			s.mix.LogW[c] = math.Log(m.Mix.Weights[c])
			s.mix.Sigma[c] = math.Sqrt(m.Mix.Vars[c])
		}
		s.pred = dist.NewAffine(s.mix, []float64{s.off}, []float64{s.sc})
	} else {
		s.gauss = dist.NewGaussian(1)
		s.gauss.Sigma[0] = math.Sqrt(m.Sigma2)
		s.pred = dist.NewAffine(s.gauss, []float64{s.off}, []float64{s.sc})
	}
	s.Reset()
	return s
}

// state is a history of the last p values in working units, in a ring
// buffer stored twice over (buf[i] = buf[i+p]) so that the last p values
// are always the contiguous buf[pos:pos+p], oldest first.
type state struct {
	m       *Model
	buf     []float64
	rc      []float64 // φ_p … φ_1: rc[j] multiplies buf[pos+j]
	pos     int
	n       int
	mu      float64 // μ_t in working units, without the mixture's mean
	off, sc float64
	gauss   *dist.Gaussian        // working units
	mix     *dist.GaussianMixture // working units
	pred    dist.Dist             // the affine map of gauss or mix to the data's units
}

// Reset fills the past with the training mean.
func (s *state) Reset() {
	past := (s.m.Mean - s.off) / s.sc
	for i := range s.buf {
		s.buf[i] = past
	}
	s.pos, s.n = 0, 0
	s.update()
}

// update computes μ for the next step: c + Σ_i φ_i x_{t−i}.
func (s *state) update() {
	p := len(s.rc)
	s.mu = s.m.Intercept + dot(s.rc, s.buf[s.pos:s.pos+p])
}

// Append conditions on more values; a NaN is replaced by the predictive
// mean.
func (s *state) Append(xs ...float64) {
	p := len(s.rc)
	for _, x := range xs {
		var w float64
		switch {
		case math.IsNaN(x):
			// Exactly what appending Predict().Mean(0) would do.
			w = (s.Predict().Mean(0) - s.off) / s.sc
		case math.IsInf(x, 0):
			panic("ar: Append of an infinite value")
		default:
			w = (x - s.off) / s.sc
		}
		s.n++
		if p == 0 {
			continue
		}
		s.buf[s.pos], s.buf[s.pos+p] = w, w
		s.pos++
		if s.pos == p {
			s.pos = 0
		}
		s.update()
	}
}

// Predict returns the next value's distribution in the data's units.
func (s *state) Predict() dist.Dist {
	if s.mix != nil {
		for c := range s.mix.Mu {
			s.mix.Mu[c] = s.mu + s.m.Mix.Means[c]
		}
	} else {
		s.gauss.Mu[0] = s.mu
	}
	return s.pred
}

// CopyTo copies the history into dst, a state of the same model.
func (s *state) CopyTo(dst autoreg.RealState) {
	d, ok := dst.(*state)
	if !ok || d.m != s.m {
		panic("ar: CopyTo a state of another model")
	}
	copy(d.buf, s.buf)
	d.pos, d.n, d.mu = s.pos, s.n, s.mu
}

// Len is the number of values appended since Reset.
func (s *state) Len() int { return s.n }
