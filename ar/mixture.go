package ar

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// Mixture is a Gaussian mixture for the innovations ε_t = x_t − μ_t in the
// model's working units: ε ~ Σ_k Weights[k] N(Means[k], Vars[k]).
type Mixture struct {
	Weights, Means, Vars []float64
}

// K is the number of components.
func (m *Mixture) K() int { return len(m.Weights) }

// Mean is Σ_k w_k m_k, the offset the mixture adds to μ_t.
func (m *Mixture) Mean() float64 {
	var s float64
	for k, w := range m.Weights {
		s += w * m.Means[k]
	}
	return s
}

// EM settings. The defaults are scikit-learn's GaussianMixture's, whose
// fits define the "AR + GMM head" anchors: stop when the mean
// log-likelihood per point changes by less than 1e-3, or after 100
// iterations. The variance floor is relative to the data's variance, so
// that the fit is equivariant under rescaling (sklearn adds an absolute
// 1e-6).
const (
	DefaultEMTol     = 1e-3
	DefaultEMMaxIter = 100
	emVarFloor       = 1e-6 // × the data's variance, added to every variance
	lloydIter        = 300
)

// emConfig is how EM runs.
type emConfig struct {
	restarts int
	tol      float64 // on the mean log-likelihood per point
	maxIter  int
	seed     uint64
}

// fitMixture fits a K-component Gaussian mixture to x by expectation–
// maximization (Dempster, Laird and Rubin 1977), from restarts seeded
// k-means++ starts (Arthur and Vassilvitskii 2007) each refined by Lloyd's
// iterations. It keeps the run whose last E-step had the highest
// log-likelihood (as sklearn does) and returns it with the log-likelihood
// of x under its final parameters.
func fitMixture(ctx context.Context, x []float64, k int, cfg emConfig) (*Mixture, float64, error) {
	n := float64(len(x))
	var mean, ss float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	floor := emVarFloor * ss / n
	resp := make([]float64, len(x)*k)
	var best *Mixture
	bestLL := math.Inf(-1)
	for r := range cfg.restarts {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rng := rand.New(rand.NewPCG(cfg.seed, uint64(k)<<32|uint64(r)))
		mix := kmeansStart(x, k, floor, rng)
		ll := em(x, mix, floor, resp, cfg)
		if ll > bestLL || best == nil {
			best, bestLL = mix, ll
		}
	}
	return best, mixtureLogLik(x, best, resp), nil
}

// kmeansStart seeds k centres by k-means++ (each next centre drawn with
// probability proportional to the squared distance to the nearest centre
// so far), runs Lloyd's iterations, and returns the clusters' weights,
// means and variances.
func kmeansStart(x []float64, k int, floor float64, rng *rand.Rand) *Mixture {
	centres := []float64{x[rng.IntN(len(x))]}
	d2 := make([]float64, len(x))
	for len(centres) < k {
		var total float64
		for i, v := range x {
			d2[i] = math.Inf(1)
			for _, c := range centres {
				d2[i] = math.Min(d2[i], (v-c)*(v-c))
			}
			total += d2[i]
		}
		if total == 0 {
			centres = append(centres, centres[0])
			continue
		}
		u := rng.Float64() * total
		pick := len(x) - 1
		for i, d := range d2 {
			if u < d {
				pick = i
				break
			}
			u -= d
		}
		centres = append(centres, x[pick])
	}
	assign := make([]int, len(x))
	sums := make([]float64, k)
	counts := make([]float64, k)
	for it := range lloydIter {
		changed := it == 0
		for i, v := range x {
			b := 0
			for c := 1; c < k; c++ {
				if math.Abs(v-centres[c]) < math.Abs(v-centres[b]) {
					b = c
				}
			}
			if assign[i] != b {
				assign[i], changed = b, true
			}
		}
		if !changed {
			break
		}
		clear(sums)
		clear(counts)
		for i, v := range x {
			sums[assign[i]] += v
			counts[assign[i]]++
		}
		for c := range centres {
			if counts[c] > 0 {
				centres[c] = sums[c] / counts[c]
			}
		}
	}
	m := &Mixture{Weights: make([]float64, k), Means: slices.Clone(centres), Vars: make([]float64, k)}
	clear(counts)
	for i, v := range x {
		c := assign[i]
		counts[c]++
		m.Vars[c] += (v - centres[c]) * (v - centres[c])
	}
	n := float64(len(x))
	for c := range k {
		// An empty cluster starts as a broad component with a tiny weight.
		m.Weights[c] = (counts[c] + 10*epsilon) / (n + float64(k)*10*epsilon)
		if counts[c] > 0 {
			m.Vars[c] = m.Vars[c]/counts[c] + floor
		} else {
			m.Vars[c] = floor * 1e6
		}
	}
	return m
}

// epsilon is float64's machine epsilon; EM adds 10ε to every component's
// mass (as sklearn does) so that none becomes exactly empty.
const epsilon = 0x1p-52

// em runs EM from m, updating it in place: each iteration is an E-step
// (responsibilities and the log-likelihood under the current parameters)
// and an M-step, until the mean log-likelihood changes by less than
// cfg.tol or after cfg.maxIter iterations. It returns the last E-step's
// log-likelihood. resp is scratch for len(x)·K responsibilities.
func em(x []float64, m *Mixture, floor float64, resp []float64, cfg emConfig) float64 {
	k := m.K()
	n := float64(len(x))
	ll := math.Inf(-1)
	for range cfg.maxIter {
		prev := ll
		ll = mixtureLogLik(x, m, resp)
		for c := range k {
			var nk, sx float64
			for i, v := range x {
				nk += resp[i*k+c]
				sx += resp[i*k+c] * v
			}
			nk += 10 * epsilon
			mu := sx / nk
			var sv float64
			for i, v := range x {
				sv += resp[i*k+c] * (v - mu) * (v - mu)
			}
			m.Weights[c] = nk / n
			m.Means[c] = mu
			m.Vars[c] = sv/nk + floor
		}
		var tw float64
		for _, w := range m.Weights {
			tw += w
		}
		for c := range m.Weights {
			m.Weights[c] /= tw
		}
		if math.Abs(ll-prev) < cfg.tol*n {
			break
		}
	}
	return ll
}

// mixtureLogLik returns the log-likelihood of x under m and writes the
// responsibilities into resp (len(x)·K).
func mixtureLogLik(x []float64, m *Mixture, resp []float64) float64 {
	k := m.K()
	var logW, logNorm, inv [MaxMixture]float64
	for c := range k {
		logW[c] = math.Log(m.Weights[c])
		logNorm[c] = -0.5 * math.Log(2*math.Pi*m.Vars[c])
		inv[c] = 0.5 / m.Vars[c]
	}
	var ll float64
	for i, v := range x {
		r := resp[i*k : (i+1)*k]
		best := math.Inf(-1)
		for c := range k {
			d := v - m.Means[c]
			r[c] = logW[c] + logNorm[c] - d*d*inv[c]
			best = math.Max(best, r[c])
		}
		var s float64
		for c := range k {
			r[c] = math.Exp(r[c] - best)
			s += r[c]
		}
		for c := range k {
			r[c] /= s
		}
		ll += best + math.Log(s)
	}
	return ll
}
