package modeltest

import (
	"fmt"
	"math"
	"slices"

	"github.com/autoreg/autoreg"
)

// Check names one check of the suite: the name of its subtest, and a key of
// Options.Skip and Options.Only.
type Check string

// The checks of TestModel, in the order they run. The package doc says what
// each one demands.
const (
	Distribution Check = "distribution"
	LogProb      Check = "logprob"
	Len          Check = "len"
	Append       Check = "append"
	Step         Check = "step"
	Copy         Check = "copy"
	Reset        Check = "reset"
	Score        Check = "score"
	Teacher      Check = "teacher"
	Twin         Check = "twin"
	Allocs       Check = "allocs"
	Procs        Check = "procs"
	SaveLoad     Check = "saveload"
	Misuse       Check = "misuse"
	BitExact     Check = "bitexact"
)

// Tol bounds the difference between a tested log-probability a and its
// reference b: they agree when |a − b| ≤ Tol·max(1, |b|), an absolute bound
// for log-probabilities in (−1, 1) and a relative one beyond. The zero Tol
// demands identical bits (float32 bits for what LogProbs returns and for
// float32(LogProb(x)); float64 bits for what LogProb and ScoreSequence
// return, compared with each other). Equal infinities always agree, NaN
// never does.
type Tol float64

// Options configures TestModel. The zero value tests NewState's states on
// two histories of 40 tokens drawn from seed 0, demanding identical bits
// wherever the suite compares two paths, and skips the checks that need a
// function the options do not give (Teacher, Twin, SaveLoad).
type Options struct {
	// Seed draws the default histories and the tokens LogProb probes in a
	// large vocabulary.
	Seed uint64
	// Histories are the token sequences the checks walk. Nil means
	// Histories(model's vocabulary, Seed, HistoryLen): one sequence that
	// starts with <s> and continues with ordinary tokens, one drawn from
	// the whole vocabulary (specials and control codes anywhere). A family
	// adds its own (text like its training data, sequences long enough to
	// cross a context window or a chunk of its batched scorer) to those.
	Histories [][]autoreg.Token
	// HistoryLen is the length of the default histories; zero means 40.
	HistoryLen int

	// NewState makes the states under test from the model (and from the
	// model SaveLoad returns); nil means the model's NewState. ExactState
	// selects the bit-exact path of the neural families.
	NewState func(autoreg.Model) autoreg.State
	// BitExact declares that the states' log-probabilities are the same
	// bits on every platform, build and GOMAXPROCS: the state or its model
	// must report BitExactLogProbs() == true, and every comparison of two
	// paths is held to identical bits whatever the tolerances say. A state
	// that reports it is held to it even without this field.
	BitExact bool
	// Golden, if not empty, is the hexadecimal SHA-256 of the bits of
	// every distribution along the histories (float64 little-endian, in
	// order; see the package doc). It pins a bit-exact path across
	// platforms; the model must then be the same bits everywhere (read from
	// a file, or built with integer arithmetic), and the histories fixed.
	Golden string

	// BOSImpossible declares that the family gives <s> probability zero
	// after every history: LogProbs[<s>] and LogProb(<s>) are −Inf.
	BOSImpossible bool

	// SumTol bounds |Σ exp(LogProbs) − 1|; zero means 1e-5.
	SumTol float64
	// LogProbTol: LogProb(x) against LogProbs[x] after the same history.
	LogProbTol Tol
	// AppendTol: the distribution after appending a history in one call (or
	// a few long calls) against appending it one token at a time.
	AppendTol Tol
	// ScoreTol: ScoreSequence's results, and the distributions of the state
	// it leaves, against LogProb and Append token by token.
	ScoreTol Tol

	// Teacher, if not nil, computes the family's teacher-forced
	// (training-path) log-probabilities of xs: dst[i] = log P(xs[i+1] |
	// xs[:i+1]), with len(dst) = len(xs)−1 and the state's empty history
	// before xs[0]. The suite compares them with LogProb token by token
	// within TeacherTol.
	Teacher func(xs []autoreg.Token, dst []float64)
	// TeacherLen caps the tokens Teacher scores per history (a family's
	// training window); zero means the whole history.
	TeacherLen int
	// TeacherTol: Teacher's results against LogProb token by token.
	TeacherTol Tol

	// Twin, if not nil, makes a second kind of state of the same model
	// (the fast float path beside a bit-exact one) whose distributions
	// must agree with the tested states' within TwinTol.
	Twin func(autoreg.Model) autoreg.State
	// TwinTol: the tested states' distributions against Twin's.
	TwinTol Tol

	// ScoreStarts are the prefix lengths from which ScoreSequence scores
	// the rest of each history; nil means 0, 1 and half the history.
	ScoreStarts []int

	// SaveLoad, if not nil, writes the model and reads it back (a family's
	// payload writer and reader, or modelfile.Encode and Decode). The
	// reloaded model must give identical bits.
	SaveLoad func(autoreg.Model) (autoreg.Model, error)

	// Procs are the GOMAXPROCS values under which every path must give the
	// bits it gives under the current setting; nil means 1, 2 and 4.
	Procs []int

	// Skip maps a check to the reason it does not apply to this family
	// (reported by the skipped subtest).
	Skip map[Check]string
	// Only, if not empty, runs only these checks (a second call of the
	// suite on a larger model, for example, for the checks it was built
	// for).
	Only []Check
}

// withDefaults fills the zero fields that have a default.
func (o Options) withDefaults(v autoreg.Vocab) Options {
	if o.HistoryLen == 0 {
		o.HistoryLen = 40
	}
	if o.Histories == nil {
		o.Histories = Histories(v, o.Seed, o.HistoryLen)
	}
	if o.NewState == nil {
		o.NewState = func(m autoreg.Model) autoreg.State { return m.NewState() }
	}
	if o.SumTol == 0 {
		o.SumTol = 1e-5
	}
	if o.Procs == nil {
		o.Procs = []int{1, 2, 4}
	}
	return o
}

// skipReason returns why check c does not run under skip and only (see
// Options.Skip and Options.Only), or "".
func skipReason(skip map[Check]string, only []Check, c Check) string {
	if r, ok := skip[c]; ok {
		if r == "" {
			r = "skipped by Options.Skip"
		}
		return r
	}
	if len(only) > 0 && !slices.Contains(only, c) {
		return "not in Options.Only"
	}
	return ""
}

// agree reports whether got agrees with want within tol, and the
// difference measured as tol measures it (0 for equal values, +Inf for
// values that cannot agree).
func agree(got, want float64, tol Tol) (bool, float64) {
	if math.IsNaN(got) || math.IsNaN(want) {
		return false, math.Inf(1)
	}
	if got == want && math.Signbit(got) == math.Signbit(want) {
		return true, 0
	}
	if math.IsInf(got, 0) || math.IsInf(want, 0) {
		return false, math.Inf(1)
	}
	d := math.Abs(got-want) / math.Max(1, math.Abs(want))
	return tol > 0 && d <= float64(tol), d
}

// meter compares values and remembers the largest difference it saw, so a
// check can report how close to its tolerance a family runs.
type meter struct {
	worst float64
	n     int
}

func (m *meter) agree(got, want float64, tol Tol) bool {
	ok, d := agree(got, want, tol)
	if ok {
		m.worst = max(m.worst, d)
		m.n++
	}
	return ok
}

// firstDiff returns the first index where got and want disagree, or -1.
func (m *meter) firstDiff(got, want []float64, tol Tol) int {
	for k := range want {
		if !m.agree(got[k], want[k], tol) {
			return k
		}
	}
	return -1
}

// report describes the largest difference seen, for the test log.
func (m *meter) report(what string, tol Tol) string {
	if tol == 0 {
		return fmt.Sprintf("%s: %d values, identical bits", what, m.n)
	}
	return fmt.Sprintf("%s: %d values, largest difference %.3g (tolerance %g)", what, m.n, m.worst, float64(tol))
}
