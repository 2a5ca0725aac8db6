package lmzip

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg/lmzip/internal/cm"
	"github.com/autoreg/autoreg/lmzip/internal/legacy"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// Adaptive architectures. Each name stands for a full configuration, and the
// container header stores that configuration spelled out (see
// [AdaptiveConfig.String]), so a file stays decodable if a preset changes.
var adaptivePresets = map[string]AdaptiveConfig{
	// balanced: engine 2's light profile: each block analyzed and machine
	// code transformed as in mix, but three or four hashed contexts per
	// kind (ARM64's aligned to the instruction words) in one 16 MiB table,
	// one match model over a 4 MiB history, two first-layer neurons and
	// one SSE stage.
	// fast: the default, engine 2's fast profile: balanced's analysis,
	// transforms, contexts, table and match model, but one mixing neuron
	// (its weights chosen by the partial byte and the match state) and a
	// code path specialized to that shape: at least 1 MB/s on one core.
	"fast":     {Engine: 2, HashBits: 17, HistBits: 22, Matches: []int{5}, Limit: 1023, LR: 16, LR2: 2, APM: 1, Profile: 2},
	"balanced": {Engine: 2, HashBits: 18, HistBits: 22, Matches: []int{6}, Limit: 1023, LR: 6, LR2: 2, APM: 1, Profile: 1},
	// ngram: the default before fast, a count-based model: byte contexts of orders
	// 0, 1, 2, 3 and 5, one mixer (an SSE stage would gain 0.05% for 8% of
	// the speed).
	"ngram": {Engine: 1, Orders: []int{1, 2, 3, 5}, HashBits: 17, Limit: 127, LR: 3, Mixers: 1, APM: 0},
	// mix: the content-aware engine: each block analyzed (text, x86 or
	// ARM64 code, compressed, other binary), machine code transformed,
	// contexts for the kind (orders to 8, words, columns, sparse and
	// indirect contexts) in one 64 MiB table, two match models (6 and 24
	// bytes) over a 16 MiB history, a two-layer mixer, three SSE stages.
	"mix": {Engine: 2, HashBits: 20, HistBits: 24, Matches: []int{6, 24}, Limit: 1023, LR: 6, LR2: 2, APM: 3},
	// lstm: the original engine with orders 1-6 and 8, two word contexts,
	// a match model, three mixers and two SSE stages (the mix of files
	// written before engine 2), plus a 128-cell LSTM over bytes trained
	// online (backpropagation through 10 bytes, Adam at 0.005), mixed in
	// as one more input: the strongest and slowest preset.
	"lstm": {Engine: 1, Orders: []int{1, 2, 3, 4, 5, 6, 8}, Word: true, Match: 7, HashBits: 18, Limit: 127, LR: 4, Mixers: 3, APM: 2,
		LSTM: 128, Horizon: 10, LSTMRate: 50, Revision: netRevision},
	// gpt: lstm's context models plus a one-block transformer 64 wide (2
	// heads) over a 16-byte window, trained online (Adam at 0.001 every 8
	// bytes), mixed in as one more input.
	"gpt": {Engine: 1, Orders: []int{1, 2, 3, 4, 5, 6, 8}, Word: true, Match: 7, HashBits: 18, Limit: 127, LR: 4, Mixers: 3, APM: 2,
		GPT: 64, GPTHeads: 2, GPTLayers: 1, GPTWindow: 16, GPTRate: 10, Revision: netRevision},
}

// netRevision is the revision of the online networks' numerics the writer
// codes with (docs/COMPRESSION.md, "Versions"): 2, the networks of package
// online, built on internal/exact. Revision 1, the networks of files
// written before, is decoded with package legacy.
const netRevision = 2

// AdaptiveArchs lists the names accepted by [AdaptivePreset].
func AdaptiveArchs() []string { return []string{"fast", "ngram", "balanced", "mix", "lstm", "gpt"} }

// DefaultAdaptive is the architecture the writer uses when none is given.
const DefaultAdaptive = "fast"

// AdaptiveConfig is the full configuration of the adaptive context-mixing
// model. The decoder rebuilds the model from it, so every field that changes
// a prediction is here.
type AdaptiveConfig struct {
	// Engine is the context-mixing engine: 1, the original one (spelled
	// "cm ..."), with the fields Orders, Word, Match and Mixers; or 2, the
	// content-aware one (spelled "cm2 ..."), which analyzes every block
	// (text, x86 or ARM64 code, compressed data, other binary), transforms
	// machine code and picks its contexts for the kind, with the fields
	// HistBits, Matches and LR2. HashBits, Limit, LR, APM and the networks
	// belong to both.
	Engine int
	// HistBits (engine 2) is log2 of the history the match models search.
	HistBits int
	// Matches (engine 2) are the match models' minimum lengths (1 to 3
	// models, lengths 2..32).
	Matches []int
	// LR2 (engine 2) is the second mixing layer's learning rate.
	LR2 int
	// Profile (engine 2) is its set of contexts and mixer: 0 the full one
	// (the mix level), 1 the light one (the balanced level: three or four
	// contexts per kind, two first-layer neurons), 2 the fast one (the
	// default level: the light one's contexts, one neuron). Spelled p=1 or
	// p=2 when not 0, in headers of format version 3 (p=1) or 4 (p=2).
	Profile int
	// Orders are the byte-context orders besides 0 (always present); order 1
	// is a direct table, the others (2..8) are hashed.
	Orders []int
	// Word adds two contexts on the current word (letters, case-folded):
	// with the previous byte and with the previous word.
	Word bool
	// Match is the minimum length of the match model (0 = none), which
	// predicts the byte that followed the last occurrence of the context.
	Match int
	// HashBits is log2 of the number of 64-byte buckets of each hashed
	// context's table (memory: 2^HashBits · 64 bytes per context); in
	// engine 2, of the one table all hashed contexts share.
	HashBits int
	// Limit caps the counters' observation count (adaptation speed).
	Limit int
	// LR is the mixers' learning rate.
	LR int
	// Mixers is 1 (selected by the partial byte) or 3 (also by the match
	// state and by the previous byte, joined by a second layer).
	Mixers int
	// APM is the number of SSE stages (0..2; engine 2: 0..3).
	APM int
	// LSTM is the number of cells of the online LSTM predictor (0 = none; a
	// multiple of 32 up to 512), whose bit probabilities the mixers take as
	// one more input. It backpropagates through Horizon bytes (1..100) and
	// learns with Adam at rate LSTMRate·10⁻⁴ (1..1000).
	LSTM, Horizon, LSTMRate int
	// GPT is the width of the online transformer predictor (0 = none; a
	// multiple of 32 up to 256), with GPTHeads heads (dividing the width),
	// GPTLayers blocks (1..4), a window of GPTWindow bytes (even, 4..128)
	// and Adam rate GPTRate·10⁻⁴ (1..1000).
	GPT, GPTHeads, GPTLayers, GPTWindow, GPTRate int
	// Revision is the revision of the online networks' numerics, for a
	// configuration with an LSTM or a GPT (0 without): 2, the current one,
	// or 1, that of files written before revisions were recorded, which
	// lmzip decodes and no longer writes. The header spells it v=2; a
	// header with networks and no v= is revision 1. The writer codes with
	// the current revision, and gives it to a configuration string without
	// v=.
	Revision int
}

// cm2 is the content-aware engine's configuration in c.
func (c AdaptiveConfig) cm2() cm.Config {
	return cm.Config{HashBits: c.HashBits, HistBits: c.HistBits, Match: c.Matches, APM: c.APM, Limit: c.Limit, LR: c.LR, LR2: c.LR2,
		Light: c.Profile >= 1, Fast: c.Profile == 2}
}

// cm is the context-mixing part of c.
func (c AdaptiveConfig) cm() legacy.CMConfig {
	return legacy.CMConfig{Orders: c.Orders, Word: c.Word, Match: c.Match, HashBits: c.HashBits, Limit: c.Limit,
		LR: c.LR, Mixers: c.Mixers, APM: c.APM}
}

// AdaptivePreset returns the configuration behind an architecture name.
func AdaptivePreset(arch string) (AdaptiveConfig, error) {
	c, ok := adaptivePresets[arch]
	if !ok {
		return AdaptiveConfig{}, fmt.Errorf("lmzip: unknown adaptive architecture %q (have %s)", arch, strings.Join(AdaptiveArchs(), ", "))
	}
	c.Orders = append([]int(nil), c.Orders...)
	c.Matches = append([]int(nil), c.Matches...)
	return c, nil
}

// String is the canonical spelling stored in the container header, e.g.
// "cm o=1,2,3,5 w=0 m=0 h=17 l=127 r=3 x=1 a=0", with
// " n=cells,horizon,rate" appended when the model has an LSTM,
// " g=width,heads,blocks,window,rate" when it has a GPT, and then the
// networks' revision " v=2" (nothing for revision 1, as files written
// before revisions were recorded spell it).
func (c AdaptiveConfig) String() string {
	var b strings.Builder
	if c.Engine == 2 {
		fmt.Fprintf(&b, "cm2 h=%d b=%d m=%s l=%d r=%d,%d a=%d", c.HashBits, c.HistBits, joinInts(c.Matches), c.Limit, c.LR, c.LR2, c.APM)
		if c.Profile != 0 {
			fmt.Fprintf(&b, " p=%d", c.Profile)
		}
		c.writeNets(&b)
		return b.String()
	}
	b.WriteString("cm o=")
	for i, o := range c.Orders {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(o))
	}
	w := 0
	if c.Word {
		w = 1
	}
	fmt.Fprintf(&b, " w=%d m=%d h=%d l=%d r=%d x=%d a=%d", w, c.Match, c.HashBits, c.Limit, c.LR, c.Mixers, c.APM)
	c.writeNets(&b)
	return b.String()
}

// joinInts spells l comma-separated.
func joinInts(l []int) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

// writeNets appends the optional network fields and revision.
func (c AdaptiveConfig) writeNets(b *strings.Builder) {
	if c.LSTM > 0 {
		fmt.Fprintf(b, " n=%d,%d,%d", c.LSTM, c.Horizon, c.LSTMRate)
	}
	if c.GPT > 0 {
		fmt.Fprintf(b, " g=%d,%d,%d,%d,%d", c.GPT, c.GPTHeads, c.GPTLayers, c.GPTWindow, c.GPTRate)
	}
	if c.Revision >= 2 {
		fmt.Fprintf(b, " v=%d", c.Revision)
	}
}

// ParseAdaptiveConfig parses the canonical spelling, checking every field's
// range (a header may be corrupt or hostile: memory is bounded by h). A
// configuration with networks and no v= has revision 1, as a header
// written before revisions were recorded.
func ParseAdaptiveConfig(s string) (AdaptiveConfig, error) {
	c, _, err := parseAdaptiveConfig(s)
	return c, err
}

// parseAdaptiveConfig is ParseAdaptiveConfig that also reports whether s
// spelled the revision out.
func parseAdaptiveConfig(s string) (c AdaptiveConfig, hasRevision bool, err error) {
	c, hasRevision, err = parseFields(s)
	if err != nil {
		return c, false, err
	}
	if !hasRevision && (c.LSTM > 0 || c.GPT > 0) {
		c.Revision = 1
	}
	return c, hasRevision, c.check()
}

func parseFields(s string) (c AdaptiveConfig, hasRevision bool, err error) {
	fields := strings.Fields(s)
	bad := func(f string) error {
		if f == "" {
			return fmt.Errorf("lmzip: bad adaptive configuration %q", s)
		}
		return fmt.Errorf("lmzip: bad adaptive configuration %q: field %q", s, f)
	}
	// The fixed fields: "cm" and eight, or "cm2" and six.
	var keys []string
	switch {
	case len(fields) > 0 && fields[0] == "cm":
		c.Engine, keys = 1, []string{"o", "w", "m", "h", "l", "r", "x", "a"}
	case len(fields) > 0 && fields[0] == "cm2":
		c.Engine, keys = 2, []string{"h", "b", "m", "l", "r", "a"}
	default:
		return c, false, bad("")
	}
	nfix := 1 + len(keys)
	// Optional fields after the fixed ones, in this order: p= (engine 2's
	// profile), n= (LSTM), g= (GPT) and v= (the networks' revision).
	for _, opt := range []struct {
		key  string
		dst  []*int
		name string
	}{
		{"p", []*int{&c.Profile}, ""},
		{"n", []*int{&c.LSTM, &c.Horizon, &c.LSTMRate}, "LSTM"},
		{"g", []*int{&c.GPT, &c.GPTHeads, &c.GPTLayers, &c.GPTWindow, &c.GPTRate}, "GPT"},
		{"v", []*int{&c.Revision}, ""},
	} {
		if len(fields) <= nfix {
			break
		}
		k, v, _ := strings.Cut(fields[nfix], "=")
		if k != opt.key {
			continue
		}
		parts, err := ints(v, len(opt.dst), len(opt.dst))
		if err != nil {
			return c, false, bad(fields[nfix])
		}
		for i, p := range parts {
			*opt.dst[i] = p
		}
		if *opt.dst[0] == 0 && opt.name != "" {
			return c, false, fmt.Errorf("lmzip: bad adaptive configuration %q: %s with no width", s, opt.name)
		}
		if opt.key == "p" && (c.Engine != 2 || c.Profile == 0) { // the full profile is spelled without p=
			return c, false, bad(fields[nfix])
		}
		hasRevision = hasRevision || opt.key == "v"
		fields = append(fields[:nfix:nfix], fields[nfix+1:]...)
	}
	if len(fields) != nfix {
		return c, false, bad("")
	}
	vals := map[string][]int{}
	for i, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != keys[i] {
			return c, false, bad(f)
		}
		lo, hi := 1, 1 // numbers in the field
		switch {
		case c.Engine == 1 && k == "o":
			lo, hi = 1, 8
		case c.Engine == 2 && k == "m":
			lo, hi = 1, 3
		case c.Engine == 2 && k == "r":
			lo, hi = 2, 2
		}
		if vals[k], err = ints(v, lo, hi); err != nil {
			return c, false, bad(f)
		}
	}
	if c.Engine == 2 {
		c.HashBits, c.HistBits, c.Matches, c.Limit = vals["h"][0], vals["b"][0], vals["m"], vals["l"][0]
		c.LR, c.LR2, c.APM = vals["r"][0], vals["r"][1], vals["a"][0]
		return c, hasRevision, nil
	}
	seen := map[int]bool{}
	for _, o := range vals["o"] {
		if o < 1 || o > 8 || seen[o] {
			return c, false, fmt.Errorf("lmzip: bad adaptive configuration %q: order %d", s, o)
		}
		seen[o] = true
	}
	c.Orders = vals["o"]
	if w := vals["w"][0]; w != 0 && w != 1 {
		return c, false, fmt.Errorf("lmzip: bad adaptive configuration %q: w=%d (want 0 or 1)", s, w)
	}
	c.Word = vals["w"][0] == 1
	c.Match, c.HashBits, c.Limit, c.LR, c.Mixers, c.APM = vals["m"][0], vals["h"][0], vals["l"][0], vals["r"][0], vals["x"][0], vals["a"][0]
	return c, hasRevision, nil
}

// ints parses lo..hi comma-separated decimal numbers.
func ints(v string, lo, hi int) ([]int, error) {
	parts := strings.Split(v, ",")
	if len(parts) < lo || len(parts) > hi {
		return nil, fmt.Errorf("%d numbers", len(parts))
	}
	l := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, err
		}
		l[i] = n
	}
	return l, nil
}

func (c AdaptiveConfig) check() error {
	bad := func(what string, v int) error {
		return fmt.Errorf("lmzip: adaptive configuration %q: %s %d out of range", c.String(), what, v)
	}
	if err := c.checkEngine(); err != nil {
		return err
	}
	switch {
	case c.Limit < 1 || c.Limit > 1023:
		return bad("count limit", c.Limit)
	case c.LR < 1 || c.LR > 64:
		return bad("learning rate", c.LR)
	case c.LSTM < 0 || c.LSTM > 512 || c.LSTM%32 != 0:
		return bad("LSTM cells", c.LSTM)
	case c.LSTM > 0 && (c.Horizon < 1 || c.Horizon > 100):
		return bad("LSTM horizon", c.Horizon)
	case c.LSTM > 0 && (c.LSTMRate < 1 || c.LSTMRate > 1000):
		return bad("LSTM learning rate", c.LSTMRate)
	case c.LSTM == 0 && (c.Horizon != 0 || c.LSTMRate != 0):
		return bad("LSTM horizon without cells", c.Horizon)
	case c.GPT < 0 || c.GPT > 256 || c.GPT%32 != 0:
		return bad("GPT width", c.GPT)
	case c.GPT > 0 && (c.GPTHeads < 1 || c.GPT%c.GPTHeads != 0):
		return bad("GPT heads", c.GPTHeads)
	case c.GPT > 0 && (c.GPTLayers < 1 || c.GPTLayers > 4):
		return bad("GPT layers", c.GPTLayers)
	case c.GPT > 0 && (c.GPTWindow < 4 || c.GPTWindow > 128 || c.GPTWindow%2 != 0):
		return bad("GPT window", c.GPTWindow)
	case c.GPT > 0 && (c.GPTRate < 1 || c.GPTRate > 1000):
		return bad("GPT learning rate", c.GPTRate)
	case c.GPT == 0 && (c.GPTHeads != 0 || c.GPTLayers != 0 || c.GPTWindow != 0 || c.GPTRate != 0):
		return bad("GPT settings without width", c.GPTHeads)
	case (c.LSTM > 0 || c.GPT > 0) && (c.Revision < 1 || c.Revision > netRevision):
		return fmt.Errorf("lmzip: adaptive configuration %q: networks of revision %d; this build has revisions 1 to %d", c.String(), c.Revision, netRevision)
	case c.LSTM == 0 && c.GPT == 0 && c.Revision != 0:
		return bad("network revision without networks", c.Revision)
	}
	if mem := c.Memory(); mem > maxModelMemory {
		return fmt.Errorf("lmzip: adaptive configuration %q needs %d MiB, more than %d MiB", c.String(), mem>>20, maxModelMemory>>20)
	}
	return nil
}

// checkEngine checks the fields of c's engine, and that the other
// engine's are unset.
func (c AdaptiveConfig) checkEngine() error {
	bad := func(what string, v int) error {
		return fmt.Errorf("lmzip: adaptive configuration %q: %s %d out of range", c.String(), what, v)
	}
	switch c.Engine {
	case 1:
		if len(c.Orders) == 0 || len(c.Orders) > 8 {
			return bad("number of orders", len(c.Orders))
		}
		for _, o := range c.Orders {
			if o < 1 || o > 8 {
				return bad("order", o)
			}
		}
		switch {
		case c.Match != 0 && (c.Match < 2 || c.Match > 8):
			return bad("match length", c.Match)
		case c.HashBits < 10 || c.HashBits > 22:
			return bad("hash bits", c.HashBits)
		case c.Mixers != 1 && c.Mixers != 3:
			return bad("mixers", c.Mixers)
		case c.APM < 0 || c.APM > 2:
			return bad("SSE stages", c.APM)
		case c.HistBits != 0 || c.Matches != nil || c.LR2 != 0 || c.Profile != 0:
			return fmt.Errorf("lmzip: adaptive configuration %q: fields of engine 2 in engine 1", c.String())
		}
	case 2:
		if len(c.Matches) < 1 || len(c.Matches) > 3 {
			return bad("number of match models", len(c.Matches))
		}
		for _, l := range c.Matches {
			if l < 2 || l > 32 {
				return bad("match length", l)
			}
		}
		switch {
		case c.HashBits < 10 || c.HashBits > 24:
			return bad("hash bits", c.HashBits)
		case c.HistBits < 16 || c.HistBits > 28:
			return bad("history bits", c.HistBits)
		case c.LR2 < 1 || c.LR2 > 64:
			return bad("second-layer learning rate", c.LR2)
		case c.APM < 0 || c.APM > 3:
			return bad("SSE stages", c.APM)
		case c.Profile < 0 || c.Profile > 2:
			return bad("profile", c.Profile)
		case c.Orders != nil || c.Word || c.Match != 0 || c.Mixers != 0:
			return fmt.Errorf("lmzip: adaptive configuration %q: fields of engine 1 in engine 2", c.String())
		}
	default:
		return bad("engine", c.Engine)
	}
	return nil
}

// maxModelMemory caps what a configuration (possibly read from a corrupt
// header) may allocate.
const maxModelMemory = 2 << 30

// Memory is the model's approximate memory use in bytes (address space;
// the order-2 table is touched only where contexts occur).
func (c AdaptiveConfig) Memory() int64 {
	var m int64
	if c.Engine == 2 {
		m = c.cm2().Memory()
	} else {
		m = c.cm().Memory()
	}
	if c.LSTM > 0 {
		m += online.LSTMMemory(c.LSTM, c.Horizon)
	}
	if c.GPT > 0 {
		m += online.GPTMemory(c.GPT, c.GPTHeads, c.GPTLayers, c.GPTWindow)
	}
	return m
}
