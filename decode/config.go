package decode

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/autoreg/autoreg"
)

// Config holds every setting of one generation: the sampler chain's
// processors (see the package documentation for their formulas), the
// search (sampling, beam search or sample-and-rerank), and when to stop.
//
// The zero Config is greedy decoding (Temperature 0) with every processor
// off and the defaults of the fields that document one. [DefaultConfig] is
// plain sampling from the model (Temperature 1), the usual starting point.
// A processor is off at its neutral value: 0, or 1 for TopP, TypicalP,
// RepetitionPenalty and CFGScale (where 0 also means off, so the zero value
// stays neutral). [Config.Validate] reports the first value out of range.
//
// The `autoreg sample` command sets each field from the flag of the same
// name in kebab case (TopP from --top-p, DRYMultiplier from
// --dry-multiplier); Order is --sampler-order, and DRYBreakers has no flag
// (the command maps DefaultBreakers through the model's tokenizer).
type Config struct {
	// Temperature T ≥ 0 divides every score: s ← s/T, so T < 1 sharpens the
	// distribution and T > 1 flattens it; 1 leaves the model's own
	// distribution. 0 (the zero value) is greedy decoding: the most
	// probable token, ties to the lowest id (Ackley, Hinton & Sejnowski
	// 1985). See [Temperature].
	Temperature float64
	// TopK keeps the K most probable tokens (Fan, Lewis & Dauphin 2018).
	// 0 is off. See [TopK].
	TopK int
	// TopP, in [0, 1], is nucleus sampling: keep the smallest set of most
	// probable tokens whose mass reaches P (Holtzman et al. 2020). 0 or 1
	// is off. See [TopP].
	TopP float64
	// MinP, in [0, 1], keeps the tokens at least MinP times as probable as
	// the most probable one (Nguyen et al. 2024). 0 is off. See [MinP].
	MinP float64
	// TypicalP, in [0, 1], is locally typical sampling: keep the tokens
	// whose surprisal is closest to the entropy, up to mass P (Meister et
	// al. 2023). 0 or 1 is off. See [TypicalP].
	TypicalP float64
	// Epsilon, in [0, 1), is ε-sampling: keep the tokens of probability at
	// least ε (Hewitt, Manning & Liang 2022; their range 3e-4 to 9e-4).
	// 0 is off. See [Epsilon].
	Epsilon float64
	// Eta, in [0, 1), is η-sampling: keep p ≥ min(ε, √ε·e^−H), a cutoff
	// that falls as the entropy H rises (Hewitt et al. 2022, §5). 0 is
	// off. See [Eta].
	Eta float64
	// TopNSigma N ≥ 0 keeps the tokens whose score is within N standard
	// deviations of the best (Tang et al. 2024); independent of the
	// temperature. 0 is off. See [TopNSigma].
	TopNSigma float64
	// MinKeep is the fewest tokens any truncation leaves; 0 means 1.
	MinKeep int

	// RepetitionPenalty θ > 0 raises the probability of every token seen
	// in the penalty window to the power θ: θ > 1 discourages repeats, θ < 1
	// encourages them (CTRL, Keskar et al. 2019, on log-probabilities).
	// 0 or 1 is off. See [RepetitionPenalty].
	RepetitionPenalty float64
	// PresencePenalty α subtracts α from the log-probability of every token
	// seen in the penalty window (the OpenAI API's presence_penalty);
	// negative α rewards repeats. 0 is off. See [PresencePenalty].
	PresencePenalty float64
	// FrequencyPenalty α subtracts α per occurrence in the penalty window
	// (the OpenAI API's frequency_penalty). 0 is off. See
	// [FrequencyPenalty].
	FrequencyPenalty float64
	// PenaltyWindow is how many recent tokens (prompt included) the
	// repetition, presence and frequency penalties look at; 0 is the whole
	// sequence. DefaultConfig sets 64, as llama.cpp.
	PenaltyWindow int
	// NoRepeatNGram N bans every token that would complete an N-gram
	// already in the history (Paulus, Xiong & Socher 2018). 0 is off. See
	// [NoRepeatNGram].
	NoRepeatNGram int
	// LogitBias adds a fixed bias to chosen tokens' log-probabilities
	// (−Inf bans a token); nil is none. ParseLogitBias reads the TOKEN=BIAS
	// form. See [LogitBias].
	LogitBias []Bias

	// DRYMultiplier m ≥ 0 switches on DRY ("Don't Repeat Yourself", p-e-w
	// 2024): the token that would extend a repetition of length L of the
	// recent text loses m·b^(L−A) from its log-probability. 0 is off;
	// 0.8 is typical. See [DRY].
	DRYMultiplier float64
	// DRYBase b > 1 is DRY's exponential base (DefaultConfig: 1.75).
	DRYBase float64
	// DRYAllowedLength A ≥ 1 is the longest repetition DRY leaves alone
	// (DefaultConfig: 2).
	DRYAllowedLength int
	// DRYWindow is how many recent tokens DRY searches for repetitions;
	// 0 is the whole sequence (llama.cpp's default).
	DRYWindow int
	// DRYBreakers are the sequence-breaker tokens that cut DRY's matches
	// (newline, ':', '"', '*' for text: BreakerTokens maps DefaultBreakers
	// through a tokenizer); nil is none.
	DRYBreakers []autoreg.Token

	// XTCProbability, in [0, 1], is the chance per step that XTC ("Exclude
	// Top Choices", p-e-w 2024) removes every token above XTCThreshold but
	// the least probable of them. 0 is off. See [XTC].
	XTCProbability float64
	// XTCThreshold, in [0, 1], is the probability a token needs to count as
	// a top choice (DefaultConfig: 0.1; above 0.5 XTC can never act).
	XTCThreshold float64

	// MirostatTau τ ≥ 0 switches on Mirostat 2.0 (Basu et al. 2021), which
	// steers the surprise of the text toward τ bits per token; 0 is off,
	// 5 is typical. See [Mirostat].
	MirostatTau float64
	// MirostatEta, in (0, 1], is Mirostat's learning rate (DefaultConfig:
	// 0.1).
	MirostatEta float64

	// Order is the order the processors run in: "llama" (temperature last,
	// the default), "hf" (temperature first, as Hugging Face generate), or
	// processor names separated by commas (see ParseOrder and
	// ProcessorNames). "" is DefaultOrder.
	Order string
	// Seed seeds the PCG generator of every random draw: the same seed,
	// model and Config give the same text.
	Seed uint64

	// MaxTokens caps the generated tokens (EOS included); 0 means
	// DefaultMaxTokens.
	MaxTokens int
	// MaxTime is the wall-clock budget of one generation (each returned
	// sequence has its own); 0 is none.
	MaxTime time.Duration
	// Stop ends generation before the first occurrence of any of these
	// strings in the rendered text, matched across token boundaries; the
	// stop string itself is never emitted. Empty strings are invalid.
	Stop []string

	// Beams is the beam width of beam search; 0 or 1 samples instead. Beam
	// search ranks by the model's probabilities, so the sampling processors
	// must be off. See [BeamSearch].
	Beams int
	// LengthPenalty α ranks finished beam (and reranked) sequences by
	// log P / n^α over their n tokens: 0 ranks by log P itself, α > 0
	// favours longer sequences (DefaultConfig: 1, as Hugging Face).
	LengthPenalty float64
	// EarlyStopping stops a beam search as soon as Beams hypotheses have
	// ended, instead of when no live beam can still beat them.
	EarlyStopping bool
	// NumReturn is how many sequences Run returns: the best beams, the best
	// reranked samples, or independent samples; 0 means 1.
	NumReturn int
	// Rerank N > 1 draws N samples and returns them best first by the
	// model's log-probability, length-normalized by LengthPenalty; 0 or 1
	// is off. See [Generator.Rerank].
	Rerank int

	// Control is the control code (a tag the model was trained with) that
	// conditions generation, inserted after the prompt's leading BOS; ""
	// is none.
	Control string
	// SampleSpecials lets generation produce BOS and control codes. They
	// are context-only tokens, so by default the sampler and beam search
	// never choose them (they are removed before the chain runs, which
	// renormalizes over the other tokens). EOS and UNK are always allowed.
	SampleSpecials bool
	// IgnoreEOS never produces EOS, so generation runs to MaxTokens (or a
	// stop string, or MaxTime): fixed-length outputs.
	IgnoreEOS bool

	// CFGScale γ ≥ 0 is classifier-free guidance (Sanchez et al. 2023):
	// the sampler chain sees log-softmax(ln + γ·(lp − ln)), lp the model's
	// log-probabilities and ln those of a negative branch (see
	// CFGNegativeControl and CFGNegativePrompt, and the package
	// documentation, "Classifier-free guidance"). γ > 1 steers away from
	// the negative branch; 0 or 1 is off. Sampling only; each step costs
	// two model steps.
	CFGScale float64
	// CFGNegativeControl is the negative branch's control code, in place
	// of Control; "" is no control code there.
	CFGNegativeControl string
	// CFGNegativePrompt is the negative branch's prompt, tokenized like the
	// prompt with its leading BOS, in place of the prompt (as Hugging
	// Face's negative_prompt_ids); empty means the prompt itself.
	CFGNegativePrompt []autoreg.Token
}

// cfgOn reports whether classifier-free guidance is on.
func (c *Config) cfgOn() bool { return c.CFGScale != 0 && c.CFGScale != 1 }

// contextOnly returns the tokens generation never produces: BOS and the
// control codes unless SampleSpecials is set, and EOS if IgnoreEOS is.
func (c *Config) contextOnly(v autoreg.Vocab) []autoreg.Token {
	var out []autoreg.Token
	if c.IgnoreEOS {
		out = append(out, v.EOS())
	}
	if c.SampleSpecials {
		return out
	}
	out = append(out, v.BOS())
	for i := range v.Controls {
		out = append(out, autoreg.Token(v.Base+autoreg.NumReserved+i))
	}
	return out
}

// DefaultMaxTokens is the generation length when Config.MaxTokens is 0.
const DefaultMaxTokens = 256

// maxReserve caps the token buffers reserved up front, so that a huge
// MaxTokens does not allocate a huge buffer before generating anything.
const maxReserve = 1 << 14

// DefaultBreakers are DRY's default sequence breakers (text-generation-webui
// and llama.cpp): newline, colon, double quote, asterisk.
var DefaultBreakers = []string{"\n", ":", "\"", "*"}

// DefaultConfig is the starting point of `autoreg sample`: plain sampling
// from the model (temperature 1, no truncation, no penalty), so that what
// comes out is the model's own distribution until the user asks otherwise,
// with the neutral parameters of the optional processors filled in.
func DefaultConfig() Config {
	return Config{
		Temperature:       1,
		TopP:              1,
		TypicalP:          1,
		RepetitionPenalty: 1,
		MinKeep:           1,
		PenaltyWindow:     64,
		DRYBase:           1.75,
		DRYAllowedLength:  2,
		XTCThreshold:      0.1,
		MirostatEta:       0.1,
		Order:             DefaultOrder,
		MaxTokens:         DefaultMaxTokens,
		LengthPenalty:     1,
		NumReturn:         1,
		CFGScale:          1,
	}
}

// Validate reports the first out-of-range knob, naming its flag.
func (c *Config) Validate() error {
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("decode: --%s %v: %s", flag, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(c.Temperature) || c.Temperature < 0:
		return bad(NameTemperature, c.Temperature, "must be ≥ 0 (0 is greedy)")
	case c.TopK < 0:
		return bad(NameTopK, c.TopK, "must be ≥ 0 (0 is off)")
	case !(c.TopP >= 0 && c.TopP <= 1):
		return bad(NameTopP, c.TopP, "must be in [0, 1] (0 or 1 is off)")
	case !(c.MinP >= 0 && c.MinP <= 1):
		return bad(NameMinP, c.MinP, "must be in [0, 1] (0 is off)")
	case !(c.TypicalP >= 0 && c.TypicalP <= 1):
		return bad(NameTypicalP, c.TypicalP, "must be in [0, 1] (0 or 1 is off)")
	case !(c.Epsilon >= 0 && c.Epsilon < 1):
		return bad(NameEpsilon, c.Epsilon, "must be in [0, 1) (0 is off)")
	case !(c.Eta >= 0 && c.Eta < 1):
		return bad(NameEta, c.Eta, "must be in [0, 1) (0 is off)")
	case !finite(c.TopNSigma) || c.TopNSigma < 0:
		return bad(NameTopNSigma, c.TopNSigma, "must be ≥ 0 (0 is off)")
	case c.MinKeep < 0:
		return bad("min-keep", c.MinKeep, "must be ≥ 0")
	case !finite(c.RepetitionPenalty) || c.RepetitionPenalty < 0:
		return bad(NameRepetitionPenalty, c.RepetitionPenalty, "must be > 0 (1 is off)")
	case !finite(c.PresencePenalty):
		return bad(NamePresencePenalty, c.PresencePenalty, "must be finite")
	case !finite(c.FrequencyPenalty):
		return bad(NameFrequencyPenalty, c.FrequencyPenalty, "must be finite")
	case c.PenaltyWindow < 0:
		return bad("penalty-window", c.PenaltyWindow, "must be ≥ 0 (0 is the whole sequence)")
	case c.NoRepeatNGram < 0:
		return bad(NameNoRepeatNGram, c.NoRepeatNGram, "must be ≥ 0 (0 is off)")
	case !finite(c.DRYMultiplier) || c.DRYMultiplier < 0:
		return bad("dry-multiplier", c.DRYMultiplier, "must be ≥ 0 (0 is off)")
	case c.DRYMultiplier > 0 && !(c.DRYBase > 1 && finite(c.DRYBase)):
		return bad("dry-base", c.DRYBase, "must be > 1")
	case c.DRYWindow < 0:
		return bad("dry-window", c.DRYWindow, "must be ≥ 0 (0 is the whole sequence)")
	case c.DRYMultiplier > 0 && c.DRYAllowedLength < 1:
		return bad("dry-allowed-length", c.DRYAllowedLength, "must be ≥ 1")
	case !(c.XTCProbability >= 0 && c.XTCProbability <= 1):
		return bad("xtc-probability", c.XTCProbability, "must be in [0, 1] (0 is off)")
	case !(c.XTCThreshold >= 0 && c.XTCThreshold <= 1):
		return bad("xtc-threshold", c.XTCThreshold, "must be in [0, 1]")
	case !finite(c.MirostatTau) || c.MirostatTau < 0:
		return bad("mirostat-tau", c.MirostatTau, "must be ≥ 0 (0 is off)")
	case c.MirostatTau > 0 && !(c.MirostatEta > 0 && c.MirostatEta <= 1):
		return bad("mirostat-eta", c.MirostatEta, "must be in (0, 1]")
	case c.MaxTokens < 0:
		return bad("max-tokens", c.MaxTokens, "must be ≥ 0")
	case c.MaxTime < 0:
		return bad("max-time", c.MaxTime, "must be ≥ 0")
	case c.Beams < 0:
		return bad("beams", c.Beams, "must be ≥ 0")
	case !finite(c.LengthPenalty):
		return bad("length-penalty", c.LengthPenalty, "must be finite")
	case c.NumReturn < 0:
		return bad("num-return", c.NumReturn, "must be ≥ 0")
	case c.Rerank < 0:
		return bad("rerank", c.Rerank, "must be ≥ 0")
	case c.Beams > 1 && c.Rerank > 1:
		return errors.New("decode: --beams and --rerank exclude each other")
	case c.Beams > 1 && len(c.enabledNames()) > 0:
		return fmt.Errorf("decode: --beams searches by model probability; %s would be ignored (unset it, or sample)",
			strings.Join(c.enabledNames(), ", "))
	case c.Beams > 1 && c.NumReturn > c.Beams:
		return bad("num-return", c.NumReturn, fmt.Sprintf("must not exceed --beams %d", c.Beams))
	case c.Rerank > 1 && c.NumReturn > c.Rerank:
		return bad("num-return", c.NumReturn, fmt.Sprintf("must not exceed --rerank %d", c.Rerank))
	case !finite(c.CFGScale) || c.CFGScale < 0:
		return bad("cfg-scale", c.CFGScale, "must be ≥ 0 (0 or 1 is off)")
	case !c.cfgOn() && c.CFGNegativeControl != "":
		return fmt.Errorf("decode: --cfg-negative-control %q needs --cfg-scale other than 1", c.CFGNegativeControl)
	case !c.cfgOn() && len(c.CFGNegativePrompt) > 0:
		return errors.New("decode: --cfg-negative-prompt needs --cfg-scale other than 1")
	case c.cfgOn() && c.Beams > 1:
		return errors.New("decode: --cfg-scale and --beams exclude each other (beam search ranks by the model's own probability; guidance applies to sampling)")
	case c.cfgOn() && len(c.CFGNegativePrompt) == 0 && c.CFGNegativeControl == c.Control:
		return bad("cfg-scale", c.CFGScale, "the negative branch would be the prompt itself "+
			"(set --cfg-negative-control to another tag than --control, or --cfg-negative-prompt)")
	}
	for _, b := range c.LogitBias {
		if math.IsNaN(float64(b.Bias)) || math.IsInf(float64(b.Bias), 1) {
			return bad(NameLogitBias, fmt.Sprintf("%d=%v", b.Token, b.Bias), "bias must be finite or -inf")
		}
	}
	for _, s := range c.Stop {
		if s == "" {
			return errors.New("decode: --stop: empty stop string")
		}
	}
	if _, err := ParseOrder(c.Order); err != nil {
		return err
	}
	return nil
}

// Sampler orders. DefaultOrder is OrderLlama.
//
// Why llama-style is the default: truncation then acts on the model's own
// distribution, so a cutoff means the same thing at every temperature
// ("top-p 0.9 keeps 90% of the model's mass"), and a high temperature only
// redistributes probability among tokens the model finds plausible instead of
// first flattening the tail into the nucleus — the reason llama.cpp,
// text-generation-webui ("temperature last") and the min-p paper put
// temperature last. It is also the cheaper order: after top-k, everything
// else runs on k tokens instead of the whole vocabulary. OrderHF reproduces
// Hugging Face's generate, where warpers see the temperature-scaled scores.
const (
	// OrderHF is Hugging Face generate's order: logit processors
	// (bias, penalties, n-gram blocking), then temperature, then the
	// truncating warpers.
	OrderHF = "logit-bias,repetition-penalty,presence-penalty,frequency-penalty,no-repeat-ngram,dry," +
		"temperature,top-k,top-p,min-p,typical-p,epsilon,eta,top-n-sigma,xtc,mirostat"
	// OrderLlama is llama.cpp's default chain: logit bias and penalties,
	// DRY, truncation, XTC, and temperature last (Mirostat, when on, ends
	// the chain as llama.cpp's does).
	OrderLlama = "logit-bias,repetition-penalty,presence-penalty,frequency-penalty,no-repeat-ngram,dry," +
		"top-n-sigma,top-k,typical-p,top-p,min-p,epsilon,eta,xtc,temperature,mirostat"
	// DefaultOrder is the order used when Config.Order is empty.
	DefaultOrder = "llama"
)

// ProcessorNames lists every name a sampler order may hold.
var ProcessorNames = []string{
	NameLogitBias, NameRepetitionPenalty, NamePresencePenalty, NameFrequencyPenalty,
	NameNoRepeatNGram, NameDRY, NameTemperature, NameTopK, NameTopP, NameMinP,
	NameTypicalP, NameEpsilon, NameEta, NameTopNSigma, NameXTC, NameMirostat,
}

// ParseOrder parses a --sampler-order value: a preset ("hf", "llama"), or
// processor names separated by commas, semicolons or spaces, each at most
// once. "" means DefaultOrder. Processors missing from a custom order must be
// off (NewSampler says which).
func ParseOrder(s string) ([]string, error) {
	switch strings.TrimSpace(s) {
	case "":
		return ParseOrder(DefaultOrder)
	case "hf":
		return ParseOrder(OrderHF)
	case "llama":
		return ParseOrder(OrderLlama)
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("decode: --sampler-order %q: no processor names", s)
	}
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		known := false
		for _, n := range ProcessorNames {
			if f == n {
				known = true
				break
			}
		}
		if !known {
			return nil, fmt.Errorf("decode: --sampler-order: unknown processor %q (known: hf, llama, or %s)",
				f, strings.Join(ProcessorNames, ","))
		}
		if seen[f] {
			return nil, fmt.Errorf("decode: --sampler-order: %q listed twice", f)
		}
		seen[f] = true
	}
	return fields, nil
}

// ParseLogitBias parses one --logit-bias value, TOKEN=BIAS. TOKEN is a token
// id, or, when lookup is non-nil, any name lookup resolves (a tokenizer's
// Lookup). BIAS is a number or -inf (ban); a leading '+' is allowed. The
// separator is the last '=' so that a token named "=" reads as "==1.5".
func ParseLogitBias(s string, lookup func(string) (autoreg.Token, bool)) (Bias, error) {
	i := strings.LastIndexByte(s, '=')
	if i <= 0 || i == len(s)-1 {
		return Bias{}, fmt.Errorf("decode: --logit-bias %q: want TOKEN=BIAS", s)
	}
	name, val := s[:i], s[i+1:]
	var t autoreg.Token
	if id, err := strconv.ParseInt(name, 10, 32); err == nil {
		if id < 0 {
			return Bias{}, fmt.Errorf("decode: --logit-bias %q: negative token id", s)
		}
		t = autoreg.Token(id)
	} else if lookup != nil {
		var ok bool
		if t, ok = lookup(name); !ok {
			return Bias{}, fmt.Errorf("decode: --logit-bias %q: unknown token %q", s, name)
		}
	} else {
		return Bias{}, fmt.Errorf("decode: --logit-bias %q: token %q is not an id", s, name)
	}
	var b float64
	switch strings.ToLower(strings.TrimPrefix(val, "+")) {
	case "-inf", "-infinity":
		b = math.Inf(-1)
	default:
		var err error
		b, err = strconv.ParseFloat(val, 32)
		if err != nil || math.IsNaN(b) || math.IsInf(b, 0) {
			return Bias{}, fmt.Errorf("decode: --logit-bias %q: bias %q is not a finite number or -inf", s, val)
		}
	}
	return Bias{Token: t, Bias: float32(b)}, nil
}

// CheckVocab reports config entries that do not fit vocabulary v: logit-bias,
// breaker and negative-prompt tokens out of range, an unknown control code
// (--control or --cfg-negative-control).
func (c *Config) CheckVocab(v autoreg.Vocab) error {
	for _, b := range c.LogitBias {
		if !v.Valid(b.Token) {
			return fmt.Errorf("decode: --logit-bias: token %d outside the vocabulary of %d", b.Token, v.Size())
		}
	}
	for _, t := range c.DRYBreakers {
		if !v.Valid(t) {
			return fmt.Errorf("decode: DRY breaker token %d outside the vocabulary of %d", t, v.Size())
		}
	}
	for _, ctl := range []struct{ flag, tag string }{{"control", c.Control}, {"cfg-negative-control", c.CFGNegativeControl}} {
		if ctl.tag == "" {
			continue
		}
		if _, ok := v.Control(ctl.tag); !ok {
			return fmt.Errorf("decode: --%s %q: the model has no such control code (it has %d: %s)",
				ctl.flag, ctl.tag, len(v.Controls), strings.Join(v.Controls, ", "))
		}
	}
	for _, t := range c.CFGNegativePrompt {
		if !v.Valid(t) {
			return fmt.Errorf("decode: --cfg-negative-prompt: token %d outside the vocabulary of %d", t, v.Size())
		}
	}
	return nil
}

// ParseLogitBiases parses every --logit-bias value (see ParseLogitBias).
func ParseLogitBiases(vals []string, lookup func(string) (autoreg.Token, bool)) ([]Bias, error) {
	out := make([]Bias, 0, len(vals))
	for _, s := range vals {
		b, err := ParseLogitBias(s, lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// ParseStop interprets the Go escapes of a --stop value (\n, \t, \\, \",
// \xHH, \u00e9, ...), so that a stop string can hold a newline typed on a
// shell command line: `--stop '\n\n'`. Text without backslashes is returned
// as is.
func ParseStop(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		if s == "" {
			return "", errors.New("decode: --stop: empty stop string")
		}
		return s, nil
	}
	var b strings.Builder
	rest := s
	for rest != "" {
		if len(rest) >= 2 && rest[0] == '\\' && (rest[1] == '"' || rest[1] == '\'') {
			b.WriteByte(rest[1])
			rest = rest[2:]
			continue
		}
		r, multi, tail, err := strconv.UnquoteChar(rest, 0)
		if err != nil {
			return "", fmt.Errorf("decode: --stop %q: bad escape at byte %d", s, len(s)-len(rest))
		}
		if multi {
			b.WriteRune(r)
		} else {
			b.WriteByte(byte(r)) // ASCII, or a \xHH or octal byte
		}
		rest = tail
	}
	if b.Len() == 0 {
		return "", errors.New("decode: --stop: empty stop string")
	}
	return b.String(), nil
}
