package ar

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Criterion is an information criterion for choosing the order.
type Criterion uint8

// The criteria, as statsmodels defines them for AutoReg with n observations,
// log-likelihood ℓ and k estimated parameters (the regression coefficients,
// the constant included, and σ²):
//
//	AIC = −2ℓ + 2k
//	BIC = −2ℓ + k ln n
const (
	AIC Criterion = iota
	BIC
)

// String is "aic" or "bic".
func (c Criterion) String() string {
	if c == BIC {
		return "bic"
	}
	return "aic"
}

// ParseCriterion reads "aic" or "bic".
func ParseCriterion(s string) (Criterion, error) {
	switch s {
	case "aic":
		return AIC, nil
	case "bic":
		return BIC, nil
	}
	return 0, fmt.Errorf("ar: unknown criterion %q (want aic or bic)", s)
}

// AutoMixture asks Fit to choose the number of residual mixture components
// in 1..MaxMixture by BIC.
const AutoMixture = -1

// Limits.
const (
	// MaxOrder bounds p (and the maximum lag of a selection).
	MaxOrder = 1 << 16
	// MaxMixture bounds the residual mixture's components; automatic
	// selection tries 1..MaxMixture.
	MaxMixture = 5
)

// Options configures Fit.
type Options struct {
	// Order is the fixed order p ≥ 0, used when MaxLag is 0.
	Order int
	// MaxLag > 0 selects p in 0..MaxLag by Criterion. As statsmodels'
	// ar_select_order (glob=False), every candidate is fitted on the same
	// sample, the points from MaxLag on, so the criteria compare; the
	// chosen order is then refitted on every usable point. Ties go to the
	// smaller order.
	MaxLag    int
	Criterion Criterion
	// Standardize fits on z = (x − mean)/std, the training part's mean and
	// population standard deviation. Least squares is equivariant, so the
	// predictions are those of a raw fit up to rounding; the densities
	// differ by exactly ln std per value, which is the anchors'
	// convention for comparing series.
	Standardize bool
	// Mixture is the number of components of a Gaussian mixture fitted to
	// the residuals by EM in place of the Gaussian innovation (0: none, K
	// in 1..MaxMixture, or AutoMixture).
	Mixture int
	// Restarts is the number of EM runs per mixture size, each from its
	// own seeded k-means++ start; the best likelihood wins (default 3).
	Restarts int
	// EMTol stops EM when the mean log-likelihood per residual changes by
	// less (default DefaultEMTol); EMMaxIter caps its iterations (default
	// DefaultEMMaxIter).
	EMTol     float64
	EMMaxIter int
	// Seed seeds the mixture's starts.
	Seed uint64
}

// Report describes a fit. Likelihoods and criteria are in the data's own
// units (a standardized fit is converted back), so they compare with
// statsmodels' figures for the same data.
type Report struct {
	Order int
	// Nobs is the number of regression rows of the final fit (n − p for one
	// series without missing values).
	Nobs int
	// Sigma2 is the innovation variance's maximum-likelihood estimate
	// RSS/Nobs; LogLik = −Nobs/2 (ln(2π Sigma2) + 1).
	Sigma2, LogLik, AIC, BIC float64
	// Selection holds the criteria of every candidate order 0..MaxLag on the
	// common sample (nil for a fixed order).
	Selection []Candidate
	// Mixture holds the residual mixtures tried (nil without one).
	Mixture []MixtureFit
}

// Candidate is one order tried by the selection.
type Candidate struct {
	Order    int
	Nobs     int
	LogLik   float64
	AIC, BIC float64
}

// MixtureFit is one residual mixture size tried.
type MixtureFit struct {
	K int
	// LogLik is the residuals' log-likelihood under the mixture and BIC =
	// −2 LogLik + (3K − 1) ln n (K means, K variances, K − 1 weights), in
	// the data's own units.
	LogLik, BIC float64
	Chosen      bool
}

// Fit fits an AR(p) model with intercept by least squares (the conditional
// maximum-likelihood estimate, as statsmodels' AutoReg with trend 'c') to
// one or more series, pooled: every series contributes the rows of its own
// lags, and the coefficients are common. A row whose target or any lag is
// missing (NaN) is left out.
func Fit(ctx context.Context, series [][]float64, opt Options) (*Model, *Report, error) {
	if opt.MaxLag < 0 || opt.MaxLag > MaxOrder || opt.Order < 0 || opt.Order > MaxOrder {
		return nil, nil, fmt.Errorf("ar: order %d / maximum lag %d out of range 0..%d", opt.Order, opt.MaxLag, MaxOrder)
	}
	if opt.Mixture != AutoMixture && (opt.Mixture < 0 || opt.Mixture > MaxMixture) {
		return nil, nil, fmt.Errorf("ar: %d mixture components: want 1..%d or automatic", opt.Mixture, MaxMixture)
	}
	mean, std, count := moments(series)
	if count == 0 {
		return nil, nil, errors.New("ar: no training values")
	}
	if !(std > 0) {
		return nil, nil, errors.New("ar: the training values are constant")
	}
	m := &Model{Mean: mean, Scale: std, Standardized: opt.Standardize}
	off, sc := m.units()
	work := make([][]float64, len(series))
	for i, s := range series {
		work[i] = make([]float64, len(s))
		for t, v := range s {
			work[i][t] = (v - off) / sc
		}
	}
	// Densities in working units convert to the data's units by −ln sc per
	// value.
	lnsc := math.Log(sc)
	rep := &Report{}
	p := opt.Order
	if opt.MaxLag > 0 {
		sel, best, err := selectOrder(ctx, work, opt.MaxLag, opt.Criterion, lnsc)
		if err != nil {
			return nil, nil, err
		}
		rep.Selection, p = sel, best
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	q, nobs, err := design(work, p, p)
	if err != nil {
		return nil, nil, err
	}
	if err := q.factor(); err != nil {
		return nil, nil, err
	}
	beta := q.solve(p + 1)
	m.Intercept, m.Coef = beta[0], beta[1:]
	m.Sigma2 = q.rss(p+1) / float64(nobs)
	rep.Order, rep.Nobs = p, nobs
	rep.Sigma2 = m.Sigma2 * sc * sc
	rep.LogLik = gaussLogLik(nobs, rep.Sigma2)
	rep.AIC = -2*rep.LogLik + 2*float64(p+2)
	rep.BIC = -2*rep.LogLik + math.Log(float64(nobs))*float64(p+2)
	if opt.Mixture != 0 {
		resid := m.residuals(work)
		cfg := emConfig{restarts: opt.Restarts, tol: opt.EMTol, maxIter: opt.EMMaxIter, seed: opt.Seed}
		if cfg.restarts <= 0 {
			cfg.restarts = 3
		}
		if cfg.tol <= 0 {
			cfg.tol = DefaultEMTol
		}
		if cfg.maxIter <= 0 {
			cfg.maxIter = DefaultEMMaxIter
		}
		ks := []int{opt.Mixture}
		if opt.Mixture == AutoMixture {
			ks = []int{1, 2, 3, 4, 5}
		}
		best := -1
		for _, k := range ks {
			mix, ll, err := fitMixture(ctx, resid, k, cfg)
			if err != nil {
				return nil, nil, err
			}
			llData := ll - float64(len(resid))*lnsc
			f := MixtureFit{K: k, LogLik: llData, BIC: -2*llData + float64(3*k-1)*math.Log(float64(len(resid)))}
			if best < 0 || f.BIC < rep.Mixture[best].BIC {
				best = len(rep.Mixture)
				m.Mix = mix
			}
			rep.Mixture = append(rep.Mixture, f)
		}
		rep.Mixture[best].Chosen = true
	}
	return m, rep, nil
}

// gaussLogLik is the maximized Gaussian log-likelihood of n residuals with
// variance sigma2 = RSS/n: −n/2 (ln(2π sigma2) + 1).
func gaussLogLik(n int, sigma2 float64) float64 {
	return -0.5 * float64(n) * (math.Log(2*math.Pi*sigma2) + 1)
}

// moments returns the mean and population standard deviation of every
// non-missing value, and their count.
func moments(series [][]float64) (mean, std float64, n int) {
	var sum float64
	for _, s := range series {
		for _, v := range s {
			if !math.IsNaN(v) {
				sum += v
				n++
			}
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = sum / float64(n)
	var ss float64
	for _, s := range series {
		for _, v := range s {
			if !math.IsNaN(v) {
				ss += (v - mean) * (v - mean)
			}
		}
	}
	return mean, math.Sqrt(ss / float64(n)), n
}

// design builds the regression of y[t] on (1, y[t−1], …, y[t−lags]) over
// the rows t ≥ start of every series whose target and lags are all
// present.
func design(series [][]float64, lags, start int) (*lsq, int, error) {
	usable := func(s []float64, t int) bool {
		for i := t - lags; i <= t; i++ {
			if math.IsNaN(s[i]) {
				return false
			}
		}
		return true
	}
	rows := 0
	for _, s := range series {
		for t := start; t < len(s); t++ {
			if usable(s, t) {
				rows++
			}
		}
	}
	if rows <= lags+1 {
		return nil, 0, fmt.Errorf("ar: %d usable rows for %d lags: too few points for the order", rows, lags)
	}
	q := newLSQ(rows, lags+1)
	ones, y := q.col(0), q.col(lags+1)
	r := 0
	for _, s := range series {
		for t := start; t < len(s); t++ {
			if !usable(s, t) {
				continue
			}
			ones[r], y[r] = 1, s[t]
			for i := 1; i <= lags; i++ {
				q.col(i)[r] = s[t-i]
			}
			r++
		}
	}
	return q, rows, nil
}

// selectOrder fits orders 0..maxLag on the common sample t ≥ maxLag and
// returns every candidate's criteria and the best order. lnsc converts the
// working units' log-likelihood to the data's.
func selectOrder(ctx context.Context, series [][]float64, maxLag int, c Criterion, lnsc float64) ([]Candidate, int, error) {
	q, nobs, err := design(series, maxLag, maxLag)
	if err != nil {
		return nil, 0, err
	}
	if err := q.factor(); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	cands := make([]Candidate, maxLag+1)
	best := 0
	for k := range cands {
		ll := gaussLogLik(nobs, q.rss(k+1)/float64(nobs)) - float64(nobs)*lnsc
		// statsmodels counts the regressors other than the constant plus
		// one here (OLS's df_model + 1), one fewer than its AutoReg
		// results do; the shift is the same for every order.
		kk := float64(k + 1)
		cands[k] = Candidate{Order: k, Nobs: nobs, LogLik: ll, AIC: -2*ll + 2*kk, BIC: -2*ll + math.Log(float64(nobs))*kk}
		if cands[k].value(c) < cands[best].value(c) {
			best = k
		}
	}
	return cands, best, nil
}

func (c Candidate) value(cr Criterion) float64 {
	if cr == BIC {
		return c.BIC
	}
	return c.AIC
}

// residuals returns the one-step residuals of every usable training row,
// in working units.
func (m *Model) residuals(series [][]float64) []float64 {
	var out []float64
	p := len(m.Coef)
	for _, s := range series {
	rows:
		for t := p; t < len(s); t++ {
			mu := m.Intercept
			for i := 1; i <= p; i++ {
				if math.IsNaN(s[t-i]) {
					continue rows
				}
				mu += m.Coef[i-1] * s[t-i]
			}
			if !math.IsNaN(s[t]) {
				out = append(out, s[t]-mu)
			}
		}
	}
	return out
}
