package dist

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is a family of output distributions.
type Kind uint8

// The kinds of [Head].
const (
	KindGaussian            Kind = iota + 1 // "gaussian"
	KindStudentT                            // "student-t"
	KindGaussianMixture                     // "mog:K"
	KindDiscretizedLogistic                 // "dlogistic:K"
)

// Limits of the raw parametrization.
const (
	// MinLogScale and MaxLogScale bound ln σ (ln s for the logistic): a
	// raw scale outside is clamped and gets a zero gradient, as PixelCNN++
	// clamps its log scales. The bounds keep every NLL and gradient finite
	// for finite float32 inputs; in standardized units (or a grid of unit
	// bins) σ ∈ [2.1e-9, 4.9e8] is never binding in practice.
	MinLogScale = -20
	MaxLogScale = 20
	// MaxComponents bounds K for the mixtures.
	MaxComponents = 64
)

// Head is a parametrization of a distribution family by unconstrained
// network outputs ("raw" values). For each dimension of a step the network
// emits [Head.Params] raw values, dimension after dimension; within one
// dimension's block:
//
//	gaussian      μ, ln σ
//	student-t     μ, ln σ, ν̃        with ν = 2 + softplus(ν̃) > 2 (finite variance)
//	mog:K         ℓ_1…ℓ_K, μ_1…μ_K, ln σ_1…ln σ_K        w = softmax(ℓ)
//	dlogistic:K   ℓ_1…ℓ_K, μ_1…μ_K, ln s_1…ln s_K        w = softmax(ℓ), over Grid
//
// Scales are clamped to [MinLogScale, MaxLogScale] in log space.
type Head struct {
	Kind Kind
	K    int  // components (mixtures); 1 for gaussian and student-t
	Grid Grid // dlogistic's bins; unused otherwise
}

// ParseHead parses "gaussian", "student-t", "mog:K" or "dlogistic:K"
// (1 ≤ K ≤ MaxComponents). A dlogistic head still needs its Grid set.
func ParseHead(s string) (Head, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	var h Head
	switch name {
	case "gaussian":
		h = Head{Kind: KindGaussian, K: 1}
	case "student-t":
		h = Head{Kind: KindStudentT, K: 1}
	case "mog":
		h = Head{Kind: KindGaussianMixture}
	case "dlogistic":
		h = Head{Kind: KindDiscretizedLogistic}
	default:
		return Head{}, fmt.Errorf("dist: unknown head %q (want gaussian, student-t, mog:K or dlogistic:K)", s)
	}
	if h.K == 1 {
		if hasArg {
			return Head{}, fmt.Errorf("dist: head %q takes no component count", name)
		}
		return h, nil
	}
	k, err := strconv.Atoi(arg)
	if !hasArg || err != nil || k < 1 || k > MaxComponents {
		return Head{}, fmt.Errorf("dist: head %q: want %s:K with K in 1..%d", s, name, MaxComponents)
	}
	h.K = k
	return h, nil
}

// Check reports a head no distribution can have: an unknown kind, K
// outside 1..MaxComponents (or not 1 for gaussian and student-t), or a
// dlogistic head without a valid grid (N ≥ 1 bins of a positive, finite
// step, every centre finite).
func (h Head) Check() error {
	switch h.Kind {
	case KindGaussian, KindStudentT:
		if h.K != 1 {
			return fmt.Errorf("dist: head %s with %d components", h, h.K)
		}
		return nil
	case KindGaussianMixture, KindDiscretizedLogistic:
		if h.K < 1 || h.K > MaxComponents {
			return fmt.Errorf("dist: head %s: K must be in 1..%d", h, MaxComponents)
		}
		if h.Kind == KindDiscretizedLogistic && !h.Grid.valid() {
			return fmt.Errorf("dist: head %s: invalid grid %+v", h, h.Grid)
		}
		return nil
	}
	return fmt.Errorf("dist: unknown head kind %d", h.Kind)
}

// String is the head's name as ParseHead reads it.
func (h Head) String() string {
	switch h.Kind {
	case KindGaussian:
		return "gaussian"
	case KindStudentT:
		return "student-t"
	case KindGaussianMixture:
		return "mog:" + strconv.Itoa(h.K)
	case KindDiscretizedLogistic:
		return "dlogistic:" + strconv.Itoa(h.K)
	}
	return fmt.Sprintf("Kind(%d)", h.Kind)
}

// Params is the number of raw values per dimension.
func (h Head) Params() int {
	switch h.Kind {
	case KindGaussian:
		return 2
	case KindStudentT:
		return 3
	case KindGaussianMixture, KindDiscretizedLogistic:
		return 3 * h.K
	}
	panic("dist: Head.Params: unknown kind")
}

// New allocates a distribution of dimension dim for [Head.Fill].
func (h Head) New(dim int) Dist {
	switch h.Kind {
	case KindGaussian:
		return NewGaussian(dim)
	case KindStudentT:
		return NewStudentT(dim)
	case KindGaussianMixture:
		return NewGaussianMixture(dim, h.K)
	case KindDiscretizedLogistic:
		return NewDiscretizedLogistic(dim, h.K, h.Grid)
	}
	panic("dist: Head.New: unknown kind")
}

func clampLogScale(ls float64) float64 {
	return math.Max(MinLogScale, math.Min(MaxLogScale, ls))
}

// Fill sets d (made by [Head.New] with the same head) from raw outputs,
// len(raw) = d.Dim()·Params(). It does not allocate.
func (h Head) Fill(d Dist, raw []float32) {
	np := h.Params()
	if len(raw) != d.Dim()*np {
		panic("dist: Head.Fill: raw length is not Dim·Params")
	}
	switch t := d.(type) {
	case *Gaussian:
		for i := range t.Mu {
			t.Mu[i] = float64(raw[2*i])
			t.Sigma[i] = math.Exp(clampLogScale(float64(raw[2*i+1])))
		}
	case *StudentT:
		for i := range t.Mu {
			t.Mu[i] = float64(raw[3*i])
			t.Sigma[i] = math.Exp(clampLogScale(float64(raw[3*i+1])))
			t.Nu[i] = 2 + softplus(float64(raw[3*i+2]))
		}
	case *GaussianMixture:
		fillMixture(t.LogW, t.Mu, t.Sigma, raw, h.K)
	case *DiscretizedLogistic:
		fillMixture(t.LogW, t.Mu, t.S, raw, h.K)
	default:
		panic("dist: Head.Fill: not a distribution of this head")
	}
}

// fillMixture converts blocks of (logits, locations, log scales) into
// normalized log weights, locations and scales.
func fillMixture(logW, mu, scale []float64, raw []float32, k int) {
	for i := 0; i*k < len(logW); i++ {
		blk := raw[3*k*i : 3*k*(i+1)]
		lw := logW[i*k : (i+1)*k]
		for j := range lw {
			lw[j] = float64(blk[j])
		}
		z := logSumExp(lw)
		for j := range lw {
			lw[j] -= z
			mu[i*k+j] = float64(blk[k+j])
			scale[i*k+j] = math.Exp(clampLogScale(float64(blk[2*k+j])))
		}
	}
}

// NLLGrad returns −ln p(x) summed over the dimensions of a step (a bin's
// mass for dlogistic, a density otherwise) under the distribution the raw
// outputs define, and writes its gradient with respect to raw into grad.
// len(raw) = len(grad) = len(x)·Params(). A NaN in x is a missing value: it
// adds nothing and its block of grad is zero. Gradients too large for
// float32 saturate at ±MaxFloat32. It does not allocate.
func (h Head) NLLGrad(grad, raw, x []float32) float64 {
	np := h.Params()
	if len(raw) != len(x)*np || len(grad) != len(raw) {
		panic("dist: Head.NLLGrad: raw and grad must hold Params values per dimension of x")
	}
	var p, g [3 * MaxComponents]float64
	var nll float64
	for i, xi := range x {
		gb := grad[i*np : (i+1)*np]
		if math.IsNaN(float64(xi)) {
			clear(gb)
			continue
		}
		for j, v := range raw[i*np : (i+1)*np] {
			p[j] = float64(v)
		}
		nll += h.blockNLLGrad(g[:np], p[:np], float64(xi))
		for j := range gb {
			gb[j] = saturate32(g[j])
		}
	}
	return nll
}

func saturate32(v float64) float32 {
	switch {
	case v > math.MaxFloat32:
		return math.MaxFloat32
	case v < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return float32(v)
}

// blockNLLGrad is NLLGrad for one dimension in float64: p holds the
// dimension's raw values, g receives the gradient.
func (h Head) blockNLLGrad(g, p []float64, x float64) float64 {
	switch h.Kind {
	case KindGaussian:
		nll, dmu, dls := gaussNLLGrad(x, p[0], p[1])
		g[0], g[1] = dmu, dls
		return nll
	case KindStudentT:
		nll, dmu, dls, dnu := studentNLLGrad(x, p[0], p[1], p[2])
		g[0], g[1], g[2] = dmu, dls, dnu
		return nll
	case KindGaussianMixture:
		return mixtureNLLGrad(g, p, h.K, func(k int) (float64, float64, float64) {
			lp, dmu, dls := gaussNLLGrad(x, p[h.K+k], p[2*h.K+k])
			return -lp, -dmu, -dls
		})
	case KindDiscretizedLogistic:
		j := h.Grid.Bin(x)
		return mixtureNLLGrad(g, p, h.K, func(k int) (float64, float64, float64) {
			return logBinMassGrad(h.Grid, j, p[h.K+k], p[2*h.K+k])
		})
	}
	panic("dist: unknown head kind")
}

// gaussNLLGrad is −ln N(x; μ, e^{2ls}) and its partial derivatives in μ and
// in the raw log scale ls (zero where ls is clamped).
func gaussNLLGrad(x, mu, ls float64) (nll, dmu, dls float64) {
	lc := clampLogScale(ls)
	inv := math.Exp(-lc)
	z := (x - mu) * inv
	nll = 0.5*z*z + lc + halfLn2Pi
	dmu = -z * inv
	if lc == ls {
		dls = 1 - z*z
	}
	return nll, dmu, dls
}

// studentNLLGrad is −ln t(x; μ, σ = e^{ls}, ν = 2 + softplus(nr)) and its
// partial derivatives in μ, ls and nr:
//
//	∂/∂z  = (ν+1) z/(ν + z²)
//	∂/∂ν  = ½ψ(ν/2) − ½ψ((ν+1)/2) + 1/(2ν) + ½ ln(1 + z²/ν) − (ν+1) z²/(2ν(ν + z²))
func studentNLLGrad(x, mu, ls, nr float64) (nll, dmu, dls, dnr float64) {
	lc := clampLogScale(ls)
	inv := math.Exp(-lc)
	nu := 2 + softplus(nr)
	z := (x - mu) * inv
	l := log1pSqOver(z, nu)
	nll = -studentLogNorm(nu) + lc + 0.5*(nu+1)*l
	var dz, zdz, frac float64 // ∂/∂z, z·∂/∂z, z²/(ν+z²)
	if az := math.Abs(z); az > 1e150 {
		dz = (nu + 1) / (nu/z + z)
		frac = 1
	} else {
		dz = (nu + 1) * z / (nu + z*z)
		frac = z * z / (nu + z*z)
	}
	zdz = (nu + 1) * frac
	dmu = -dz * inv
	if lc == ls {
		dls = 1 - zdz
	}
	dnu := 0.5*digamma(0.5*nu) - 0.5*digamma(0.5*(nu+1)) + 0.5/nu + 0.5*l - 0.5*(nu+1)*frac/nu
	dnr = dnu * sigmoid(nr)
	return nll, dmu, dls, dnr
}

// logBinMassGrad is ln P(bin j) of a discretized logistic with location mu
// and raw log scale ls, and its partial derivatives in mu and ls. With a,
// b the standardized upper and lower edges and Δ = a − b:
//
//	middle bin:  ∂/∂μ = −(σ(−a) − σ(b))/s,   ∂/∂ls = −a σ(−a) + b σ(b) − Δ/(e^Δ − 1)
//	first bin:   ∂/∂μ = −σ(−a)/s,            ∂/∂ls = −a σ(−a)
//	last bin:    ∂/∂μ = σ(b)/s,              ∂/∂ls = b σ(b)
func logBinMassGrad(g Grid, j int, mu, ls float64) (lp, dmu, dls float64) {
	if g.N == 1 {
		return 0, 0, 0
	}
	lc := clampLogScale(ls)
	s := math.Exp(lc)
	c := g.Centre(j)
	h := 0.5 * g.Step
	a := (c + h - mu) / s
	b := (c - h - mu) / s
	switch j {
	case 0:
		lp = logSigmoid(a)
		sa := sigmoid(-a)
		dmu, dls = -sa/s, -a*sa
	case g.N - 1:
		lp = logSigmoid(-b)
		sb := sigmoid(b)
		dmu, dls = sb/s, b*sb
	default:
		delta := g.Step / s
		lp = logSigmoid(a) + logSigmoid(-b) + log1mExpNeg(delta)
		sa, sb := sigmoid(-a), sigmoid(b)
		dmu = -(sa - sb) / s
		dls = -a*sa + b*sb - delta/math.Expm1(delta)
	}
	if lc != ls {
		dls = 0
	}
	return lp, dmu, dls
}

// mixtureNLLGrad is −ln Σ_k softmax(ℓ)_k p_k for a mixture whose block p is
// (ℓ_1…ℓ_K, μ_1…μ_K, ls_1…ls_K); comp(k) returns ln p_k and its partials
// in μ_k and ls_k. With responsibilities r_k ∝ w_k p_k, the gradient is
// softmax(ℓ)_k − r_k for the logits and −r_k·∂ln p_k for the rest.
func mixtureNLLGrad(g, p []float64, K int, comp func(k int) (float64, float64, float64)) float64 {
	var lw, lpk, dmu, dls [MaxComponents]float64
	copy(lw[:K], p[:K])
	z := logSumExp(lw[:K])
	for k := range K {
		lw[k] -= z
		lpk[k], dmu[k], dls[k] = comp(k)
		lpk[k] += lw[k]
	}
	total := logSumExp(lpk[:K])
	for k := range K {
		var r float64
		if !math.IsInf(total, -1) {
			r = math.Exp(lpk[k] - total)
		}
		g[k] = math.Exp(lw[k]) - r
		g[K+k] = -r * dmu[k]
		g[2*K+k] = -r * dls[k]
	}
	return -total
}
