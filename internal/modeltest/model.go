package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// TestModel runs the suite on m: one subtest per check (named by its
// Check), each skipped with its reason when it does not apply. m should be
// small and trained for a few steps, so that its distributions are far
// from uniform and the checks can tell tokens apart.
func TestModel(t *testing.T, m autoreg.Model, o Options) {
	t.Helper()
	r, err := newTokenRun(m, o)
	if err != nil {
		t.Fatal(err)
	}
	runChecks(t, r, tokenChecks)
}

// tokenChecks are TestModel's checks in order.
var tokenChecks = []check[*tokenRun]{
	{Distribution, (*tokenRun).checkDistribution},
	{LogProb, (*tokenRun).checkLogProb},
	{Len, (*tokenRun).checkLen},
	{Append, (*tokenRun).checkAppend},
	{Step, (*tokenRun).checkStep},
	{Copy, (*tokenRun).checkCopy},
	{Reset, (*tokenRun).checkReset},
	{Score, (*tokenRun).checkScore},
	{Teacher, (*tokenRun).checkTeacher},
	{Twin, (*tokenRun).checkTwin},
	{Allocs, (*tokenRun).checkAllocs},
	{Procs, (*tokenRun).checkProcs},
	{SaveLoad, (*tokenRun).checkSaveLoad},
	{Misuse, (*tokenRun).checkMisuse},
	{BitExact, (*tokenRun).checkBitExact},
}

// Histories returns the suite's default histories over v, drawn from seed:
// <s> followed by n−1 ordinary tokens, and n tokens drawn from the whole
// vocabulary (so <s>, </s>, <unk> and control codes appear anywhere,
// including first).
func Histories(v autoreg.Vocab, seed uint64, n int) [][]autoreg.Token {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c74))
	plain := make([]autoreg.Token, n)
	mixed := make([]autoreg.Token, n)
	for i := range n {
		plain[i] = autoreg.Token(rng.IntN(v.Base))
		mixed[i] = autoreg.Token(rng.IntN(v.Size()))
	}
	if n > 0 {
		plain[0] = v.BOS()
	}
	return [][]autoreg.Token{plain, mixed}
}

// ExactState returns m's bit-exact state, for Options.NewState: m must have
// NewExactState (the gpt and rnn families).
func ExactState(m autoreg.Model) autoreg.State {
	e, ok := m.(interface{ NewExactState() autoreg.State })
	if !ok {
		panic(fmt.Sprintf("modeltest: ExactState: %T has no NewExactState", m))
	}
	return e.NewExactState()
}

// FastState returns m's NewState, for Options.Twin beside ExactState.
func FastState(m autoreg.Model) autoreg.State { return m.NewState() }

// bitExact reports whether x declares bit-exact log-probabilities.
func bitExact(x any) bool {
	b, ok := x.(interface{ BitExactLogProbs() bool })
	return ok && b.BitExactLogProbs()
}

// tokenRun is TestModel's shared work: the model, the options with their
// defaults, and the reference walks every check compares with.
type tokenRun struct {
	m     autoreg.Model
	o     Options
	v     autoreg.Vocab
	V     int
	sm    *seam[autoreg.State, []autoreg.Token]
	exact bool // bit-exact states: every tolerance between paths is zero
	// defaultStates: the states are the model's NewState (no
	// Options.NewState).
	defaultStates bool
	// ref[h][i] is the distribution after the first i tokens of history h,
	// appended one at a time (widened to float64); inc[h][i] is
	// LogProb(h[i]) after them, on the scoring loop (LogProb, then Append,
	// never LogProbs).
	ref  [][][]float64
	inc  [][]float64
	logf func(format string, args ...any)
}

func newTokenRun(m autoreg.Model, o Options) (*tokenRun, error) {
	v := m.Vocab()
	if err := v.Check(); err != nil {
		return nil, err
	}
	defaultStates := o.NewState == nil
	o = o.withDefaults(v)
	r := &tokenRun{m: m, o: o, v: v, V: v.Size(), defaultStates: defaultStates, logf: func(string, ...any) {}}
	for hi, h := range o.Histories {
		for i, x := range h {
			if !v.Valid(x) {
				return nil, fmt.Errorf("history %d: token %d at %d outside the vocabulary of %d", hi, x, i, r.V)
			}
		}
	}
	r.sm = r.seamOf(m)
	st := r.sm.newState()
	r.exact = o.BitExact || bitExact(st) || bitExact(m)
	for _, h := range o.Histories {
		r.ref = append(r.ref, r.sm.walk(h))
		r.inc = append(r.inc, scoreLoop(r.sm.newState(), h))
	}
	return r, nil
}

// seamOf adapts the states Options.NewState makes of m to the shared checks.
func (r *tokenRun) seamOf(m autoreg.Model) *seam[autoreg.State, []autoreg.Token] {
	buf := make([]float32, r.V)
	newState := r.o.NewState
	return &seam[autoreg.State, []autoreg.Token]{
		unit:     "token",
		newState: func() autoreg.State { return newState(m) },
		steps:    func(h []autoreg.Token) int { return len(h) },
		append:   func(s autoreg.State, h []autoreg.Token, i, j int) { s.Append(h[i:j]...) },
		copyTo:   func(src, dst autoreg.State) { src.CopyTo(dst) },
		reset:    autoreg.State.Reset,
		len:      autoreg.State.Len,
		width:    r.V,
		predict: func(s autoreg.State, dst []float64) {
			s.LogProbs(buf)
			for k, x := range buf {
				dst[k] = float64(x)
			}
		},
	}
}

// scoreLoop is evaluation's loop over h: LogProb of each token, then
// Append of it, through a reused slice.
func scoreLoop(st autoreg.State, h []autoreg.Token) []float64 {
	out := make([]float64, len(h))
	for i, x := range h {
		out[i] = st.LogProb(x)
		st.Append(h[i : i+1]...)
	}
	return out
}

func (r *tokenRun) setLogf(f func(string, ...any)) { r.logf = f }

// notApplicable returns why check c does not run, or "".
func (r *tokenRun) notApplicable(c Check) string {
	if reason := skipReason(r.o.Skip, r.o.Only, c); reason != "" {
		return reason
	}
	switch c {
	case Step:
		if _, ok := r.m.(autoreg.Stepper); !ok {
			return "the model does not implement autoreg.Stepper"
		}
		if !r.defaultStates {
			return "Options.NewState makes the states, and Step takes the model's NewState states"
		}
	case Score:
		if _, ok := r.m.(autoreg.Scorer); !ok {
			return "the model does not implement autoreg.Scorer"
		}
	case Teacher:
		if r.o.Teacher == nil {
			return "no Options.Teacher (the family's training path)"
		}
	case Twin:
		if r.o.Twin == nil {
			return "no Options.Twin (a second path of the same model)"
		}
	case SaveLoad:
		if r.o.SaveLoad == nil {
			return "no Options.SaveLoad"
		}
	case Allocs:
		if raceEnabled {
			return "the race detector makes allocation counts meaningless"
		}
	case BitExact:
		if !r.exact && r.o.Golden == "" {
			return "the states are not declared bit-exact"
		}
	}
	return ""
}

// tol is the tolerance between two paths of the suite: zero for bit-exact
// states whatever the options say.
func (r *tokenRun) tol(t Tol) Tol {
	if r.exact {
		return 0
	}
	return t
}

// other returns a history to dirty states with before the checks of
// history hi: the next history, or hi reversed if it is the only one.
func (r *tokenRun) other(hi int) []autoreg.Token {
	if len(r.o.Histories) > 1 {
		return r.o.Histories[(hi+1)%len(r.o.Histories)]
	}
	rev := slices.Clone(r.o.Histories[hi])
	slices.Reverse(rev)
	return rev
}

// forHistories runs f on each history, labelling its error.
func (r *tokenRun) forHistories(f func(hi int, h []autoreg.Token) error) error {
	for hi, h := range r.o.Histories {
		if err := f(hi, h); err != nil {
			return fmt.Errorf("history %d (%d tokens): %w", hi, len(h), err)
		}
	}
	return nil
}

// minSpread is how far (in nats, between its largest and smallest finite
// log-probability) at least one distribution along the histories must be
// from uniform: a model whose every distribution is nearly uniform hides
// mix-ups of tokens and histories from every check.
const minSpread = 0.5

// checkDistribution: every distribution along the histories (including the
// empty history's) holds no NaN and no positive log-probability, sums to 1
// within SumTol, gives <s> −Inf if BOSImpossible, and at least one is
// minSpread nats away from uniform.
func (r *tokenRun) checkDistribution() error {
	spread := 0.0
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		for i, lp := range r.ref[hi] {
			var sum float64
			lo, up := math.Inf(1), math.Inf(-1)
			for k, x := range lp {
				if math.IsNaN(x) || x > 0 {
					return fmt.Errorf("after %d tokens: log P(%d) = %v", i, k, x)
				}
				sum += math.Exp(x)
				if !math.IsInf(x, -1) {
					lo, up = min(lo, x), max(up, x)
				}
			}
			if math.Abs(sum-1) > r.o.SumTol {
				return fmt.Errorf("after %d tokens: the probabilities sum to %v (tolerance %g)", i, sum, r.o.SumTol)
			}
			if r.o.BOSImpossible && !math.IsInf(lp[r.v.BOS()], -1) {
				return fmt.Errorf("after %d tokens: log P(<s>) = %v, want -Inf", i, lp[r.v.BOS()])
			}
			spread = max(spread, up-lo)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if spread < minSpread {
		return fmt.Errorf("every distribution is within %.3g nats of uniform (want %g): train the model a few steps", spread, minSpread)
	}
	r.logf("largest spread of a distribution: %.3g nats", spread)
	return nil
}

// probes returns the tokens the LogProb check asks about after a prefix:
// all of them in a vocabulary of up to 512, else 64 drawn by rng, the
// specials and next (the history's next token, if any).
func (r *tokenRun) probes(rng *rand.Rand, next autoreg.Token) []autoreg.Token {
	var xs []autoreg.Token
	if r.V <= 512 {
		for x := range r.V {
			xs = append(xs, autoreg.Token(x))
		}
		return xs
	}
	for range 64 {
		xs = append(xs, autoreg.Token(rng.IntN(r.V)))
	}
	xs = append(xs, r.v.BOS(), r.v.EOS(), r.v.UNK())
	if next >= 0 {
		xs = append(xs, next)
	}
	return xs
}

// checkLogProb: after every prefix, LogProb(x) agrees with LogProbs[x]
// within LogProbTol (float32(LogProb(x)) has its bits when the tolerance
// is zero), asked before LogProbs ran and after; LogProb is never NaN or
// positive (−Inf for <s> if BOSImpossible); LogProb calls do not change
// LogProbs' bits; and on the scoring loop (LogProb, then Append) LogProb
// agrees with the distribution too.
func (r *tokenRun) checkLogProb() error {
	tol := r.tol(r.o.LogProbTol)
	var m meter
	check := func(i int, x autoreg.Token, got float64, ref []float64, when string) error {
		if math.IsNaN(got) || got > 0 || r.o.BOSImpossible && x == r.v.BOS() && !math.IsInf(got, -1) {
			return fmt.Errorf("after %d tokens: LogProb(%d) = %v %s", i, x, got, when)
		}
		a := got
		if tol == 0 {
			a = float64(float32(got))
		}
		if !m.agree(a, ref[x], tol) {
			return fmt.Errorf("after %d tokens: LogProb(%d) = %v %s, LogProbs %v", i, x, got, when, ref[x])
		}
		return nil
	}
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		rng := rand.New(rand.NewPCG(r.o.Seed, uint64(hi)))
		st := r.sm.newState()
		for i := 0; i <= len(h); i++ {
			ref := r.ref[hi][i]
			next := autoreg.Token(-1)
			if i < len(h) {
				next = h[i]
				if err := check(i, next, r.inc[hi][i], ref, "on the scoring loop"); err != nil {
					return err
				}
			}
			xs := r.probes(rng, next)
			for _, x := range xs {
				if err := check(i, x, st.LogProb(x), ref, "before LogProbs"); err != nil {
					return err
				}
			}
			if err := r.sm.same(&meter{}, fmt.Sprintf("LogProbs after %d tokens and calls of LogProb", i), r.sm.prediction(st), ref, 0); err != nil {
				return err
			}
			for _, x := range xs {
				if err := check(i, x, st.LogProb(x), ref, "after LogProbs"); err != nil {
					return err
				}
			}
			if i < len(h) {
				st.Append(h[i : i+1]...)
			}
		}
		return nil
	})
	r.logf("%s", m.report("LogProb against LogProbs", tol))
	return err
}

func (r *tokenRun) checkLen() error {
	return r.forHistories(func(hi int, h []autoreg.Token) error {
		return checkLen(r.sm, h, r.other(hi))
	})
}

func (r *tokenRun) checkAppend() error {
	tol := r.tol(r.o.AppendTol)
	var m meter
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		return checkAppendCalls(r.sm, &m, h, r.ref[hi], tol)
	})
	r.logf("%s", m.report("long Appends against one token at a time", tol))
	return err
}

func (r *tokenRun) checkCopy() error {
	return r.forHistories(func(hi int, h []autoreg.Token) error {
		return checkCopy(r.sm, h, r.other(hi), r.ref[hi])
	})
}

func (r *tokenRun) checkReset() error {
	return r.forHistories(func(hi int, h []autoreg.Token) error {
		return checkReset(r.sm, h, r.other(hi), r.ref[hi])
	})
}

// scoreStarts returns the prefix lengths ScoreSequence starts from in a
// history of n tokens.
func (r *tokenRun) scoreStarts(n int) []int {
	starts := r.o.ScoreStarts
	if starts == nil {
		starts = []int{0, 1, n / 2}
	}
	var out []int
	for _, s := range starts {
		if s <= n && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// checkScore: from each start, ScoreSequence over the history but its last
// three tokens agrees with the scoring loop within ScoreTol, leaves Len
// right, and leaves a state whose distributions, as the last tokens are
// appended one at a time, agree with the reference within ScoreTol.
func (r *tokenRun) checkScore() error {
	sc := r.m.(autoreg.Scorer)
	tol := r.tol(r.o.ScoreTol)
	var m meter
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		n := len(h)
		for _, start := range r.scoreStarts(n) {
			end := max(start, n-3)
			st := r.sm.stepwise(h, start)
			dst := make([]float64, end-start)
			sc.ScoreSequence(st, h[start:end], dst)
			for i, got := range dst {
				if !m.agree(got, r.inc[hi][start+i], tol) {
					return fmt.Errorf("ScoreSequence from %d: token %d: %v, LogProb %v", start, start+i, got, r.inc[hi][start+i])
				}
			}
			if got := st.Len(); got != end {
				return fmt.Errorf("ScoreSequence of tokens %d..%d: Len %d, want %d", start, end, got, end)
			}
			if err := r.sm.follow(&m, fmt.Sprintf("the state ScoreSequence left (tokens %d..%d)", start, end), st, h, end, r.ref[hi], tol); err != nil {
				return err
			}
		}
		return nil
	})
	r.logf("%s", m.report("ScoreSequence against LogProb", tol))
	return err
}

// teacher runs Options.Teacher on the first tokens of h.
func (r *tokenRun) teacher(h []autoreg.Token) []float64 {
	n := len(h)
	if r.o.TeacherLen > 0 {
		n = min(n, r.o.TeacherLen+1)
	}
	if n < 2 {
		return nil
	}
	dst := make([]float64, n-1)
	r.o.Teacher(h[:n], dst)
	return dst
}

// checkTeacher: the family's teacher-forced log-probabilities agree with
// the scoring loop within TeacherTol.
func (r *tokenRun) checkTeacher() error {
	var m meter
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		for i, got := range r.teacher(h) {
			if want := r.inc[hi][i+1]; !m.agree(got, want, r.o.TeacherTol) {
				return fmt.Errorf("token %d: teacher-forced %v, LogProb %v", i+1, got, want)
			}
		}
		return nil
	})
	r.logf("%s", m.report("teacher-forced against LogProb", r.o.TeacherTol))
	return err
}

// checkTwin: the distributions of the tested states agree with those of
// Twin's states along every history within TwinTol.
func (r *tokenRun) checkTwin() error {
	o := r.o
	o.NewState = o.Twin
	twin := (&tokenRun{m: r.m, o: o, V: r.V}).seamOf(r.m)
	var m meter
	err := r.forHistories(func(hi int, h []autoreg.Token) error {
		return checkSame(r.sm, &m, "against the twin path", r.ref[hi], twin.walk(h), r.o.TwinTol)
	})
	r.logf("%s", m.report("the tested path against its twin", r.o.TwinTol))
	return err
}

// checkAllocs: the generation and scoring loop (LogProb, Append of one
// token through a reused slice, LogProbs into a reused buffer) over every
// history in turn, with CopyTo into a used state and Reset at the end of
// each, allocates nothing in steady state under each of Options.Procs (see
// checkAllocs in seam.go for what steady state means).
func (r *tokenRun) checkAllocs() error {
	var steps int
	for _, h := range r.o.Histories {
		steps += len(h)
	}
	if steps == 0 {
		return nil
	}
	st, cp := r.sm.newState(), r.sm.newState()
	buf := make([]float32, r.V)
	hi, i := 0, 0
	step := func() {
		for len(r.o.Histories[hi]) == 0 {
			hi = (hi + 1) % len(r.o.Histories)
		}
		h := r.o.Histories[hi]
		st.LogProb(h[i])
		st.Append(h[i : i+1]...)
		st.LogProbs(buf)
		if i++; i == len(h) {
			st.CopyTo(cp)
			cp.LogProbs(buf)
			st.Reset()
			hi, i = (hi+1)%len(r.o.Histories), 0
		}
	}
	return checkAllocs("LogProb+Append+LogProbs, CopyTo, Reset", r.o.Procs, max(100, steps), step)
}

// everything runs every path the suite compares and returns all it
// computed, for checkProcs.
func (r *tokenRun) everything() []float64 {
	var out []float64
	sc, scorer := r.m.(autoreg.Scorer)
	for _, h := range r.o.Histories {
		out = append(out, r.sm.paths(h)...)
		out = append(out, scoreLoop(r.sm.newState(), h)...)
		if scorer && r.notApplicable(Score) == "" {
			dst := make([]float64, len(h))
			sc.ScoreSequence(r.sm.newState(), h, dst)
			out = append(out, dst...)
		}
		if r.notApplicable(Teacher) == "" {
			out = append(out, r.teacher(h)...)
		}
	}
	return out
}

// checkProcs: every path (token by token, one long Append, the scoring
// loop, ScoreSequence, the teacher) gives the same bits under each of
// Options.Procs.
func (r *tokenRun) checkProcs() error {
	return checkProcs(r.o.Procs, r.everything)
}

// checkSaveLoad: the model SaveLoad returns has the same vocabulary and
// gives the same bits along every history, token by token and on the
// scoring loop.
func (r *tokenRun) checkSaveLoad() error {
	m2, err := r.o.SaveLoad(r.m)
	if err != nil {
		return fmt.Errorf("SaveLoad: %w", err)
	}
	if v := m2.Vocab(); v.Base != r.v.Base || !slices.Equal(v.Controls, r.v.Controls) {
		return fmt.Errorf("the reloaded vocabulary is %+v, want %+v", v, r.v)
	}
	sm := r.seamOf(m2)
	var m meter
	return r.forHistories(func(hi int, h []autoreg.Token) error {
		if err := checkSame(sm, &m, "the reloaded model", sm.walk(h), r.ref[hi], 0); err != nil {
			return err
		}
		for i, got := range scoreLoop(sm.newState(), h) {
			if !m.agree(got, r.inc[hi][i], 0) {
				return fmt.Errorf("the reloaded model: LogProb of token %d: %v, want %v", i, got, r.inc[hi][i])
			}
		}
		return nil
	})
}

// checkMisuse: Append of an id outside the vocabulary panics, as the
// contract says.
func (r *tokenRun) checkMisuse() error {
	for _, x := range []autoreg.Token{-1, autoreg.Token(r.V)} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			r.sm.newState().Append(x)
			return false
		}()
		if !panicked {
			return fmt.Errorf("Append(%d) with a vocabulary of %d did not panic", x, r.V)
		}
	}
	return nil
}

// checkBitExact: states declared bit-exact report BitExactLogProbs (the
// state or its model), and the distributions hash to Options.Golden.
func (r *tokenRun) checkBitExact() error {
	if r.o.BitExact && !bitExact(r.sm.newState()) && !bitExact(r.m) {
		return fmt.Errorf("Options.BitExact, but neither the state (%T) nor the model reports BitExactLogProbs", r.sm.newState())
	}
	if r.o.Golden != "" {
		if got := goldenHash(r.ref); got != r.o.Golden {
			return fmt.Errorf("the distributions hash to %s, want %s", got, r.o.Golden)
		}
	}
	return nil
}
