package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/tokenize"
)

// completionRequest is the body of POST /v1/completions: OpenAI's legacy
// completions schema, then every processor of `autoreg sample` under its
// flag's name with underscores. Optional numbers are pointers, so that an
// absent field keeps its default.
type completionRequest struct {
	Model            string             `json:"model"`
	Prompt           json.RawMessage    `json:"prompt"`
	MaxTokens        *int               `json:"max_tokens"`
	Temperature      *float64           `json:"temperature"`
	TopP             *float64           `json:"top_p"`
	N                *int               `json:"n"`
	Stream           bool               `json:"stream"`
	StreamOptions    *streamOptions     `json:"stream_options"`
	Logprobs         *int               `json:"logprobs"`
	Echo             bool               `json:"echo"`
	Stop             json.RawMessage    `json:"stop"`
	PresencePenalty  *float64           `json:"presence_penalty"`
	FrequencyPenalty *float64           `json:"frequency_penalty"`
	BestOf           *int               `json:"best_of"`
	LogitBias        map[string]float64 `json:"logit_bias"`
	Seed             *int64             `json:"seed"`
	User             string             `json:"user"`

	TopK               *int     `json:"top_k"`
	MinP               *float64 `json:"min_p"`
	TypicalP           *float64 `json:"typical_p"`
	Epsilon            *float64 `json:"epsilon"`
	Eta                *float64 `json:"eta"`
	TopNSigma          *float64 `json:"top_n_sigma"`
	MinKeep            *int     `json:"min_keep"`
	RepetitionPenalty  *float64 `json:"repetition_penalty"`
	PenaltyWindow      *int     `json:"penalty_window"`
	NoRepeatNGram      *int     `json:"no_repeat_ngram"`
	DRYMultiplier      *float64 `json:"dry_multiplier"`
	DRYBase            *float64 `json:"dry_base"`
	DRYAllowedLength   *int     `json:"dry_allowed_length"`
	DRYWindow          *int     `json:"dry_window"`
	XTCProbability     *float64 `json:"xtc_probability"`
	XTCThreshold       *float64 `json:"xtc_threshold"`
	MirostatTau        *float64 `json:"mirostat_tau"`
	MirostatEta        *float64 `json:"mirostat_eta"`
	SamplerOrder       *string  `json:"sampler_order"`
	Beams              *int     `json:"beams"`
	LengthPenalty      *float64 `json:"length_penalty"`
	EarlyStopping      *bool    `json:"early_stopping"`
	Control            *string  `json:"control"`
	IgnoreEOS          *bool    `json:"ignore_eos"`
	SampleSpecials     *bool    `json:"sample_specials"`
	CFGScale           *float64 `json:"cfg_scale"`
	CFGNegativeControl *string  `json:"cfg_negative_control"`
	CFGNegativePrompt  *string  `json:"cfg_negative_prompt"`
	MaxTime            *float64 `json:"max_time"` // seconds per sequence (the request's deadline applies too)

	// Conditioning that is not a prefix (see condition.go): an
	// encoder-decoder's source, a fill-in-the-middle suffix and the
	// layout the model reads it in, a VAE's latent code. Refused by
	// models that do not take them.
	Source   json.RawMessage `json:"source"`
	Suffix   json.RawMessage `json:"suffix"`
	FIMOrder *string         `json:"fim_order"`
	Latent   json.RawMessage `json:"latent"`
}

type streamOptions struct {
	IncludeUsage       bool `json:"include_usage"`
	IncludeObfuscation bool `json:"include_obfuscation"` // accepted, ignored: no obfuscation padding is sent
}

// Limits of a request that do not depend on the server's options.
const (
	maxLogprobs   = 20   // top alternatives per token
	maxStops      = 16   // stop strings
	maxStopBytes  = 1024 // length of one
	defaultTokens = 16   // max_tokens when absent, as OpenAI's
)

// readJSON decodes the body of r into v: at most limit bytes, valid UTF-8
// (JSON would silently replace invalid bytes), one value, no unknown
// field. (Server.check has seen the Content-Type.)
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{status: http.StatusRequestEntityTooLarge, kind: "invalid_request_error",
				message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
		}
		return badRequest("", "reading the request body: %v", err)
	}
	if !utf8.Valid(body) {
		return badRequest("", "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("", "the request body holds more than one JSON value")
	}
	return nil
}

// jsonError describes a decoding error for the client.
func jsonError(err error) *apiError {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		return badRequest(typ.Field, "field %q: a JSON %s where %s was expected", typ.Field, typ.Value, typ.Type)
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.Is(err, io.EOF):
		return badRequest("", "the request body is empty: a JSON object is expected")
	}
	return badRequest("", "malformed request: %v", err)
}

// isJSONType reports whether a Content-Type is application/json.
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// prompt is one prompt of a request, as the model reads it.
type prompt struct {
	text   string          // what echo returns
	tokens []autoreg.Token // <s> and the prompt's tokens
}

// parsePrompts reads the prompt field: a string, a list of strings, a
// list of token ids or a list of lists of token ids; absent or null is
// the empty prompt. Each prompt starts with <s> (token-id prompts unless
// they already do).
func parsePrompts(raw json.RawMessage, tok tokenize.Tokenizer, maxTokens int) ([]prompt, *apiError) {
	raw = bytes.TrimSpace(raw)
	v := tok.Vocab()
	fromText := func(s string) (prompt, *apiError) {
		ids := []autoreg.Token{v.BOS()}
		enc := tok.NewEncoder()
		ids, err := enc.Encode(ids, []byte(s))
		if err == nil {
			ids, err = enc.Flush(ids)
		}
		if err != nil {
			return prompt{}, badRequest("prompt", "the prompt cannot be tokenized: %v", err)
		}
		return prompt{text: s, tokens: ids}, nil
	}
	fromIDs := func(ids []int64) (prompt, *apiError) {
		out := make([]autoreg.Token, 0, len(ids)+1)
		if len(ids) == 0 || ids[0] != int64(v.BOS()) {
			out = append(out, v.BOS())
		}
		var text []byte
		for _, id := range ids {
			if id < 0 || id >= int64(v.Size()) {
				return prompt{}, badRequest("prompt", "token id %d is not in the model's vocabulary (0..%d)", id, v.Size()-1)
			}
			out = append(out, autoreg.Token(id))
			text = tok.AppendText(text, autoreg.Token(id))
		}
		return prompt{text: string(text), tokens: out}, nil
	}
	var ps []prompt
	switch {
	case len(raw) == 0 || string(raw) == "null":
		p, e := fromText("")
		if e != nil {
			return nil, e
		}
		ps = append(ps, p)
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("prompt", "prompt: %v", err)
		}
		p, e := fromText(s)
		if e != nil {
			return nil, e
		}
		ps = append(ps, p)
	case raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, badRequest("prompt", "prompt: %v", err)
		}
		if len(items) == 0 {
			return nil, badRequest("prompt", "prompt is an empty list")
		}
		first := bytes.TrimSpace(items[0])
		switch {
		case len(first) > 0 && first[0] == '"':
			var ss []string
			if err := json.Unmarshal(raw, &ss); err != nil {
				return nil, badRequest("prompt", "prompt: a list of strings is expected: %v", err)
			}
			for _, s := range ss {
				p, e := fromText(s)
				if e != nil {
					return nil, e
				}
				ps = append(ps, p)
			}
		case len(first) > 0 && first[0] == '[':
			var lists [][]int64
			if err := json.Unmarshal(raw, &lists); err != nil {
				return nil, badRequest("prompt", "prompt: a list of lists of token ids is expected: %v", err)
			}
			for _, ids := range lists {
				p, e := fromIDs(ids)
				if e != nil {
					return nil, e
				}
				ps = append(ps, p)
			}
		default:
			var ids []int64
			if err := json.Unmarshal(raw, &ids); err != nil {
				return nil, badRequest("prompt", "prompt: a list of token ids is expected: %v", err)
			}
			p, e := fromIDs(ids)
			if e != nil {
				return nil, e
			}
			ps = append(ps, p)
		}
	default:
		return nil, badRequest("prompt", "prompt must be a string, a list of strings, a list of token ids or a list of such lists")
	}
	for i, p := range ps {
		if len(p.tokens)-1 > maxTokens {
			return nil, badRequest("prompt", "prompt %d has %d tokens, more than the server's limit of %d", i, len(p.tokens)-1, maxTokens)
		}
	}
	return ps, nil
}

// parseStop reads the stop field: a string or a list of strings.
func parseStop(raw json.RawMessage) ([]string, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("stop", "stop: %v", err)
		}
		list = []string{s}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop", "stop must be a string or a list of strings")
	}
	if len(list) > maxStops {
		return nil, badRequest("stop", "%d stop strings, at most %d", len(list), maxStops)
	}
	for _, s := range list {
		if s == "" || len(s) > maxStopBytes {
			return nil, badRequest("stop", "a stop string must have 1 to %d bytes", maxStopBytes)
		}
	}
	return list, nil
}

// plan is a validated completion request.
type plan struct {
	model        *served
	cond         *conditioning
	prompts      []prompt
	cfg          decode.Config // Seed is choice 0's
	n            int           // choices per prompt
	bestOf       int           // > 1: draw this many, return the n best (decode's rerank)
	logprobs     int           // top alternatives per token; -1 = no logprobs
	echo         bool
	stream       bool
	includeUsage bool
}

// plan validates req against the server's limits and the model.
func (s *Server) plan(req *completionRequest) (*plan, *apiError) {
	sm, e := s.lookup(req.Model)
	if e != nil {
		return nil, e
	}
	p := &plan{model: sm, n: 1, logprobs: -1, echo: req.Echo, stream: req.Stream}
	if p.cond, e = s.parseCondition(sm, conditionFields{req.Source, req.Suffix, req.Latent, req.FIMOrder}, s.opts.MaxPromptTokens); e != nil {
		return nil, e
	}
	if req.StreamOptions != nil {
		if !req.Stream {
			return nil, badRequest("stream_options", "stream_options needs stream: true")
		}
		p.includeUsage = req.StreamOptions.IncludeUsage
	}
	var err *apiError
	if p.prompts, err = parsePrompts(req.Prompt, sm.tok, s.opts.MaxPromptTokens); err != nil {
		return nil, err
	}
	cfg := decode.DefaultConfig()
	cfg.MaxTokens = defaultTokens
	if req.MaxTokens != nil {
		if m := *req.MaxTokens; m < 0 || m > s.opts.MaxTokens {
			return nil, badRequest("max_tokens", "max_tokens %d: must be in [0, %d]", m, s.opts.MaxTokens)
		}
		cfg.MaxTokens = *req.MaxTokens
	}
	if req.N != nil {
		p.n = *req.N
	}
	if p.n < 1 || p.n*len(p.prompts) > s.opts.MaxSequences {
		return nil, badRequest("n", "n = %d with %d prompt(s): must be ≥ 1 and give at most %d sequences", p.n, len(p.prompts), s.opts.MaxSequences)
	}
	if req.BestOf != nil {
		b := *req.BestOf
		if b < p.n || b*len(p.prompts) > s.opts.MaxSequences {
			return nil, badRequest("best_of", "best_of %d: must be ≥ n (%d) and give at most %d sequences", b, p.n, s.opts.MaxSequences)
		}
		if b > 1 {
			p.bestOf = b
		}
	}
	if req.Logprobs != nil {
		if l := *req.Logprobs; l < 0 || l > maxLogprobs {
			return nil, badRequest("logprobs", "logprobs %d: must be in [0, %d]", l, maxLogprobs)
		}
		p.logprobs = *req.Logprobs
	}
	switch {
	case p.echo && p.cond.hasSuffix:
		return nil, badRequest("echo", "echo with a suffix: the prompt is context of the middle, not text of the completion")
	case p.echo && p.logprobs >= 0 && p.cond.prior:
		return nil, badRequest("latent", "echo with logprobs on model %q needs a latent code to score the prompt under", sm.Name)
	}
	if cfg.Stop, err = parseStop(req.Stop); err != nil {
		return nil, err
	}
	v := sm.tok.Vocab()
	for k, b := range req.LogitBias {
		id, perr := strconv.ParseInt(k, 10, 32)
		t := autoreg.Token(id)
		if perr != nil {
			var ok bool
			if t, ok = sm.tok.Lookup(k); !ok {
				return nil, badRequest("logit_bias", "logit_bias: %q is neither a token id nor a token of model %q", k, sm.Name)
			}
		}
		if !v.Valid(t) {
			return nil, badRequest("logit_bias", "logit_bias: token id %s is not in the model's vocabulary (0..%d)", k, v.Size()-1)
		}
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, badRequest("logit_bias", "logit_bias: the bias of %s must be a finite number", k)
		}
		cfg.LogitBias = append(cfg.LogitBias, decode.Bias{Token: t, Bias: float32(b)})
	}
	sortBiases(cfg.LogitBias)
	if req.Seed != nil {
		cfg.Seed = uint64(*req.Seed)
	} else {
		cfg.Seed = rand.Uint64() // a seedless request is not reproducible, as OpenAI's
	}
	setF := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	setI := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	setF(&cfg.Temperature, req.Temperature)
	setF(&cfg.TopP, req.TopP)
	setF(&cfg.PresencePenalty, req.PresencePenalty)
	setF(&cfg.FrequencyPenalty, req.FrequencyPenalty)
	setI(&cfg.TopK, req.TopK)
	setF(&cfg.MinP, req.MinP)
	setF(&cfg.TypicalP, req.TypicalP)
	setF(&cfg.Epsilon, req.Epsilon)
	setF(&cfg.Eta, req.Eta)
	setF(&cfg.TopNSigma, req.TopNSigma)
	setI(&cfg.MinKeep, req.MinKeep)
	setF(&cfg.RepetitionPenalty, req.RepetitionPenalty)
	setI(&cfg.PenaltyWindow, req.PenaltyWindow)
	setI(&cfg.NoRepeatNGram, req.NoRepeatNGram)
	setF(&cfg.DRYMultiplier, req.DRYMultiplier)
	setF(&cfg.DRYBase, req.DRYBase)
	setI(&cfg.DRYAllowedLength, req.DRYAllowedLength)
	setI(&cfg.DRYWindow, req.DRYWindow)
	setF(&cfg.XTCProbability, req.XTCProbability)
	setF(&cfg.XTCThreshold, req.XTCThreshold)
	setF(&cfg.MirostatTau, req.MirostatTau)
	setF(&cfg.MirostatEta, req.MirostatEta)
	setI(&cfg.Beams, req.Beams)
	setF(&cfg.LengthPenalty, req.LengthPenalty)
	setF(&cfg.CFGScale, req.CFGScale)
	if t := req.MaxTime; t != nil {
		if !(*t >= 0 && *t <= s.opts.Timeout.Seconds()) {
			return nil, badRequest("max_time", "max_time %v: must be in [0, %v] seconds", *t, s.opts.Timeout.Seconds())
		}
		cfg.MaxTime = time.Duration(*t * float64(time.Second))
	}
	if req.SamplerOrder != nil {
		cfg.Order = *req.SamplerOrder
	}
	if req.EarlyStopping != nil {
		cfg.EarlyStopping = *req.EarlyStopping
	}
	if req.Control != nil {
		cfg.Control = *req.Control
	}
	if req.IgnoreEOS != nil {
		cfg.IgnoreEOS = *req.IgnoreEOS
	}
	if req.SampleSpecials != nil {
		cfg.SampleSpecials = *req.SampleSpecials
	}
	if req.CFGNegativeControl != nil {
		cfg.CFGNegativeControl = *req.CFGNegativeControl
	}
	if req.CFGNegativePrompt != nil {
		neg, e := parsePrompts(mustJSON(*req.CFGNegativePrompt), sm.tok, s.opts.MaxPromptTokens)
		if e != nil {
			e.param = "cfg_negative_prompt"
			return nil, e
		}
		cfg.CFGNegativePrompt = neg[0].tokens
	}
	if cfg.DRYMultiplier > 0 {
		cfg.DRYBreakers = sm.breakers()
	}
	if cfg.Beams > 1 {
		if p.bestOf > 1 {
			return nil, badRequest("best_of", "best_of and beams exclude each other")
		}
		if p.n > cfg.Beams {
			return nil, badRequest("n", "n = %d: beam search returns at most beams (%d) sequences", p.n, cfg.Beams)
		}
		if p.n*cfg.Beams*len(p.prompts) > s.opts.MaxSequences*maxBeamFactor {
			return nil, badRequest("beams", "beams %d: too many states for one request", cfg.Beams)
		}
		cfg.NumReturn = p.n
	}
	if p.bestOf > 1 {
		cfg.Rerank, cfg.NumReturn = p.bestOf, p.n
	}
	if err := cfg.Validate(); err != nil {
		msg, param := fieldMessage(err)
		return nil, badRequest(param, "%s", msg)
	}
	if err := cfg.CheckVocab(v); err != nil {
		msg, param := fieldMessage(err)
		return nil, badRequest(param, "%s", msg)
	}
	p.cfg = cfg
	return p, nil
}

// maxBeamFactor bounds the beams of a request: beams × n × prompts ≤
// MaxSequences × maxBeamFactor states.
const maxBeamFactor = 8

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// sortBiases orders the biases by token, so that a request's map (whose
// order Go randomizes) always builds the same configuration.
func sortBiases(bs []decode.Bias) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Token < bs[j-1].Token; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}
