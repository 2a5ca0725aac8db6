package modeltest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// The checks of TestConditional, in the order they run. The package doc
// says what each one demands.
const (
	Condition Check = "condition"
	Sources   Check = "sources"
	Batch     Check = "batch"
	CrossCopy Check = "crosscopy"
	CrossStep Check = "crossstep"
)

// ConditionalOptions configures TestConditional. The zero value conditions
// on the empty source and on four sources drawn from seed 0 (one of
// MaxSourceLen tokens), and walks one target history of 40 tokens.
type ConditionalOptions struct {
	// Seed draws the default sources and target history, and the batches
	// of the step check.
	Seed uint64
	// Sources are the sources conditioned on; nil means the empty source
	// and four of ordinary source tokens, of lengths 1, 2, MaxSourceLen/2
	// and MaxSourceLen. They must be valid and not too long.
	Sources [][]autoreg.Token
	// Target is the target history walked on every conditioned model; nil
	// means <s> followed by TargetLen−1 ordinary tokens. A family adds one
	// that crosses its target window.
	Target []autoreg.Token
	// TargetLen is the length of the default target; zero means 40.
	TargetLen int
	// Skip and Only select checks as in Options.
	Skip map[Check]string
	Only []Check
}

// TestConditional runs the conditional seam's checks on c: one subtest per
// check, skipped with its reason when it does not apply. It checks what
// conditioning promises beyond each conditioned model being a Model (which
// a family checks by running TestModel on c.Condition(src)). c should be
// small and trained or perturbed, so that different sources give different
// distributions.
func TestConditional(t *testing.T, c autoreg.Conditional, o ConditionalOptions) {
	t.Helper()
	r, err := newCondRun(c, o)
	if err != nil {
		t.Fatal(err)
	}
	runChecks(t, r, condChecks)
}

// condChecks are TestConditional's checks in order.
var condChecks = []check[*condRun]{
	{Condition, (*condRun).checkCondition},
	{Sources, (*condRun).checkSources},
	{Batch, (*condRun).checkBatch},
	{CrossCopy, (*condRun).checkCrossCopy},
	{CrossStep, (*condRun).checkCrossStep},
}

// condRun is TestConditional's shared work: each source's conditioned
// model and the reference walk of the target on it.
type condRun struct {
	c      autoreg.Conditional
	o      ConditionalOptions
	models []autoreg.Model
	sms    []*seam[autoreg.State, []autoreg.Token]
	ref    [][][]float64 // ref[s][i]: source s, after i target tokens
	logf   func(format string, args ...any)
}

func newCondRun(c autoreg.Conditional, o ConditionalOptions) (*condRun, error) {
	v, sv := c.Vocab(), c.SourceVocab()
	for _, vv := range []autoreg.Vocab{v, sv} {
		if err := vv.Check(); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x636f6e64)) // "cond"
	if o.Sources == nil {
		o.Sources = [][]autoreg.Token{{}}
		for _, n := range []int{1, 2, c.MaxSourceLen() / 2, c.MaxSourceLen()} {
			src := make([]autoreg.Token, n)
			for i := range src {
				src[i] = autoreg.Token(rng.IntN(sv.Base))
			}
			o.Sources = append(o.Sources, src)
		}
	}
	if o.TargetLen == 0 {
		o.TargetLen = 40
	}
	if o.Target == nil {
		o.Target = Histories(v, o.Seed, o.TargetLen)[0]
	}
	r := &condRun{c: c, o: o, logf: func(string, ...any) {}}
	for si, src := range o.Sources {
		m, err := c.Condition(slices.Clone(src))
		if err != nil {
			return nil, fmt.Errorf("source %d (%d tokens): %w", si, len(src), err)
		}
		sm := tokenSeam(m, v.Size())
		r.models = append(r.models, m)
		r.sms = append(r.sms, sm)
		r.ref = append(r.ref, sm.walk(o.Target))
	}
	return r, nil
}

// tokenSeam adapts m's NewState states to the shared checks.
func tokenSeam(m autoreg.Model, V int) *seam[autoreg.State, []autoreg.Token] {
	r := &tokenRun{V: V, o: Options{NewState: func(m autoreg.Model) autoreg.State { return m.NewState() }}}
	return r.seamOf(m)
}

func (r *condRun) setLogf(f func(string, ...any)) { r.logf = f }

func (r *condRun) notApplicable(c Check) string {
	if reason := skipReason(r.o.Skip, r.o.Only, c); reason != "" {
		return reason
	}
	switch c {
	case Batch:
		if _, ok := r.c.(autoreg.BatchConditional); !ok {
			return "the model does not implement autoreg.BatchConditional"
		}
	case CrossStep:
		if _, ok := r.models[0].(autoreg.Stepper); !ok {
			return "the conditioned models do not implement autoreg.Stepper"
		}
	}
	return ""
}

// forSources runs f on each source, labelling its error.
func (r *condRun) forSources(f func(si int, src []autoreg.Token) error) error {
	for si, src := range r.o.Sources {
		if err := f(si, src); err != nil {
			return fmt.Errorf("source %d (%d tokens): %w", si, len(src), err)
		}
	}
	return nil
}

// checkCondition: conditioning again on a source gives the same bits, the
// model's own NewState is the empty source's, a source's tokens are not
// changed by Condition, and Condition refuses a source longer than
// MaxSourceLen or with an id outside SourceVocab.
func (r *condRun) checkCondition() error {
	var m meter
	err := r.forSources(func(si int, src []autoreg.Token) error {
		in := slices.Clone(src)
		again, err := r.c.Condition(in)
		if err != nil {
			return err
		}
		if !slices.Equal(in, src) {
			return fmt.Errorf("Condition changed its source")
		}
		return r.sms[si].follow(&m, "conditioned again", again.NewState(), r.o.Target, 0, r.ref[si], 0)
	})
	if err != nil {
		return err
	}
	empty := tokenSeam(r.c, r.c.Vocab().Size())
	if err := empty.follow(&m, "the model's own NewState against the empty source", r.c.NewState(), r.o.Target, 0,
		tokenSeam(mustCondition(r.c, nil), r.c.Vocab().Size()).walk(r.o.Target), 0); err != nil {
		return err
	}
	sv := r.c.SourceVocab()
	if _, err := r.c.Condition(make([]autoreg.Token, r.c.MaxSourceLen()+1)); err == nil {
		return fmt.Errorf("a source of %d tokens (MaxSourceLen %d) was accepted", r.c.MaxSourceLen()+1, r.c.MaxSourceLen())
	}
	if _, err := r.c.Condition([]autoreg.Token{autoreg.Token(sv.Size())}); err == nil {
		return fmt.Errorf("source id %d, outside the source vocabulary of %d, was accepted", sv.Size(), sv.Size())
	}
	r.logf("%s", m.report("conditioned twice, and the empty source", 0))
	return nil
}

// mustCondition conditions c on src or panics (for sources Condition has
// already accepted).
func mustCondition(c autoreg.Conditional, src []autoreg.Token) autoreg.Model {
	m, err := c.Condition(src)
	if err != nil {
		panic(err)
	}
	return m
}

// checkSources: the source matters: some two sources give different
// distributions somewhere along the target (a model that ignored its
// source would pass every other check).
func (r *condRun) checkSources() error {
	if len(r.o.Sources) < 2 {
		return fmt.Errorf("%d sources: the check needs two", len(r.o.Sources))
	}
	for si := 1; si < len(r.ref); si++ {
		for i := range r.ref[si] {
			if !slices.Equal(r.ref[si][i], r.ref[0][i]) {
				return nil
			}
		}
	}
	return fmt.Errorf("every source gives the distributions of source 0: the model ignores its source")
}

// checkBatch: ConditionBatch gives, for each source, the bits Condition
// gives; the sources in reverse order and an empty batch too; a batch
// holding an invalid source fails.
func (r *condRun) checkBatch() error {
	b := r.c.(autoreg.BatchConditional)
	var m meter
	for _, order := range []string{"in order", "reversed"} {
		idx := make([]int, len(r.o.Sources))
		for i := range idx {
			idx[i] = i
		}
		if order == "reversed" {
			slices.Reverse(idx)
		}
		srcs := make([][]autoreg.Token, len(idx))
		for k, si := range idx {
			srcs[k] = slices.Clone(r.o.Sources[si])
		}
		ms, err := b.ConditionBatch(srcs)
		if err != nil {
			return fmt.Errorf("ConditionBatch %s: %w", order, err)
		}
		if len(ms) != len(srcs) {
			return fmt.Errorf("ConditionBatch of %d sources returned %d models", len(srcs), len(ms))
		}
		for k, si := range idx {
			what := fmt.Sprintf("source %d conditioned in a batch, %s", si, order)
			if err := r.sms[si].follow(&m, what, ms[k].NewState(), r.o.Target, 0, r.ref[si], 0); err != nil {
				return err
			}
		}
	}
	if ms, err := b.ConditionBatch(nil); err != nil || len(ms) != 0 {
		return fmt.Errorf("ConditionBatch of no sources: %d models, %v", len(ms), err)
	}
	bad := append(slices.Clone(r.o.Sources), make([]autoreg.Token, r.c.MaxSourceLen()+1))
	if _, err := b.ConditionBatch(bad); err == nil {
		return fmt.Errorf("a batch holding a source of %d tokens was accepted", r.c.MaxSourceLen()+1)
	}
	r.logf("%s", m.report("ConditionBatch against Condition", 0))
	return nil
}

// checkCrossCopy: a state of one source's model copied into a state of
// another's (after some history of its own) carries the source: the copy
// predicts and continues along the first source's reference, bit for bit,
// and so does the original when the copy moves on.
func (r *condRun) checkCrossCopy() error {
	var m meter
	h := r.o.Target
	n := len(r.ref)
	for si := range n {
		di := (si + 1) % n
		for _, k := range []int{0, 1, len(h) / 2} {
			src := r.sms[si].stepwise(h, k)
			dst := r.sms[di].stepwise(h, len(h)-k)
			src.CopyTo(dst)
			what := fmt.Sprintf("source %d's state after %d tokens copied into source %d's", si, k, di)
			if err := r.sms[si].follow(&m, what, dst, h, k, r.ref[si], 0); err != nil {
				return err
			}
			if err := r.sms[si].follow(&m, what+", the original", src, h, k, r.ref[si], 0); err != nil {
				return err
			}
		}
	}
	r.logf("%s", m.report("copies across sources", 0))
	return nil
}

// checkCrossStep: the Step of one conditioned model advances states of
// every source together (each started at staggered target positions), in
// random subsets and orders, to the bits of appending one token at a time.
func (r *condRun) checkCrossStep() error {
	var lanes []*lane
	for si := range r.ref {
		for _, from := range staggered(len(r.o.Target)) {
			lanes = append(lanes, &lane{name: fmt.Sprintf("source %d from %d", si, from),
				st: r.sms[si].stepwise(r.o.Target, from), h: r.o.Target, ref: r.ref[si], pos: from})
		}
	}
	rng := rand.New(rand.NewPCG(r.o.Seed, 0x73746570)) // "step"
	rounds, err := checkStepLanes(r.sms[0], r.models[0].(autoreg.Stepper).Step, lanes, rng)
	r.logf("Step: %d states of %d sources in %d batched rounds, identical bits", len(lanes), len(r.ref), rounds)
	return err
}
