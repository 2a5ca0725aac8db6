package train

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Input noise: data augmentation against exposure bias. The inputs a
// model conditions on are corrupted, the targets stay clean, so the model
// learns to predict the true continuation from a history that holds
// errors, as its own generated history will.
//
// Token inputs: each ordinary input token (specials such as <s>, </s> and
// control codes are structure and stay) is, independently, preceded by an
// inserted token with probability Insert, and then deleted with
// probability Delete or else replaced with probability Replace; inserted
// and replacing tokens are drawn uniformly from the ordinary tokens. Every
// input's target is the true element after the last clean token read: a
// replacing token predicts what the token it replaced predicted, an
// inserted one the clean token that follows it, and a deleted token's
// prediction is dropped (the history lacks it from then on). A window of
// a token stream keeps its length: net insertions push its last inputs
// out, net deletions leave its last positions without targets. A whole
// sequence (a sentence, a pair's target, an image) must keep all its
// targets, so an insertion is made only where the row has room for the
// rest of the sequence.
//
// Ordered levels (μ-law audio samples, pixel intensities: ordinary tokens
// 0 … Base−1 in order of value): with Shift, each ordinary input token that
// is not deleted or replaced moves by round(Shift·z) levels, z ~ N(0, 1),
// clamped to the levels: the token form of jitter, a small error where
// replacement makes a click or a speck.
//
// Real-valued inputs: each observed input value, history and lags
// included, gets Gaussian jitter of standard deviation Jitter in units of
// its dimension's scale (the standardized inputs get N(0, Jitter²) noise);
// the targets stay exact.
//
// The rates are per eligible input and are measured every step (the
// history's "noise_*" settings), from the generator scheduled sampling
// uses, so a run is reproducible and resumes exactly; with every rate 0
// nothing is drawn and training is plain training.

// Noise configures input noise (Options.InputNoise).
type Noise struct {
	Replace float64 `json:"replace,omitempty"` // token inputs replaced
	Delete  float64 `json:"delete,omitempty"`  // token inputs deleted
	Insert  float64 `json:"insert,omitempty"`  // tokens inserted before an input
	Shift   float64 `json:"shift,omitempty"`   // ordered levels: Gaussian σ of a move, in levels
	Jitter  float64 `json:"jitter,omitempty"`  // real inputs: Gaussian σ in units of the scale
}

// Check reports rates no run can use.
func (n *Noise) Check() error {
	for _, r := range []float64{n.Replace, n.Delete, n.Insert} {
		if !(r >= 0 && r <= 1) {
			return fmt.Errorf("train: input noise: rate %g, want [0, 1]", r)
		}
	}
	if n.Replace+n.Delete > 1 {
		return fmt.Errorf("train: input noise: replace %g + delete %g exceed 1", n.Replace, n.Delete)
	}
	if !(n.Jitter >= 0) || math.IsInf(n.Jitter, 0) {
		return fmt.Errorf("train: input noise: jitter %g, want ≥ 0", n.Jitter)
	}
	if !(n.Shift >= 0) || math.IsInf(n.Shift, 0) {
		return fmt.Errorf("train: input noise: shift %g, want ≥ 0", n.Shift)
	}
	return nil
}

// tokens reports whether the noise touches token inputs.
func (n *Noise) tokens() bool { return n != nil && n.Replace+n.Delete+n.Insert+n.Shift > 0 }

// real reports whether the noise touches real-valued inputs.
func (n *Noise) real() bool { return n != nil && n.Jitter > 0 }

// ParseNoise reads an --input-noise value: comma-separated rates
// replace=R, delete=D, insert=I (token inputs), shift=L (ordered levels)
// and jitter=S (real inputs), "replace=0.05,delete=0.02,insert=0.02".
func ParseNoise(v string) (*Noise, error) {
	n := &Noise{}
	for _, p := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(p, "=")
		f, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("train: input noise %q: %q: want name=number", v, p)
		}
		switch k {
		case "replace":
			n.Replace = f
		case "delete":
			n.Delete = f
		case "insert":
			n.Insert = f
		case "shift":
			n.Shift = f
		case "jitter":
			n.Jitter = f
		default:
			return nil, fmt.Errorf("train: input noise %q: unknown rate %q (want replace, delete, insert, shift, jitter)", v, k)
		}
	}
	return n, n.Check()
}

// checkNoise reports noise the model's inputs cannot take.
func checkNoise(m Trainable, o Options) error {
	n := o.InputNoise
	if n == nil {
		return nil
	}
	if err := n.Check(); err != nil {
		return err
	}
	_, real := m.(RealModel)
	switch {
	case real && n.tokens():
		return errors.New("train: input noise: a real-valued model's inputs take jitter, not token edits or shifts")
	case !real && n.Jitter > 0:
		return errors.New("train: input noise: jitter is for real-valued inputs; tokens take replace, delete, insert, and shift if they are ordered levels")
	}
	if w, ok := m.(WholeSequences); ok && w.WholeSequences() {
		return fmt.Errorf("train: input noise: a %s reads whole sequences (its encoder would read the noise too)", familyName(m))
	}
	return nil
}

// noiseCounts are the edits of one step and the inputs that could take
// them.
type noiseCounts struct {
	eligible, replaced, deleted, inserted int
	shiftSq                               float64 // Σ (level moved)² over the tokens kept
	kept                                  int     // tokens neither deleted nor replaced
	jitterSq                              float64 // Σ (jitter/scale)²
	values                                int     // jittered values
}

func (c *noiseCounts) settings(t *Trainer, n *Noise) {
	if n.tokens() {
		e := float64(max(c.eligible, 1))
		t.setting("noise_replace", float64(c.replaced)/e)
		t.setting("noise_delete", float64(c.deleted)/e)
		t.setting("noise_insert", float64(c.inserted)/e)
	}
	if n.Shift > 0 {
		t.setting("noise_shift", math.Sqrt(c.shiftSq/float64(max(c.kept, 1))))
	}
	if n.real() {
		t.setting("noise_jitter", math.Sqrt(c.jitterSq/float64(max(c.values, 1))))
	}
}

// noiseTokens corrupts B rows of T inputs x (targets y, row-major) in
// place and returns the number of targets left. whole marks rows that are
// whole sequences (no target may be pushed out); base is the number of
// ordinary tokens.
func (t *Trainer) noiseTokens(x, y []int32, B, T int, base int32, whole bool) int {
	e := &t.exp
	n := t.Opts.InputNoise
	e.x1, e.y1 = grow(e.x1, T), grow(e.y1, T)
	targets := 0
	for b := range B {
		xr, yr := x[b*T:(b+1)*T], y[b*T:(b+1)*T]
		copy(e.x1, xr)
		copy(e.y1, yr)
		// need: the clean targets from position i on (whole rows keep them).
		need := 0
		for _, v := range e.y1 {
			if v != Ignore {
				need++
			}
		}
		j := 0
		emit := func(in, tgt int32) {
			if j < T {
				xr[j], yr[j] = in, tgt
				j++
			}
		}
		for i := range T {
			in, tgt := e.x1[i], e.y1[i]
			if tgt != Ignore {
				need--
			}
			if in < 0 || in >= base || tgt == Ignore || j >= T {
				emit(in, tgt)
				continue
			}
			c := &e.noise
			c.eligible++
			if e.rng.Float64() < n.Insert && (!whole || j+1+1+need <= T) {
				c.inserted++
				emit(int32(e.rng.IntN(int(base))), in)
			}
			switch u := e.rng.Float64(); {
			case u < n.Delete:
				c.deleted++
			case u < n.Delete+n.Replace:
				c.replaced++
				emit(int32(e.rng.IntN(int(base))), tgt)
			default:
				if n.Shift > 0 {
					to := min(max(in+int32(math.Round(n.Shift*e.rng.NormFloat64())), 0), base-1)
					c.shiftSq += float64((to - in) * (to - in))
					in = to
				}
				c.kept++
				emit(in, tgt)
			}
		}
		for ; j < T; j++ {
			xr[j], yr[j] = e.x1[T-1], Ignore
		}
		for _, v := range yr {
			if v != Ignore {
				targets++
			}
		}
	}
	return targets
}

// noiseReal adds the jitter to every observed input value of B windows
// (x: Past()+T steps of d values per row); the targets are elsewhere (y)
// and stay exact.
func (t *Trainer) noiseReal(x []float64, scale []float64) {
	e := &t.exp
	s := t.Opts.InputNoise.Jitter
	d := len(scale)
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		z := s * e.rng.NormFloat64()
		x[i] = v + z*scale[i%d]
		e.noise.jitterSq += z * z
		e.noise.values++
	}
}
