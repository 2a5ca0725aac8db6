package decode

import (
	"context"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// ctlModel is a bigram model per control code: tables[0] when no code is in
// effect, tables[1+i] under control code i. BOS clears the code, a control
// code sets it; neither changes the last ordinary token the bigram reads.
type ctlModel struct {
	vocab  autoreg.Vocab
	tables []*bigramModel
}

type ctlState struct {
	m    *ctlModel
	code int // index into tables
	last int // last ordinary token, -1: none
}

func (m *ctlModel) Vocab() autoreg.Vocab    { return m.vocab }
func (m *ctlModel) NewState() autoreg.State { return &ctlState{m: m, last: -1} }

func (s *ctlState) Append(xs ...autoreg.Token) {
	v := s.m.vocab
	for _, x := range xs {
		switch {
		case !v.Valid(x):
			panic("ctl: token out of range")
		case x == v.BOS():
			s.code = 0
		case int(x) >= v.Base+autoreg.NumReserved:
			s.code = 1 + int(x) - v.Base - autoreg.NumReserved
		default:
			s.last = int(x)
		}
	}
}
func (s *ctlState) row() []float32 {
	b := s.m.tables[s.code]
	if s.last < 0 {
		return b.start
	}
	return b.rows[s.last]
}
func (s *ctlState) LogProbs(dst []float32)          { copy(dst, s.row()) }
func (s *ctlState) LogProb(x autoreg.Token) float64 { return float64(s.row()[x]) }
func (s *ctlState) CopyTo(dst autoreg.State)        { *dst.(*ctlState) = *s }
func (s *ctlState) Reset()                          { s.code, s.last = 0, -1 }
func (s *ctlState) Len() int                        { return 0 }

// cfgVocab: ordinary 0..3, <s> 4, </s> 5, <unk> 6, <ctl:pos> 7, <ctl:neg> 8.
var cfgVocab = autoreg.Vocab{Base: 4, Controls: []string{"pos", "neg"}}

// constCtlModel gives the same distribution whatever the history, one per
// code: none, pos, neg (probabilities of the ordinary tokens; the rest 0).
func constCtlModel(none, pos, neg []float64) *ctlModel {
	m := &ctlModel{vocab: cfgVocab}
	for _, p := range [][]float64{none, pos, neg} {
		full := make([]float64, cfgVocab.Size())
		copy(full, p)
		b := constModel(logs(full...), cfgVocab.Base)
		b.vocab = cfgVocab
		for len(b.rows) < cfgVocab.Size() {
			b.rows = append(b.rows, b.start)
		}
		m.tables = append(m.tables, b)
	}
	return m
}

// randomCtlModel has a random bigram per code (with EOS).
func randomCtlModel(seed uint64) *ctlModel {
	m := &ctlModel{vocab: cfgVocab}
	for i := range 3 {
		b := randomBigram(seed+uint64(i), cfgVocab.Base, 0.05)
		b.vocab = cfgVocab
		for len(b.rows) < cfgVocab.Size() {
			b.rows = append(b.rows, b.start)
		}
		m.tables = append(m.tables, b)
	}
	return m
}

var (
	pNone = []float64{0.5, 0.2, 0.2, 0.1}
	pPos  = []float64{0.4, 0.3, 0.2, 0.1}
	pNeg  = []float64{0.6, 0.1, 0.2, 0.1}
)

// guided returns softmax(ln + γ(lp − ln)) = p^γ q^(1−γ) / Z by hand.
func guided(p, q []float64, gamma float64) []float64 {
	out := make([]float64, len(p))
	var z float64
	for i := range p {
		out[i] = math.Pow(p[i], gamma) * math.Pow(q[i], 1-gamma)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

func TestGuideHandComputed(t *testing.T) {
	lp, ln := logs(pPos...), logs(pNeg...)
	dst := make([]float32, 4)
	const z2 = 0.16/0.6 + 0.9 + 0.2 + 0.1
	for _, tc := range []struct {
		gamma float64
		want  []float64
	}{
		// γ = 2: p²/q = .16/.6, .09/.1, .04/.2, .01/.1 = .2667, .9, .2, .1,
		// over 1.4667: .1818, .6136, .1364, .0682.
		{2, []float64{0.16 / 0.6 / z2, 0.9 / z2, 0.2 / z2, 0.1 / z2}},
		{0.5, guided(pPos, pNeg, 0.5)},
		{1.5, guided(pPos, pNeg, 1.5)},
		{1, pPos},
	} {
		if !guide(dst, lp, ln, tc.gamma, nil) {
			t.Fatalf("γ=%v: no token left", tc.gamma)
		}
		for i, w := range tc.want {
			if got := math.Exp(float64(dst[i])); math.Abs(got-w) > 1e-6 {
				t.Errorf("γ=%v: p[%d] = %.7f, want %.7f", tc.gamma, i, got, w)
			}
		}
	}

	// Where the formula reads ∞ − ∞. Tokens: 0 possible in both; 1 ruled
	// out by the model; 2 ruled out by the negative branch only (twice:
	// 2 and 3); 4 banned; 5 NaN in the model.
	inf := math.Inf(-1)
	lp = logs(0.4, 0, 0.2, 0.1, 0.3, 0)
	lp[5] = float32(math.NaN())
	ln = logs(0.5, 0.5, 0, 0, 0, 0)
	dst = make([]float32, 6)
	ban := []autoreg.Token{4}
	for _, tc := range []struct {
		gamma float64
		want  []float64
	}{
		{2, []float64{0, 0, 0.04 / 0.05, 0.01 / 0.05, 0, 0}}, // only 2 and 3, ∝ p^γ
		{0.5, []float64{1, 0, 0, 0, 0, 0}},                   // 2 and 3 out
	} {
		guide(dst, lp, ln, tc.gamma, ban)
		for i, w := range tc.want {
			got := math.Exp(float64(dst[i]))
			if math.Abs(got-w) > 1e-6 || (w == 0 && float64(dst[i]) != inf) {
				t.Errorf("γ=%v: token %d: log-prob %v, want log %v", tc.gamma, i, dst[i], w)
			}
		}
	}
	if guide(dst, logs(0, 1, 0, 0, 0, 0), logs(1, 0, 0, 0, 0, 0), 0.5, nil) {
		t.Error("disjoint supports with γ < 1: want no token left")
	}
}

// With γ = 2, +pos against −neg, greedy picks token 1 (the guided argmax,
// 0.9/1.4667), where the model alone picks 0; LogProb stays the model's.
func TestCFGGreedyFollowsFormula(t *testing.T) {
	m := constCtlModel(pNone, pPos, pNeg)
	cfg := DefaultConfig()
	cfg.Temperature, cfg.MaxTokens, cfg.Control = 0, 5, "pos"
	prompt := []autoreg.Token{cfgVocab.BOS(), 2}
	run := func(cfg Config) Result {
		t.Helper()
		g, err := NewGenerator(m, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Generate(context.Background(), prompt, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := run(cfg); !slices.Equal(r.Tokens, []autoreg.Token{0, 0, 0, 0, 0}) {
		t.Fatalf("plain greedy: %v", r.Tokens)
	}
	cfg.CFGScale, cfg.CFGNegativeControl = 2, "neg"
	r := run(cfg)
	if !slices.Equal(r.Tokens, []autoreg.Token{1, 1, 1, 1, 1}) {
		t.Fatalf("guided greedy: %v, want token 1 every step", r.Tokens)
	}
	if want := 5 * float64(float32(math.Log(0.3))); math.Abs(r.LogProb-want) > 1e-9 || r.Score != r.LogProb {
		t.Fatalf("LogProb %v (score %v), want the model's 5·log 0.3 = %v", r.LogProb, r.Score, want)
	}
	// Other branches and scales: greedy picks the formula's argmax (against
	// the untagged branch with γ = 2, p²/q = .32, .45, .2, .1: token 1).
	for _, tc := range []struct {
		neg   string
		q     []float64
		gamma float64
	}{{"", pNone, 2}, {"neg", pNeg, 1.2}, {"neg", pNeg, 1.05}, {"", pNone, 0.5}} {
		cfg.CFGScale, cfg.CFGNegativeControl = tc.gamma, tc.neg
		want := guided(pPos, tc.q, tc.gamma)
		best := 0
		for i := range want {
			if want[i] > want[best] {
				best = i
			}
		}
		if r := run(cfg); r.Tokens[0] != autoreg.Token(best) {
			t.Errorf("negative %q, γ=%v: greedy %v, formula's argmax %d (%v)", tc.neg, tc.gamma, r.Tokens, best, want)
		}
	}
}

// The sampled frequencies follow the guided distribution.
func TestCFGSampledFrequencies(t *testing.T) {
	m := constCtlModel(pNone, pPos, pNeg)
	cfg := DefaultConfig()
	cfg.Control, cfg.CFGScale, cfg.CFGNegativeControl, cfg.MaxTokens, cfg.Seed = "pos", 2, "neg", 20000, 7
	g, err := NewGenerator(m, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Generate(context.Background(), []autoreg.Token{cfgVocab.BOS()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n [4]float64
	for _, tok := range r.Tokens {
		n[tok]++
	}
	for i, w := range guided(pPos, pNeg, 2) {
		f := n[i] / float64(len(r.Tokens))
		if sd := math.Sqrt(w * (1 - w) / float64(len(r.Tokens))); math.Abs(f-w) > 5*sd {
			t.Errorf("token %d: frequency %.4f, guided probability %.4f", i, f, w)
		}
	}
}

func TestCFGScale1IsOff(t *testing.T) {
	m := randomCtlModel(3)
	prompt := []autoreg.Token{cfgVocab.BOS(), 1}
	cfg := busyConfig(9)
	cfg.Control = "pos"
	gen := func(cfg Config) (Result, *Generator) {
		t.Helper()
		g, err := NewGenerator(m, cfg, letters(4))
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Generate(context.Background(), prompt, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r, g
	}
	cfg.CFGScale = 1
	want, g := gen(cfg)
	if g.negSt != nil || g.NegativeCondition(prompt) != nil {
		t.Fatal("γ = 1 runs a negative branch")
	}
	cfg.CFGScale = 0 // the zero Config's value: off as well
	if got, _ := gen(cfg); !slices.Equal(got.Tokens, want.Tokens) || string(got.Text) != string(want.Text) || got.LogProb != want.LogProb {
		t.Fatalf("γ = 0 differs from γ = 1:\n%s\n%s", got.Text, want.Text)
	}
	cfg.CFGScale, cfg.CFGNegativeControl = 3, "neg"
	if got, _ := gen(cfg); slices.Equal(got.Tokens, want.Tokens) {
		t.Fatalf("γ = 3 gives the unguided sample %q", got.Text)
	}
}

// LogProb is the model's log-probability of the tokens under the positive
// condition, for samples and for Rerank; seeded runs repeat for any
// GOMAXPROCS.
func TestCFGLogProbIsModels(t *testing.T) {
	m := randomCtlModel(5)
	prompt := []autoreg.Token{cfgVocab.BOS(), 3, 1}
	cfg := DefaultConfig()
	cfg.Control, cfg.CFGScale, cfg.CFGNegativeControl, cfg.Seed, cfg.MaxTokens = "pos", 1.7, "neg", 11, 60
	cfg.RepetitionPenalty, cfg.TopP = 1.1, 0.95
	check := func(r Result) {
		t.Helper()
		st := m.NewState()
		g, _ := NewGenerator(m, cfg, nil)
		st.Append(g.Condition(prompt)...)
		var lp float64
		for _, tok := range r.Tokens {
			lp += st.LogProb(tok)
			st.Append(tok)
		}
		if len(r.Tokens) < 3 || math.Abs(lp-r.LogProb) > 1e-9 {
			t.Fatalf("%d tokens, LogProb %v, model's %v", len(r.Tokens), r.LogProb, lp)
		}
	}
	rs, err := Run(context.Background(), m, prompt, cfg, letters(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	check(rs[0])
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(p)
		again, err := Run(context.Background(), m, prompt, cfg, letters(4), nil)
		if err != nil || !slices.Equal(again[0].Tokens, rs[0].Tokens) || again[0].LogProb != rs[0].LogProb {
			t.Fatalf("GOMAXPROCS=%d: %q, want %q (%v)", p, again[0].Text, rs[0].Text, err)
		}
	}
	cfg.Rerank, cfg.NumReturn = 6, 6
	rr, err := Run(context.Background(), m, prompt, cfg, letters(4), nil)
	if err != nil || len(rr) != 6 {
		t.Fatalf("rerank: %d results, %v", len(rr), err)
	}
	for i, r := range rr {
		check(r)
		if i > 0 && r.Score > rr[i-1].Score {
			t.Fatal("rerank not best first")
		}
	}
}

func TestNegativeCondition(t *testing.T) {
	m := constCtlModel(pNone, pPos, pNeg)
	v := cfgVocab
	pos, _ := v.Control("pos")
	neg, _ := v.Control("neg")
	bos := v.BOS()
	for _, tc := range []struct {
		ctl, negCtl string
		negPrompt   []autoreg.Token
		prompt      []autoreg.Token
		want        []autoreg.Token
	}{
		{"pos", "neg", nil, []autoreg.Token{bos, 1, 2}, []autoreg.Token{bos, neg, 1, 2}},
		{"pos", "", nil, []autoreg.Token{bos, 1, 2}, []autoreg.Token{bos, 1, 2}},
		{"pos", "neg", nil, []autoreg.Token{1, 2}, []autoreg.Token{neg, 1, 2}},
		{"pos", "neg", []autoreg.Token{bos, 3}, []autoreg.Token{bos, 1, 2}, []autoreg.Token{bos, neg, 3}},
		{"pos", "", []autoreg.Token{bos}, []autoreg.Token{bos, 1, 2}, []autoreg.Token{bos}},
		{"", "pos", nil, []autoreg.Token{bos, 1}, []autoreg.Token{bos, pos, 1}},
	} {
		cfg := DefaultConfig()
		cfg.Control, cfg.CFGNegativeControl, cfg.CFGNegativePrompt, cfg.CFGScale = tc.ctl, tc.negCtl, tc.negPrompt, 1.5
		g, err := NewGenerator(m, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.NegativeCondition(tc.prompt); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: negative condition %v, want %v", tc, got, tc.want)
		}
	}
}

func TestCFGStepsAllocateNothing(t *testing.T) {
	m := randomCtlModel(8)
	allocs := func(n int) float64 {
		cfg := busyConfig(3)
		cfg.MaxTokens, cfg.IgnoreEOS = n, true
		cfg.Stop = []string{"zzzz"}
		cfg.Control, cfg.CFGScale, cfg.CFGNegativeControl = "pos", 1.5, "neg"
		g, err := NewGenerator(m, cfg, letters(4))
		if err != nil {
			t.Fatal(err)
		}
		run := func() {
			r, err := g.Generate(context.Background(), []autoreg.Token{cfgVocab.BOS(), 1}, func(Chunk) error { return nil })
			if err != nil || len(r.Tokens) != n {
				t.Fatalf("%d tokens, %v", len(r.Tokens), err)
			}
		}
		run()
		return testing.AllocsPerRun(5, run)
	}
	short, long := allocs(20), allocs(400)
	if long > short {
		t.Fatalf("Generate with CFG allocates %v times for 20 tokens, %v for 400: steps allocate", short, long)
	}
	// One guided step alone.
	lp, ln := zipfLogProbs(1000, 1), zipfLogProbs(1000, 2)
	dst := make([]float32, 1000)
	if a := testing.AllocsPerRun(50, func() { guide(dst, lp, ln, 1.5, []autoreg.Token{3}) }); a != 0 {
		t.Fatalf("guide: %v allocations", a)
	}
}

func TestCFGValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"negative":      {func(c *Config) { c.CFGScale = -1 }, "--cfg-scale -1: must be ≥ 0"},
		"nan":           {func(c *Config) { c.CFGScale = math.NaN() }, "--cfg-scale NaN"},
		"inf":           {func(c *Config) { c.CFGScale = math.Inf(1) }, "--cfg-scale +Inf"},
		"neg ctl, off":  {func(c *Config) { c.CFGNegativeControl = "neg" }, `--cfg-negative-control "neg" needs --cfg-scale`},
		"neg prompt":    {func(c *Config) { c.CFGNegativePrompt = []autoreg.Token{1} }, "--cfg-negative-prompt needs --cfg-scale"},
		"beams":         {func(c *Config) { c.CFGScale, c.CFGNegativeControl, c.Beams = 2, "neg", 3 }, "--cfg-scale and --beams exclude each other"},
		"same branch":   {func(c *Config) { c.CFGScale = 2 }, "the negative branch would be the prompt itself"},
		"same ctl":      {func(c *Config) { c.CFGScale, c.Control, c.CFGNegativeControl = 2, "pos", "pos" }, "negative branch would be"},
		"neg ctl, zero": {func(c *Config) { c.CFGScale, c.CFGNegativeControl = 0, "neg" }, "needs --cfg-scale"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "decode: ") {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
	for _, ok := range []func(*Config){
		func(c *Config) { c.CFGScale, c.Control = 1.5, "pos" },
		func(c *Config) { c.CFGScale, c.CFGNegativeControl = 0.5, "neg" },
		func(c *Config) { c.CFGScale, c.CFGNegativePrompt = 3, []autoreg.Token{4} },
		func(c *Config) { c.CFGScale, c.Control, c.CFGNegativeControl, c.Rerank = 2, "pos", "neg", 4 },
	} {
		c := DefaultConfig()
		ok(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}

	// Against the vocabulary: the tag must exist, listed like --control's.
	c := DefaultConfig()
	c.Control, c.CFGScale, c.CFGNegativeControl = "pos", 2, "zz"
	err := c.CheckVocab(cfgVocab)
	if want := `decode: --cfg-negative-control "zz": the model has no such control code (it has 2: pos, neg)`; err == nil || err.Error() != want {
		t.Errorf("unknown negative tag: %v, want %q", err, want)
	}
	if _, err := NewGenerator(constCtlModel(pNone, pPos, pNeg), c, nil); err == nil {
		t.Error("NewGenerator accepts an unknown negative tag")
	}
	c.CFGNegativeControl, c.CFGNegativePrompt = "", []autoreg.Token{1, 99}
	if err := c.CheckVocab(cfgVocab); err == nil || !strings.Contains(err.Error(), "--cfg-negative-prompt: token 99 outside") {
		t.Errorf("negative prompt out of range: %v", err)
	}
}
