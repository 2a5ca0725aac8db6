package decode

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
)

func TestParseOrder(t *testing.T) {
	for _, s := range []string{"", "hf", "llama", " llama "} {
		if o, err := ParseOrder(s); err != nil || len(o) != len(ProcessorNames) {
			t.Errorf("ParseOrder(%q) = %v, %v", s, o, err)
		}
	}
	o, err := ParseOrder("top-k; temperature top-p,min-p")
	if err != nil || strings.Join(o, ",") != "top-k,temperature,top-p,min-p" {
		t.Errorf("custom order: %v, %v", o, err)
	}
	for s, want := range map[string]string{
		"top-k,top-q":     `unknown processor "top-q"`,
		"top-k,top-k":     `"top-k" listed twice`,
		",,":              "no processor names",
		"temperature,hf ": `unknown processor "hf"`,
	} {
		if _, err := ParseOrder(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOrder(%q) error %v, want %q", s, err, want)
		}
	}
	// Both presets hold every processor exactly once.
	for _, p := range []string{OrderHF, OrderLlama} {
		seen := map[string]int{}
		for _, n := range strings.Split(p, ",") {
			seen[n]++
		}
		for _, n := range ProcessorNames {
			if seen[n] != 1 {
				t.Errorf("preset %q holds %q %d times", p, n, seen[n])
			}
		}
	}
}

func TestParseLogitBias(t *testing.T) {
	lookup := func(s string) (autoreg.Token, bool) {
		if s == "the" {
			return 7, true
		}
		if s == "=" {
			return 9, true
		}
		return 0, false
	}
	for in, want := range map[string]Bias{
		"15=2.5":   {15, 2.5},
		"15=+1":    {15, 1},
		"0=-inf":   {0, float32(math.Inf(-1))},
		"3=-INF":   {3, float32(math.Inf(-1))},
		"the=-1":   {7, -1},
		"==0.5":    {9, 0.5},
		"12=-0.25": {12, -0.25},
	} {
		got, err := ParseLogitBias(in, lookup)
		if err != nil || got != want {
			t.Errorf("ParseLogitBias(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"15":      "want TOKEN=BIAS",
		"=2":      "want TOKEN=BIAS",
		"15=":     "want TOKEN=BIAS",
		"-3=1":    "negative token id",
		"foo=1":   `unknown token "foo"`,
		"15=abc":  "not a finite number",
		"15=inf":  "not a finite number",
		"15=NaN":  "not a finite number",
		"15=1e99": "not a finite number",
	} {
		if _, err := ParseLogitBias(in, lookup); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseLogitBias(%q) error %v, want %q", in, err, msg)
		}
	}
	if _, err := ParseLogitBias("the=1", nil); err == nil || !strings.Contains(err.Error(), "not an id") {
		t.Errorf("no lookup: %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	d := DefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"temperature": {func(c *Config) { c.Temperature = -1 }, "--temperature -1"},
		"nan temp":    {func(c *Config) { c.Temperature = math.NaN() }, "--temperature"},
		"top-p":       {func(c *Config) { c.TopP = 1.5 }, "--top-p 1.5"},
		"min-p":       {func(c *Config) { c.MinP = -0.1 }, "--min-p"},
		"typical":     {func(c *Config) { c.TypicalP = 2 }, "--typical-p"},
		"epsilon":     {func(c *Config) { c.Epsilon = 1 }, "--epsilon"},
		"eta":         {func(c *Config) { c.Eta = -1 }, "--eta"},
		"sigma":       {func(c *Config) { c.TopNSigma = -1 }, "--top-n-sigma"},
		"repetition":  {func(c *Config) { c.RepetitionPenalty = -2 }, "--repetition-penalty"},
		"window":      {func(c *Config) { c.PenaltyWindow = -1 }, "--penalty-window"},
		"ngram":       {func(c *Config) { c.NoRepeatNGram = -1 }, "--no-repeat-ngram"},
		"dry base":    {func(c *Config) { c.DRYMultiplier, c.DRYBase = 1, 1 }, "--dry-base"},
		"xtc":         {func(c *Config) { c.XTCProbability = 2 }, "--xtc-probability"},
		"mirostat":    {func(c *Config) { c.MirostatTau, c.MirostatEta = 5, 0 }, "--mirostat-eta"},
		"beams+rr":    {func(c *Config) { c.Beams, c.Rerank = 4, 4 }, "exclude each other"},
		"num-return":  {func(c *Config) { c.Beams, c.NumReturn = 2, 3 }, "must not exceed --beams 2"},
		"stop":        {func(c *Config) { c.Stop = []string{""} }, "empty stop string"},
		"beams+temp":  {func(c *Config) { c.Beams, c.Temperature, c.TopK = 4, 0.5, 3 }, "temperature, top-k would be ignored"},
		"bias":        {func(c *Config) { c.LogitBias = []Bias{{1, float32(math.Inf(1))}} }, "--logit-bias"},
		"order":       {func(c *Config) { c.Order = "nope" }, "unknown processor"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "decode: ") {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func TestNewSamplerOrder(t *testing.T) {
	v := autoreg.Vocab{Base: 10}
	cfg := DefaultConfig()
	cfg.Temperature, cfg.TopK, cfg.TopP, cfg.RepetitionPenalty = 0.7, 40, 0.9, 1.2
	for order, want := range map[string]string{
		"llama": "repetition-penalty,top-k,top-p,temperature",
		"hf":    "repetition-penalty,temperature,top-k,top-p",
		"top-p,temperature,top-k,repetition-penalty": "top-p,temperature,top-k,repetition-penalty",
	} {
		cfg.Order = order
		s, err := NewSampler(cfg, v)
		if err != nil || s.Order() != want {
			t.Errorf("order %q: chain %q, %v; want %q", order, s.Order(), err, want)
		}
	}
	cfg.Order = "temperature,top-k"
	if _, err := NewSampler(cfg, v); err == nil || !strings.Contains(err.Error(), "leaves out repetition-penalty, top-p") {
		t.Errorf("missing processors: %v", err)
	}
	cfg = DefaultConfig()
	cfg.LogitBias = []Bias{{99, 1}}
	if _, err := NewSampler(cfg, v); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Errorf("bias out of range: %v", err)
	}
}

func FuzzParseOrder(f *testing.F) {
	for _, s := range []string{"", "hf", "llama", "top-k,top-p", "temperature;min-p xtc", ",", "top-k,top-k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrder(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "decode: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range o {
			if seen[n] {
				t.Fatalf("%q twice in %v", n, o)
			}
			seen[n] = true
		}
		cfg := DefaultConfig()
		cfg.Order = s
		if _, err := NewSampler(cfg, autoreg.Vocab{Base: 4}); err != nil {
			t.Fatalf("valid order %q rejected by NewSampler: %v", s, err)
		}
	})
}

func FuzzParseLogitBias(f *testing.F) {
	for _, s := range []string{"15=2.5", "0=-inf", "the=-1", "==1", "=", "1=", "x=y", "-1=2", "99999999999=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseLogitBias(s, func(w string) (autoreg.Token, bool) { return 3, w == "the" })
		if err != nil {
			if !strings.HasPrefix(err.Error(), "decode: --logit-bias ") {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		if b.Token < 0 || math.IsNaN(float64(b.Bias)) || math.IsInf(float64(b.Bias), 1) {
			t.Fatalf("%q parsed to %v", s, b)
		}
		cfg := Config{LogitBias: []Bias{b}}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed bias %v fails Validate: %v", b, err)
		}
	})
}

// FuzzStopper checks streamed stop-string matching against the whole-text
// specification for arbitrary texts, splits and stop strings.
func FuzzStopper(f *testing.F) {
	f.Add([]byte("abcSTOPxyz"), []byte{2, 2, 1, 3}, "STOP", "xy")
	f.Add([]byte("\xc3\xa9\xc3\xa9"), []byte{1, 1, 1}, "\xa9\xc3", "z")
	f.Fuzz(func(t *testing.T, text, splits []byte, s1, s2 string) {
		var stops []string
		for _, s := range []string{s1, s2} {
			if s != "" {
				stops = append(stops, s)
			}
		}
		var pieces [][]byte
		rest := text
		for _, n := range splits {
			k := min(int(n)%8, len(rest))
			pieces = append(pieces, rest[:k])
			rest = rest[k:]
		}
		pieces = append(pieces, rest)
		checkStopper(t, 0, stops, pieces, text)
	})
}

func TestParseStop(t *testing.T) {
	for in, want := range map[string]string{
		"STOP":        "STOP",
		`\n\n`:        "\n\n",
		`a\tb`:        "a\tb",
		`say \"hi\"`:  `say "hi"`,
		`it\'s`:       "it's",
		`\xc3\xa9`:    "\xc3\xa9",
		`\u00e9`:      "é",
		"é":           "é",
		`back\\slash`: `back\slash`,
	} {
		got, err := ParseStop(in)
		if err != nil || got != want {
			t.Errorf("ParseStop(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", `\q`, `\x4`, `abc\`} {
		if _, err := ParseStop(in); err == nil || !strings.HasPrefix(err.Error(), "decode: --stop") {
			t.Errorf("ParseStop(%q): error %v", in, err)
		}
	}
}

func FuzzParseStop(f *testing.F) {
	for _, s := range []string{"STOP", `\n`, `\x41\u00e9`, `\"`, `\`, "é\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseStop(s)
		if err == nil && got == "" {
			t.Fatalf("ParseStop(%q) returned an empty stop string", s)
		}
		if err == nil && !strings.Contains(s, `\`) && got != s {
			t.Fatalf("ParseStop(%q) = %q: text without escapes must pass through", s, got)
		}
		// Go's own quoting round-trips.
		if s != "" {
			q := strconv.Quote(s)
			back, err := ParseStop(q[1 : len(q)-1])
			if err != nil || back != s && utf8.ValidString(s) {
				t.Fatalf("ParseStop(%s) = %q, %v; want %q", q, back, err, s)
			}
		}
	})
}
