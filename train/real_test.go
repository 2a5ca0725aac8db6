package train_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/forecast"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/train"
)

// seasonal returns a series with a period-7 pattern, an AR(1) part and a
// missing value, and its training part's mean and standard deviation.
func seasonal(n int, seed uint64) (xs []float64, mean, std float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	pattern := []float64{0, 3, 4, 2, -1, -5, -3}
	var ar float64
	xs = make([]float64, n)
	for t := range xs {
		ar = 0.6*ar + rng.NormFloat64()
		xs[t] = 50 + 2*pattern[t%7] + ar
	}
	xs[n/3] = math.NaN()
	var cnt float64
	for _, v := range xs[:n*8/10] {
		if !math.IsNaN(v) {
			mean += v
			cnt++
		}
	}
	mean /= cnt
	for _, v := range xs[:n*8/10] {
		if !math.IsNaN(v) {
			std += (v - mean) * (v - mean)
		}
	}
	return xs, mean, math.Sqrt(std / cnt)
}

var realOpts = train.Options{Batch: 4, Context: 16, Steps: 30, Accum: 2, LR: 1e-2, Warmup: 3,
	WeightDecay: 0.01, Clip: 1, Seed: 5, EvalEvery: 10, SaveEvery: 5}

func newRealRun(t *testing.T, family string, mean, std float64, o train.Options) *train.Trainer {
	t.Helper()
	h, _ := dist.ParseHead("mog:2")
	m, err := train.NewRealModel(train.Arch{Family: family, Layers: 1, Dim: 16, Heads: 2, Context: 16},
		train.Real{Head: h, Lags: []int{7}, Mean: []float64{mean}, Scale: []float64{std}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRealLearns: an LSTM on a weekly pattern gets well below the
// climatology's standardized NLL (1.42), and its validation loss is the
// one-step-ahead NLL of the validation part that package forecast measures
// through the model's states.
func TestRealLearns(t *testing.T) {
	xs, mean, std := seasonal(1200, 1)
	test := len(xs) * 8 / 10 // the validation part starts here
	o := realOpts
	o.Steps = 120
	tr := newRealRun(t, "lstm", mean, std, o)
	data := train.Data{Series: []train.Series{{Values: xs, Train: test}}}
	if err := tr.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	last := tr.History[len(tr.History)-1]
	if !last.HasVal || last.ValLoss > 1.1 {
		t.Errorf("after %d steps: train %.3f, validation %.3f", tr.Step, last.Loss, last.ValLoss)
	}
	m := tr.Model.(train.RealModel)
	res, err := forecast.Evaluate(context.Background(), m, []forecast.Data{{Values: xs, Train: test}}, forecast.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.ValidateReal(data.Series); math.Abs(got-res.NLLStd) > 1e-5 {
		t.Errorf("validation loss %.7f, forecast's standardized NLL %.7f", got, res.NLLStd)
	}
}

// TestRealResumeExact: a real-valued run resumed from a checkpoint logs the
// same losses, bit for bit, as one that never stopped, for a recurrent
// model (streams and carried state) under another GOMAXPROCS.
func TestRealResumeExact(t *testing.T) {
	xs, mean, std := seasonal(900, 3)
	// Two series: the second without a validation part.
	data := train.Data{Series: []train.Series{{Values: xs[:600], Train: 500}, {Values: xs[600:], Train: 300}}}
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.arm")
	full := newRealRun(t, "gru", mean, std, realOpts)
	meta, err := train.RealMeta(full.Model.(train.RealModel), []string{"value"}, "")
	if err != nil {
		t.Fatal(err)
	}
	full.Checkpoint = func(tr *train.Trainer, r train.SaveReason) (string, error) {
		if r == train.SaveBest || tr.Step != 15 {
			return "", nil
		}
		return snap, tr.Save(snap, meta, nil, true)
	}
	if err := full.Run(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	f, err := modelfile.ReadAny(snap)
	if err != nil {
		t.Fatal(err)
	}
	if f.Real == nil || f.Meta.Family != "gru-real" {
		t.Fatalf("checkpoint of family %q holds %T", f.Meta.Family, f.Real)
	}
	checkResume(t, full, snap, data, 15)
}

func TestRealDataErrors(t *testing.T) {
	xs, mean, std := seasonal(100, 1)
	tr := newRealRun(t, "lstm", mean, std, realOpts)
	for _, data := range []train.Data{
		{},
		{Series: []train.Series{{Values: xs[:20], Train: 20}}},
		{Series: []train.Series{{Values: xs, Train: 200}}},
	} {
		if err := tr.Run(context.Background(), data); err == nil {
			t.Errorf("%d series: no error", len(data.Series))
		}
	}
}

// TestRealLearnsGPT: a GPT on the weekly pattern gets well below the
// climatology's standardized NLL (1.42) on its validation part.
func TestRealLearnsGPT(t *testing.T) {
	xs, mean, std := seasonal(1200, 1)
	o := realOpts
	o.Steps = 120
	tr := newRealRun(t, "gpt", mean, std, o)
	if err := tr.Run(context.Background(), train.Data{Series: []train.Series{{Values: xs, Train: len(xs) * 8 / 10}}}); err != nil {
		t.Fatal(err)
	}
	if last := tr.History[len(tr.History)-1]; !last.HasVal || last.ValLoss > 1.1 {
		t.Errorf("after %d steps: train %.3f, validation %.3f", tr.Step, last.Loss, last.ValLoss)
	}
}
