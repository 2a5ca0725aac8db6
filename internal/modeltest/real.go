package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/testutil"
)

// The checks TestRealModel adds to the shared ones.
const (
	// Missing: a NaN conditions on the predictive mean.
	Missing Check = "missing"
)

// RealOptions configures TestRealModel. The zero value tests NewRealState's
// states on two default histories of 40 steps (RealHistories), demanding
// identical bits wherever the suite compares two paths, and skips the
// checks that need a function the options do not give (Teacher,
// SaveLoad).
type RealOptions struct {
	// Seed draws the default histories.
	Seed uint64
	// Histories are the series the checks walk: whole steps of the model's
	// Dim values each, in the data's units (NaN is a missing value). Nil
	// means RealHistories(Dim, Seed, HistoryLen); a family trained on
	// data of other units passes stretches of that data.
	Histories [][]float64
	// HistoryLen is the length in steps of the default histories; zero
	// means 40.
	HistoryLen int

	// NewState makes the states under test; nil means NewRealState.
	NewState func(autoreg.RealModel) autoreg.RealState

	// AppendTol: the predictions after appending a history in one call (or
	// a few long calls) against appending it one step at a time.
	AppendTol Tol

	// Teacher, if not nil, computes the family's training-path
	// (teacher-forced) log-densities of xs (whole steps, data units):
	// dst[t] = ln p(step t+1 | steps ≤ t), the sum over the step's values,
	// with len(dst) = steps−1 and the empty history before step 0; NaN
	// where the training path does not score a step. The suite compares
	// the rest with the states' predictions within TeacherTol.
	Teacher func(xs []float64, dst []float64)
	// TeacherLen caps the steps Teacher scores per history; zero means the
	// whole history.
	TeacherLen int
	// TeacherTol: Teacher's results against the states'.
	TeacherTol Tol

	// SaveLoad, if not nil, writes the model and reads it back; the
	// reloaded model must give identical bits.
	SaveLoad func(autoreg.RealModel) (autoreg.RealModel, error)

	// Procs are the GOMAXPROCS values under which every path must give the
	// bits it gives under the current setting; nil means 1, 2 and 4.
	Procs []int

	// Skip and Only select checks as in Options.
	Skip map[Check]string
	Only []Check
}

// RealHistories returns the default histories of a model of d values per
// step, drawn from seed: a random walk around 0 with unit steps, and
// independent standard normal values with a missing value every seventh
// step (one dimension at a time).
func RealHistories(d int, seed uint64, n int) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0x7265616c))
	walk := make([]float64, n*d)
	noise := make([]float64, n*d)
	for t := range n {
		for i := range d {
			prev := 0.0
			if t > 0 {
				prev = walk[(t-1)*d+i]
			}
			walk[t*d+i] = 0.9*prev + rng.NormFloat64()
			noise[t*d+i] = rng.NormFloat64()
		}
		if t%7 == 3 {
			noise[t*d+t%d] = math.NaN()
		}
	}
	return [][]float64{walk, noise}
}

// TestRealModel runs the suite of the real-valued seam on m: one subtest
// per check, each skipped with its reason when it does not apply. m should
// be trained a few steps (or fitted), so that its predictions depend on
// the history. The package doc lists the checks.
func TestRealModel(t *testing.T, m autoreg.RealModel, o RealOptions) {
	t.Helper()
	r, err := newRealRun(m, o)
	if err != nil {
		t.Fatal(err)
	}
	runChecks(t, r, realChecks)
}

// realChecks are TestRealModel's checks in order.
var realChecks = []check[*realRun]{
	{Distribution, (*realRun).checkDistribution},
	{Len, (*realRun).checkLen},
	{Append, (*realRun).checkAppend},
	{Copy, (*realRun).checkCopy},
	{Reset, (*realRun).checkReset},
	{Missing, (*realRun).checkMissing},
	{Teacher, (*realRun).checkTeacher},
	{Allocs, (*realRun).checkAllocs},
	{Procs, (*realRun).checkProcs},
	{SaveLoad, (*realRun).checkSaveLoad},
	{Misuse, (*realRun).checkMisuse},
}

// realRun is TestRealModel's shared work.
type realRun struct {
	m    autoreg.RealModel
	o    RealOptions
	d    int
	sm   *seam[autoreg.RealState, []float64]
	ref  [][][]float64 // ref[h][i]: the fingerprint after i steps of history h
	logf func(format string, args ...any)
}

// fpProbs are the probabilities at which the fingerprint takes quantiles.
var fpProbs = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// fpWidth is the fingerprint's values per dimension: the mean, the CDF at
// the mean, and the quantiles and the log-density at each of them.
var fpWidth = 2 + 2*len(fpProbs)

func newRealRun(m autoreg.RealModel, o RealOptions) (*realRun, error) {
	d := m.Dim()
	if d < 1 {
		return nil, fmt.Errorf("Dim %d", d)
	}
	if o.HistoryLen == 0 {
		o.HistoryLen = 40
	}
	if o.Histories == nil {
		o.Histories = RealHistories(d, o.Seed, o.HistoryLen)
	}
	if o.NewState == nil {
		o.NewState = autoreg.RealModel.NewRealState
	}
	if o.Procs == nil {
		o.Procs = []int{1, 2, 4}
	}
	for hi, h := range o.Histories {
		if len(h)%d != 0 || len(h) < 4*d {
			return nil, fmt.Errorf("history %d: %d values, want at least 4 whole steps of %d", hi, len(h), d)
		}
		for k, v := range h {
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("history %d: an infinite value at %d", hi, k)
			}
		}
	}
	r := &realRun{m: m, o: o, d: d, logf: func(string, ...any) {}}
	r.sm = r.seamOf(m)
	for _, h := range o.Histories {
		r.ref = append(r.ref, r.sm.walk(h))
	}
	return r, nil
}

// seamOf adapts the states Options.NewState makes of m to the shared checks.
func (r *realRun) seamOf(m autoreg.RealModel) *seam[autoreg.RealState, []float64] {
	d, newState := r.d, r.o.NewState
	return &seam[autoreg.RealState, []float64]{
		unit:     "step",
		newState: func() autoreg.RealState { return newState(m) },
		steps:    func(h []float64) int { return len(h) / d },
		append:   func(s autoreg.RealState, h []float64, i, j int) { s.Append(h[i*d : j*d]...) },
		copyTo:   func(src, dst autoreg.RealState) { src.CopyTo(dst) },
		reset:    autoreg.RealState.Reset,
		len:      autoreg.RealState.Len,
		width:    d * fpWidth,
		predict:  func(s autoreg.RealState, dst []float64) { fingerprint(dst, s.Predict()) },
	}
}

// fingerprint writes what the checks compare of a prediction.
func fingerprint(dst []float64, pd dist.Dist) {
	for i := range pd.Dim() {
		f := dst[i*fpWidth : (i+1)*fpWidth]
		mean := pd.Mean(i)
		f[0], f[1] = mean, pd.CDF(i, mean)
		for k, p := range fpProbs {
			q := pd.Quantile(i, p)
			f[2+2*k], f[3+2*k] = q, pd.LogProb(i, q)
		}
	}
}

func (r *realRun) setLogf(f func(string, ...any)) { r.logf = f }

// notApplicable returns why check c does not run, or "".
func (r *realRun) notApplicable(c Check) string {
	if reason := skipReason(r.o.Skip, r.o.Only, c); reason != "" {
		return reason
	}
	switch c {
	case Teacher:
		if r.o.Teacher == nil {
			return "no RealOptions.Teacher (the family's training path)"
		}
	case SaveLoad:
		if r.o.SaveLoad == nil {
			return "no RealOptions.SaveLoad"
		}
	case Allocs:
		if raceEnabled {
			return "the race detector makes allocation counts meaningless"
		}
	}
	return ""
}

// other returns a history to dirty states with before the checks of
// history hi.
func (r *realRun) other(hi int) []float64 {
	if len(r.o.Histories) > 1 {
		return r.o.Histories[(hi+1)%len(r.o.Histories)]
	}
	rev := slices.Clone(r.o.Histories[hi])
	slices.Reverse(rev) // whole steps reversed, values within a step too: still a history
	return rev
}

func (r *realRun) forHistories(f func(hi int, h []float64) error) error {
	for hi, h := range r.o.Histories {
		if err := f(hi, h); err != nil {
			return fmt.Errorf("history %d (%d steps): %w", hi, len(h)/r.d, err)
		}
	}
	return nil
}

// checkDistribution: every prediction along the histories (the empty
// history's too) is a distribution: the density is finite at the mean,
// quantiles do not decrease, CDF(Quantile(p)) = p within 1e-9 (continuous
// families), and the density integrates to 1 within 1e-5 (Simpson's rule
// over [Q(1e-7), Q(1−1e-7)]) or the bin masses sum to 1 within 1e-9
// (gridded ones), the last two after 0, 1, half and all of the steps. At
// least one prediction must differ from the empty
// history's: a model whose predictions ignore the history hides mix-ups
// of histories from every check.
func (r *realRun) checkDistribution() error {
	moved := false
	err := r.forHistories(func(hi int, h []float64) error {
		st := r.sm.newState()
		n := len(h) / r.d
		for i := 0; ; i++ {
			integrate := i == 0 || i == 1 || i == n/2 || i == n
			if err := checkRealDist(st.Predict(), integrate); err != nil {
				return fmt.Errorf("after %d steps: %w", i, err)
			}
			if !slices.Equal(r.ref[hi][i], r.ref[hi][0]) {
				moved = true
			}
			if i == n {
				return nil
			}
			st.Append(h[i*r.d : (i+1)*r.d]...)
		}
	})
	if err == nil && !moved {
		err = fmt.Errorf("every prediction equals the empty history's: fit or train the model a few steps")
	}
	return err
}

// checkRealDist checks one prediction; integrate adds the integral of the
// density (or the sum of the bin masses).
func checkRealDist(pd dist.Dist, integrate bool) error {
	for i := range pd.Dim() {
		mean := pd.Mean(i)
		if lp := pd.LogProb(i, mean); math.IsNaN(lp) || math.IsInf(lp, 0) {
			return fmt.Errorf("dimension %d: log-density %v at the mean %v", i, lp, mean)
		}
		g, gridded := pd.(dist.Gridded)
		prev := math.Inf(-1)
		for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 0.99} {
			q := pd.Quantile(i, p)
			if !(q >= prev) {
				return fmt.Errorf("dimension %d: quantile %v at p = %g is below the one before (%v)", i, q, p, prev)
			}
			prev = q
			if c := pd.CDF(i, q); !gridded && !(math.Abs(c-p) <= 1e-9) {
				return fmt.Errorf("dimension %d: CDF(Quantile(%g)) = %v", i, p, c)
			}
		}
		if !integrate {
			continue
		}
		if gridded {
			var s float64
			for k := range g.Grid().N {
				s += math.Exp(g.LogProbBin(i, k))
			}
			if !(math.Abs(s-1) <= 1e-9) {
				return fmt.Errorf("dimension %d: the bin masses sum to %v", i, s)
			}
			continue
		}
		lo, hi := pd.Quantile(i, 1e-7), pd.Quantile(i, 1-1e-7)
		mass := testutil.Simpson(func(x float64) float64 { return math.Exp(pd.LogProb(i, x)) }, lo, hi, 20000)
		if !(math.Abs(mass-1) <= 1e-5) {
			return fmt.Errorf("dimension %d: the density integrates to %v over [%v, %v]", i, mass, lo, hi)
		}
	}
	return nil
}

func (r *realRun) checkLen() error {
	return r.forHistories(func(hi int, h []float64) error {
		return checkLen(r.sm, h, r.other(hi))
	})
}

func (r *realRun) checkAppend() error {
	var m meter
	err := r.forHistories(func(hi int, h []float64) error {
		return checkAppendCalls(r.sm, &m, h, r.ref[hi], r.o.AppendTol)
	})
	r.logf("%s", m.report("long Appends against one step at a time", r.o.AppendTol))
	return err
}

func (r *realRun) checkCopy() error {
	return r.forHistories(func(hi int, h []float64) error {
		return checkCopy(r.sm, h, r.other(hi), r.ref[hi])
	})
}

func (r *realRun) checkReset() error {
	return r.forHistories(func(hi int, h []float64) error {
		return checkReset(r.sm, h, r.other(hi), r.ref[hi])
	})
}

// checkMissing: appending a step with a missing value (every value, and
// each single value) gives the prediction of appending the predictive mean
// in its place, bit for bit, at the start of a history and after some of
// it; Len counts the step.
func (r *realRun) checkMissing() error {
	d := r.d
	var m meter
	return r.forHistories(func(hi int, h []float64) error {
		n := len(h) / d
		for _, at := range []int{0, 1, n / 2} {
			var masks [][]bool
			all := make([]bool, d)
			for i := range all {
				all[i] = true
			}
			masks = append(masks, all)
			if d > 1 {
				for i := range d {
					one := make([]bool, d)
					one[i] = true
					masks = append(masks, one)
				}
			}
			for _, mask := range masks {
				miss, filled := r.sm.newState(), r.sm.newState()
				miss.Append(h[:at*d]...)
				filled.Append(h[:at*d]...)
				step := slices.Clone(h[at*d : (at+1)*d])
				mean := make([]float64, d)
				dist.Mean(mean, filled.Predict())
				for i, gone := range mask {
					if gone {
						step[i] = mean[i]
					}
				}
				filled.Append(step...)
				for i, gone := range mask {
					if gone {
						step[i] = math.NaN()
					}
				}
				miss.Append(step...)
				if miss.Len() != at+1 {
					return fmt.Errorf("a step with missing values after %d steps: Len %d", at, miss.Len())
				}
				what := fmt.Sprintf("missing values %v after %d steps, against their predictive means", mask, at)
				if err := r.sm.same(&m, what, r.sm.prediction(miss), r.sm.prediction(filled), 0); err != nil {
					return err
				}
				// And the next step continues alike.
				if at+1 < n {
					miss.Append(h[(at+1)*d : (at+2)*d]...)
					filled.Append(h[(at+1)*d : (at+2)*d]...)
					if err := r.sm.same(&m, what+", one step later", r.sm.prediction(miss), r.sm.prediction(filled), 0); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// teacher runs RealOptions.Teacher on the first steps of h.
func (r *realRun) teacher(h []float64) []float64 {
	n := len(h) / r.d
	if r.o.TeacherLen > 0 {
		n = min(n, r.o.TeacherLen+1)
	}
	dst := make([]float64, n-1)
	r.o.Teacher(h[:n*r.d], dst)
	return dst
}

// checkTeacher: the training path's log-densities agree with the states'
// (the log-density of each step given the ones before, one step at a
// time) within TeacherTol, wherever the training path scores a step; at
// least one step must be scored.
func (r *realRun) checkTeacher() error {
	var m meter
	scored := 0
	err := r.forHistories(func(hi int, h []float64) error {
		st := r.sm.newState()
		d := r.d
		for t, got := range r.teacher(h) {
			st.Append(h[t*d : (t+1)*d]...)
			if math.IsNaN(got) {
				continue
			}
			want := dist.LogProb(st.Predict(), h[(t+1)*d:(t+2)*d])
			if !m.agree(got, want, r.o.TeacherTol) {
				return fmt.Errorf("step %d: the training path's log-density %v, the state's %v", t+1, got, want)
			}
			scored++
		}
		return nil
	})
	if err == nil && scored == 0 {
		err = fmt.Errorf("the training path scored no step")
	}
	r.logf("%s", m.report("teacher-forced against the states", r.o.TeacherTol))
	return err
}

// checkAllocs: the scoring and forecasting loop (Predict, LogProb, Append
// of one step through a reused slice) over every history in turn, with
// CopyTo into a used state and Reset at the end of each, allocates nothing
// in steady state under each of RealOptions.Procs.
func (r *realRun) checkAllocs() error {
	d := r.d
	st, cp := r.sm.newState(), r.sm.newState()
	hi, i := 0, 0
	step := func() {
		h := r.o.Histories[hi]
		st.Predict().LogProb(0, h[i*d])
		st.Append(h[i*d : (i+1)*d]...)
		if i++; i == len(h)/d {
			st.CopyTo(cp)
			cp.Predict()
			st.Reset()
			hi, i = (hi+1)%len(r.o.Histories), 0
		}
	}
	var steps int
	for _, h := range r.o.Histories {
		steps += len(h) / d
	}
	return checkAllocs("Predict+LogProb+Append, CopyTo, Reset", r.o.Procs, max(100, steps), step)
}

// everything runs every path (step by step, one long Append, the teacher)
// and returns all it computed, for checkProcs.
func (r *realRun) everything() []float64 {
	var out []float64
	for _, h := range r.o.Histories {
		out = append(out, r.sm.paths(h)...)
		if r.notApplicable(Teacher) == "" {
			out = append(out, r.teacher(h)...)
		}
	}
	return out
}

func (r *realRun) checkProcs() error {
	return checkProcs(r.o.Procs, r.everything)
}

// checkSaveLoad: the model SaveLoad returns has the same Dim and gives the
// same bits along every history.
func (r *realRun) checkSaveLoad() error {
	m2, err := r.o.SaveLoad(r.m)
	if err != nil {
		return fmt.Errorf("SaveLoad: %w", err)
	}
	if m2.Dim() != r.d {
		return fmt.Errorf("the reloaded model has Dim %d, want %d", m2.Dim(), r.d)
	}
	sm := r.seamOf(m2)
	var m meter
	return r.forHistories(func(hi int, h []float64) error {
		return checkSame(sm, &m, "the reloaded model", sm.walk(h), r.ref[hi], 0)
	})
}

// checkMisuse: Append of a length that is not whole steps, or of an
// infinite value, panics, as the contract says.
func (r *realRun) checkMisuse() error {
	var bad [][]float64
	for _, inf := range []float64{math.Inf(1), math.Inf(-1)} {
		step := make([]float64, r.d)
		step[r.d-1] = inf
		bad = append(bad, step)
	}
	if r.d > 1 {
		bad = append(bad, make([]float64, r.d+1)) // not whole steps
	}
	for _, xs := range bad {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			r.sm.newState().Append(xs...)
			return false
		}()
		if !panicked {
			return fmt.Errorf("Append(%v) with %d values per step did not panic", xs, r.d)
		}
	}
	return nil
}
