package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/pixelcnn"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavenet"
)

// recorder is a token model that records the inputs and the predictions
// of every Forward.
type recorder struct {
	Model
	xs    [][]int32
	probs [][][]float32 // per call, per row·T + t
	B, T  []int
}

func (r *recorder) Forward(x, y []int32, B, T int, rng *rand.Rand) (float64, int) {
	s, n := r.Model.Forward(x, y, B, T, rng)
	r.xs = append(r.xs, slices.Clone(x[:B*T]))
	r.B, r.T = append(r.B, B), append(r.T, T)
	var ps [][]float32
	for b := range B {
		for t := range T {
			if y[b*T+t] == Ignore {
				ps = append(ps, nil) // nothing predicted (a PixelCNN's <s>)
				continue
			}
			ps = append(ps, slices.Clone(r.Model.(Predictor).Probs(b, t)))
		}
	}
	r.probs = append(r.probs, ps)
	return s, n
}

func (r *recorder) Probs(b, t int) []float32 { return r.Model.(Predictor).Probs(b, t) }

// recurrentRecorder is a recorder of a recurrent model.
type recurrentRecorder struct{ *recorder }

func (r recurrentRecorder) Carry(B int) []float32 { return r.Model.(Recurrent).Carry(B) }

func argmaxBut(p []float32, skip int) int32 {
	best := -1
	for i, v := range p {
		if i != skip && (best < 0 || v > p[best]) {
			best = i
		}
	}
	return int32(best)
}

func exposureCorpus(v autoreg.Vocab, n int) []autoreg.Token {
	rng := rand.New(rand.NewPCG(1, 2))
	toks := []autoreg.Token{v.BOS()}
	for len(toks) < n {
		toks = append(toks, autoreg.Token(rng.IntN(v.Base)))
		if rng.IntN(40) == 0 {
			toks = append(toks, v.EOS(), v.BOS())
		}
	}
	return toks
}

// The second pass of the two-pass form reads exactly the mixture the
// trainer reports: at every input it marks as fed, the first pass's
// prediction there (greedy: its most probable token), elsewhere the true
// input; the reported fraction is the marked inputs' among the eligible.
// The token-by-token form of a recurrent model feeds step t+1 from the
// prediction of step t given the inputs mixed before it.
func TestMixtureIsWhatIsReported(t *testing.T) {
	v := autoreg.Vocab{Base: 10}
	toks := exposureCorpus(v, 3000)
	g, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 16}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := rnn.New(rnn.Config{Cell: rnn.GRU, Layers: 1, Hidden: 16}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wavenet.New(wavenet.Config{Layers: 3, Stacks: 1, Residual: 8, Gate: 8, Skip: 16}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Images for a PixelCNN: 4×4, 3 levels, every row a whole image.
	shape := tokenize.Shape{Height: 4, Width: 4, Channels: 1}
	pv := autoreg.Vocab{Base: 3}
	p, err := pixelcnn.New(pixelcnn.Config{Layers: 2, Channels: 8, Kernel: 3, FirstKernel: 3, Hidden: 8, Image: shape}, pv, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	var imgs [][]autoreg.Token
	for range 20 {
		im := []autoreg.Token{pv.BOS()}
		for range 16 {
			im = append(im, autoreg.Token(rng.IntN(3)))
		}
		imgs = append(imgs, im)
	}
	for _, c := range []struct {
		m    Model
		data Data
		T    int
	}{
		{&recorder{Model: g}, Data{Train: toks}, 16},
		{recurrentRecorder{&recorder{Model: l}}, Data{Train: toks}, 16},
		{&recorder{Model: w}, Data{Train: toks}, 16},
		{&recorder{Model: p}, Data{TrainSeqs: fixedSeqs(imgs)}, 16},
	} {
		m := c.m
		bos := int(m.Vocab().BOS())
		o := Options{Batch: 3, Context: c.T, Steps: 3, LR: 1e-3, Seed: 3,
			ScheduledSampling: &Sampling{Schedule: "linear", Floor: 0, Steps: 2, Greedy: true}}
		tr, err := New(m, o)
		if err != nil {
			t.Fatal(err)
		}
		var rec *recorder
		switch m := m.(type) {
		case *recorder:
			rec = m
		case recurrentRecorder:
			rec = m.recorder
		}
		tr.OnStep = func(p Progress) {
			if p.Step == 1 {
				rec.xs, rec.probs, rec.B, rec.T = nil, nil, nil, nil
				return
			}
			B, T := o.Batch, o.Context
			train := rec.xs[len(rec.xs)-1]
			mask := tr.exp.fedMask
			fed := 0
			for b := range B {
				for i := 1; i < T; i++ {
					k := b*T + i
					var want int32
					switch {
					case !mask[k]:
						continue
					case rec.T[0] == T: // two passes: the first predicted every position
						want = argmaxBut(rec.probs[0][b*T+i-1], bos)
					default: // token by token: call i−1 predicted step i
						want = argmaxBut(rec.probs[i-1][b], bos)
						if i < T-1 && rec.xs[i][b] != train[k] {
							t.Fatalf("%T: step %d of row %d: the stepping pass read %d, training %d", m, i, b, rec.xs[i][b], train[k])
						}
					}
					fed++
					if train[k] != want {
						t.Fatalf("%T: row %d input %d: trained on %d, fed %d", m, b, i, train[k], want)
					}
				}
			}
			if tr.exp.eps != o.ScheduledSampling.Epsilon(p.Step-1, o.Steps) || p.Parts["ss_fed"] != float64(fed)/float64(tr.exp.eligible) || fed < 5 {
				t.Fatalf("%T: ε %g, reported %g, marked %d of %d", m, tr.exp.eps, p.Parts["ss_fed"], fed, tr.exp.eligible)
			}
			if rec.T[0] == T && len(rec.xs) != 2 || rec.T[0] == 1 && len(rec.xs) != T {
				t.Fatalf("%T: %d forward passes", m, len(rec.xs))
			}
			// Unmarked inputs are the truth: the two-pass form's first
			// pass read it.
			if rec.T[0] == T {
				for k, x := range train {
					if !mask[k] && x != rec.xs[0][k] {
						t.Fatalf("%T: unmarked input %d changed", m, k)
					}
				}
			}
			rec.xs, rec.probs, rec.B, rec.T = nil, nil, nil, nil
		}
		if err := tr.Run(context.Background(), c.data); err != nil {
			t.Fatal(err)
		}
	}
}

// The measured noise rates match the requested ones, and every target is
// the true element after the last clean token read.
func TestNoiseRates(t *testing.T) {
	const base, T, B = 1 << 30, 64, 400
	for _, whole := range []bool{false, true} {
		tr := &Trainer{Opts: Options{InputNoise: &Noise{Replace: 0.1, Delete: 0.05, Insert: 0.08}}}
		tr.exp.src = newExposureSource(9)
		tr.exp.rng = rand.New(tr.exp.src)
		x, y := make([]int32, B*T), make([]int32, B*T)
		clean := 0
		for b := range B {
			n := T
			if whole {
				n = T / 2 // room for insertions
			}
			for i := range T {
				x[b*T+i], y[b*T+i] = int32(b*T+i), int32(b*T+i+1)
				if i >= n {
					x[b*T+i], y[b*T+i] = base, Ignore // a special input, no target
				}
			}
			clean += n
		}
		targets := tr.noiseTokens(x, y, B, T, base, whole)
		c := tr.exp.noise
		if c.eligible < clean*9/10 {
			t.Fatalf("whole %v: %d eligible of %d", whole, c.eligible, clean)
		}
		for _, r := range []struct {
			name       string
			got, want  float64
			n          int
			eligibleOK bool
		}{
			{"replace", float64(c.replaced), 0.1, c.eligible, true},
			{"delete", float64(c.deleted), 0.05, c.eligible, true},
			{"insert", float64(c.inserted), 0.08, c.eligible, true},
		} {
			rate := r.got / float64(r.n)
			sd := math.Sqrt(r.want * (1 - r.want) / float64(r.n))
			if math.Abs(rate-r.want) > 4*sd {
				t.Errorf("whole %v: %s rate %.4f, want %.4f ± %.4f", whole, r.name, rate, r.want, 4*sd)
			}
		}
		got := 0
		for b := range B {
			last := int32(-1) // the last clean target
			for i := range T {
				xv, yv := x[b*T+i], y[b*T+i]
				if yv == Ignore {
					continue
				}
				got++
				if yv < last || yv < int32(b*T) || yv > int32(b*T+T) {
					t.Fatalf("whole %v: row %d position %d: target %d after %d", whole, b, i, yv, last)
				}
				last = yv
				if xv >= int32(b*T) && xv < int32(b*T+T) && yv != xv+1 {
					t.Fatalf("whole %v: clean input %d has target %d", whole, xv, yv)
				}
			}
		}
		if got != targets {
			t.Errorf("returned %d targets, counted %d", targets, got)
		}
		// Whole sequences lose no target to the row's end: one fewer per
		// deletion, one more per insertion.
		if whole && targets != clean-c.deleted+c.inserted {
			t.Errorf("%d targets from %d clean ones, %d deleted, %d inserted", targets, clean, c.deleted, c.inserted)
		}
	}
}

// Jitter has the requested standard deviation in units of the scale, and
// leaves missing values missing.
func TestJitterRate(t *testing.T) {
	tr := &Trainer{Opts: Options{InputNoise: &Noise{Jitter: 0.3}}}
	tr.exp.src = newExposureSource(4)
	tr.exp.rng = rand.New(tr.exp.src)
	x := make([]float64, 20000)
	x[7] = math.NaN()
	scale := []float64{2, 5}
	orig := slices.Clone(x)
	tr.noiseReal(x, scale)
	var sq float64
	for i, v := range x {
		if i == 7 {
			if !math.IsNaN(v) {
				t.Fatal("a missing value was jittered")
			}
			continue
		}
		z := (v - orig[i]) / scale[i%2]
		sq += z * z
	}
	rms := math.Sqrt(sq / float64(len(x)-1))
	if math.Abs(rms-0.3) > 0.01 || math.Abs(tr.exp.noise.jitterSq/float64(tr.exp.noise.values)-rms*rms) > 1e-9 {
		t.Errorf("jitter rms %.4f, want 0.3; measured %d values", rms, tr.exp.noise.values)
	}
}

// fixedSeqs are whole sequences, the same in every epoch.
type fixedSeqs [][]autoreg.Token

func (f fixedSeqs) Count() int                                 { return len(f) }
func (f fixedSeqs) SeqLen() int                                { return len(f[0]) }
func (f fixedSeqs) Sequence(dst []autoreg.Token, i, epoch int) { copy(dst, f[i]) }

// Shifting ordered levels moves each input by round(S·z) levels, z normal,
// clamped to the levels; the targets stay; the reported size is the
// root-mean-square move, √(S² + 1/12) before clamping.
func TestShiftRate(t *testing.T) {
	const base, T, B, S = 256, 64, 200, 2.0
	tr := &Trainer{Opts: Options{InputNoise: &Noise{Shift: S}}}
	tr.exp.src = newExposureSource(4)
	tr.exp.rng = rand.New(tr.exp.src)
	x, y := make([]int32, B*T), make([]int32, B*T)
	for i := range x {
		x[i], y[i] = int32(64+i%128), int32(i%256)
	}
	x[0], x[1] = 0, base-1 // at the ends: clamped
	clean, want := slices.Clone(x), slices.Clone(y)
	if n := tr.noiseTokens(x, y, B, T, base, false); n != B*T {
		t.Fatalf("%d targets of %d", n, B*T)
	}
	if !slices.Equal(y, want) {
		t.Fatal("a target changed")
	}
	moved := 0
	for i, v := range x {
		if v < 0 || v >= base {
			t.Fatalf("input %d shifted to %d", i, v)
		}
		if v != clean[i] {
			moved++
		}
	}
	c := tr.exp.noise
	rms := math.Sqrt(c.shiftSq / float64(c.kept))
	// P(|round(2z)| ≥ 1) = P(|z| ≥ 1/4) = 0.8026.
	if frac := float64(moved) / float64(B*T); math.Abs(rms-math.Sqrt(S*S+1.0/12)) > 0.05 || math.Abs(frac-0.8026) > 0.02 {
		t.Errorf("rms move %.3f, want %.3f; %.3f of the inputs moved, want 0.803", rms, math.Sqrt(S*S+1.0/12), frac)
	}
}
