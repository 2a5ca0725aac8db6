package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/rnn"
)

var (
	_ RowWeighted = (*gpt.RealModel)(nil)
	_ RowWeighted = (*rnn.RealModel)(nil)
)

// crpsDiscrete is the CRPS of the distribution putting mass q[k] on x[k]
// against y, by its definition ∫ (F(v) − 1{v ≥ y})² dv, integrated
// exactly over the pieces between the sorted points.
func crpsDiscrete(x, q []float64, y float64) float64 {
	pts := append(slices.Clone(x), y)
	sort.Float64s(pts)
	var sum float64
	for i := 0; i+1 < len(pts); i++ {
		lo, hi := pts[i], pts[i+1]
		var F float64
		for k, v := range x {
			if v <= lo {
				F += q[k]
			}
		}
		if y <= lo {
			F -= 1
		}
		sum += F * F * (hi - lo)
	}
	return sum
}

// The risk of the forecast form is the CRPS of the weighted paths,
// averaged over the steps, against the reference: the definition's
// integral agrees, missing reference values are skipped, and the weights
// are those of mrtGrad.
func TestCRPSRiskIsCRPS(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const B, K, n = 3, 5, 6
	s := &mrtReal{}
	s.z, s.zref, s.logp = make([]float64, B*K*n), make([]float64, B*n), make([]float64, B*K)
	s.w = make([]float32, B*K)
	for i := range s.z {
		s.z[i] = rng.NormFloat64()
	}
	for i := range s.zref {
		s.zref[i] = rng.NormFloat64()
	}
	s.zref[2], s.zref[n+5] = math.NaN(), math.NaN()
	for i := range s.logp {
		s.logp[i] = -10 + 3*rng.NormFloat64()
	}
	for b := range B {
		for range K {
			s.group = append(s.group, b)
		}
	}
	const alpha = 0.6
	risk := s.crpsWeights(B, K, n, alpha, 1)
	q := mrtQ(s.logp, s.group, B, alpha)
	for b := range B {
		var want float64
		seen := 0
		for j := range n {
			y := s.zref[b*n+j]
			if math.IsNaN(y) {
				continue
			}
			x := make([]float64, K)
			for k := range K {
				x[k] = s.z[(b*K+k)*n+j]
			}
			want += crpsDiscrete(x, q[b*K:(b+1)*K], y)
			seen++
		}
		want /= float64(seen)
		if math.Abs(risk[b]-want) > 1e-12 {
			t.Errorf("origin %d: risk %.15g, CRPS by its definition %.15g", b, risk[b], want)
		}
	}
	// The weights are the derivative of the risk with respect to the
	// log-probabilities (times −1: the backward pass weights −log P).
	const h = 1e-6
	for i := range s.logp {
		old := s.logp[i]
		s.logp[i] = old + h
		up := s.crpsWeights(B, K, n, alpha, 1)[s.group[i]]
		s.logp[i] = old - h
		down := s.crpsWeights(B, K, n, alpha, 1)[s.group[i]]
		s.logp[i] = old
		s.crpsWeights(B, K, n, alpha, 1)
		if num := (up - down) / (2 * h); math.Abs(num+float64(s.w[i])) > 1e-6 {
			t.Errorf("path %d: weight %g, −∂R/∂log P %g", i, s.w[i], -num)
		}
	}
}

// The gradient minimum risk training of a forecasting model
// back-propagates (path weights through BackwardRows) is the gradient of
// the risk, the CRPS of the weighted paths, for a fixed set of paths:
// central differences agree on the parameters with the largest gradients,
// for a feed-forward and a recurrent family. BackwardRows with one weight
// everywhere is Backward.
func TestMRTRealGradient(t *testing.T) {
	head, _ := dist.ParseHead("mog:2")
	spec := realio.Spec{Head: head, Lags: []int{3}, Mean: []float64{1}, Scale: []float64{2}, Highway: true}
	g, err := gpt.NewReal(gpt.Config{Layers: 1, Dim: 8, Heads: 2, Context: 8}, spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rnn.NewReal(rnn.Config{Cell: rnn.GRU, Layers: 1, Hidden: 8}, spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []RealModel{g, r} {
		t.Run(familyName(m), func(t *testing.T) {
			const B, K, T, H = 2, 4, 8, 3
			P, L := m.Past(), T-H
			rng := rand.New(rand.NewPCG(5, 5))
			x, y := make([]float64, B*K*(P+T)), make([]float64, B*K*T)
			s := &mrtReal{zref: make([]float64, B*H), z: make([]float64, B*K*H), w: make([]float32, B*K)}
			for b := range B {
				hist := make([]float64, P+T)
				for i := range hist {
					hist[i] = 1 + 2*rng.NormFloat64()
				}
				for h := range H {
					s.zref[b*H+h] = rng.NormFloat64()
				}
				for k := range K {
					row := b*K + k
					copy(x[row*(P+T):], hist)
					for j := range T {
						y[row*T+j] = math.NaN()
					}
					for h := range H {
						v := 1 + 2*rng.NormFloat64()
						y[row*T+L+h] = v
						if L+h+1 < T {
							x[row*(P+T)+P+L+h+1] = v
						}
						s.z[row*H+h] = (v - 1) / 2
					}
					s.group = append(s.group, b)
				}
			}
			const alpha = 0.8
			risk := func() float64 {
				if rec, ok := m.(Recurrent); ok {
					clear(rec.Carry(B * K))
				}
				m.Forward(x, y, B*K, T, nil)
				s.logp = rowLogProbs(s.logp, m.(RowWeighted).Losses(), B*K, T)
				var sum float64
				for _, v := range s.crpsWeights(B, K, H, alpha, 1) {
					sum += v
				}
				return sum
			}
			a := m.Arena()
			// A rich starting point: random weights of a useful size.
			wr := rand.New(rand.NewPCG(6, 6))
			for i := range a.Params {
				a.Params[i] = float32(0.3 * wr.NormFloat64())
			}
			checkRiskGradient(t, a, risk, func() { m.(RowWeighted).BackwardRows(s.w) })
			// BackwardRows(0.5 everywhere) = Backward(0.5), bit for bit.
			half := make([]float32, B*K)
			for i := range half {
				half[i] = 0.5
			}
			grad := make([]float32, len(a.Grads))
			for _, rows := range []bool{true, false} {
				clear(a.Grads)
				risk()
				if rows {
					m.(RowWeighted).BackwardRows(half)
					copy(grad, a.Grads)
				} else {
					m.Backward(0.5)
				}
			}
			if !slices.Equal(grad, a.Grads) {
				t.Error("BackwardRows with equal weights differs from Backward")
			}
		})
	}
}
