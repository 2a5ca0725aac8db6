package eval_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/vae"
)

// A VAE with a one-dimensional code, whose likelihood P(x) = ∫ N(z; 0, 1)
// p(x | z) dz a quadrature computes: the importance-weighted bound with
// many codes reaches it, the ELBO lies below it, and both are counted
// over the tokens eval.Run scores.
func TestRunLatentBounds(t *testing.T) {
	tok, _ := tokenize.NewChar([]rune("abcd "))
	m, err := vae.New(vae.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 8, Latent: 1}, tok.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range m.Arena().Params {
		m.Arena().Params[i] = float32(0.5 * rng.NormFloat64())
	}
	text := "ab cd\nabba\ndcd a\n"
	docs := []corpus.Doc{corpus.TextDoc("t", text)}
	ctx := context.Background()
	res, err := eval.RunLatent(ctx, m, tok, docs, eval.LatentOptions{Mode: corpus.Lines, IWSamples: 16000, Seed: 3, Reconstruct: true})
	if err != nil {
		t.Fatal(err)
	}
	lm, err := eval.Run(ctx, m, tok, docs, eval.Options{Mode: corpus.Lines})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tokens != lm.Tokens || res.Sequences != 3 || res.K != 16000 {
		t.Fatalf("%d tokens in %d sequences (eval.Run: %d)", res.Tokens, res.Sequences, lm.Tokens)
	}
	// −ln P(x) by the trapezoidal rule over z in [−9, 9].
	var nll float64
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		ids, _ := tokenize.Encode(tok, line)
		xs := append(ids, tok.Vocab().EOS())
		const n, lo, hi = 3601, -9.0, 9.0
		zs := make([][]float64, n)
		for i := range zs {
			zs[i] = []float64{lo + (hi-lo)*float64(i)/(n-1)}
		}
		ll := make([]float64, n)
		if err := m.ScoreLatents(xs, zs, ll); err != nil {
			t.Fatal(err)
		}
		var p float64
		for i, z := range zs {
			w := (hi - lo) / (n - 1)
			if i == 0 || i == n-1 {
				w /= 2
			}
			p += w * math.Exp(ll[i]-0.5*z[0]*z[0]) / math.Sqrt(2*math.Pi)
		}
		nll -= math.Log(p)
	}
	// The IW estimate's spread with this (poor) posterior is about 0.03
	// nats at K = 16000; the ELBO is 1.5 nats off.
	if math.Abs(res.NLLIW-nll) > 0.08 || res.NLLELBO < nll || math.Abs(res.Rec+res.KL-res.NLLELBO) > 1e-9 {
		t.Fatalf("−ln P %.4f: IW bound %.4f, ELBO %.4f (%.4f + %.4f)", nll, res.NLLIW, res.NLLELBO, res.Rec, res.KL)
	}
	if math.IsNaN(res.MI) || res.MISequences != 3 || len(res.UnitVar) != 1 || !(res.RecAcc >= 0 && res.RecAcc <= 1) {
		t.Fatalf("MI %v over %d, unit variances %v, accuracy %v", res.MI, res.MISequences, res.UnitVar, res.RecAcc)
	}
	t.Logf("−ln P %.4f: IW %.4f, ELBO %.4f; MI %.3f; reconstruction %.2f, prior %.2f", nll, res.NLLIW, res.NLLELBO, res.MI, res.RecAcc, res.PriorAcc)
}

// The mutual information of a code that tells the sequences apart
// perfectly is ln N; of a code that ignores them, 0. (The estimate's
// closed-form entropy against one draw per sequence leaves a spread of
// about 0.7/√N.)
func TestMutualInfoExtremes(t *testing.T) {
	tok, _ := tokenize.NewChar([]rune("ab"))
	var lines []string
	for i := range 400 {
		lines = append(lines, strings.Repeat("a", i+1))
	}
	docs := []corpus.Doc{corpus.TextDoc("t", strings.Join(lines, "\n"))}
	for _, c := range []struct {
		sep  bool
		want float64
	}{{true, math.Log(400)}, {false, 0}} {
		res, err := eval.RunLatent(context.Background(), fakeLatent{v: tok.Vocab(), sep: c.sep}, tok, docs, eval.LatentOptions{Mode: corpus.Lines, IWSamples: 2})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.MI-c.want) > 0.1 {
			t.Errorf("separating %v: MI %.6f, want %.6f", c.sep, res.MI, c.want)
		}
		if wantActive := map[bool]int{true: 1, false: 0}[c.sep]; res.ActiveUnits != wantActive {
			t.Errorf("separating %v: %d active units (variances %v)", c.sep, res.ActiveUnits, res.UnitVar)
		}
	}
}

// fakeLatent's posterior is N(10·len(x), 0.01²) when sep (the sequences'
// codes far apart), N(0, 1) otherwise; its decoder is uniform.
type fakeLatent struct {
	v   autoreg.Vocab
	sep bool
}

func (f fakeLatent) Vocab() autoreg.Vocab                          { return f.v }
func (f fakeLatent) NewState() autoreg.State                       { return nil }
func (f fakeLatent) LatentDim() int                                { return 1 }
func (f fakeLatent) WithLatent(z []float64) (autoreg.Model, error) { return nil, nil }
func (f fakeLatent) ScoreLatents(xs []autoreg.Token, zs [][]float64, dst []float64) error {
	for k := range dst {
		dst[k] = -float64(len(xs)) * math.Log(float64(f.v.Size()))
	}
	return nil
}
func (f fakeLatent) Posterior(xs []autoreg.Token, mean, logVar []float64) error {
	mean[0], logVar[0] = 0, 0
	if f.sep {
		mean[0], logVar[0] = 10*float64(len(xs)), 2*math.Log(0.01)
	}
	return nil
}
