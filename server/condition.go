package server

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/tokenize"
)

// Conditioning that is not a prefix of the text. Each kind is a way to
// build the model a request's sequences are generated with (the seam's
// rule: a condition ends as a State whose history holds it), so sampling,
// beam search, streaming, logprobs and echo work on it unchanged:
//
//   - source: an encoder-decoder (autoreg.Conditional) conditioned on the
//     source; the prompt, if any, starts the target. Its states step in
//     the model's batches with every other sequence (an encoder-decoder's
//     Step takes the states of any sources).
//   - suffix: a fill-in-the-middle model (package fim) viewed as the model
//     of middles between the prompt and the suffix; the text generated is
//     the middle, ended where the model ends it.
//   - latent: a model with a latent code (autoreg.Latent, a VAE) given the
//     code: a list of numbers, or a text whose posterior mean is the code.
//     Without it each choice draws its code from the prior with its seed,
//     as `autoreg sample` does.

// conditioning is a request's validated condition.
type conditioning struct {
	source    []autoreg.Token // encoder-decoders: the source's tokens
	hasSource bool
	suffix    []autoreg.Token // fill in the middle: the suffix's tokens and </s>
	hasSuffix bool
	order     fim.Order
	latent    []float64 // the code; nil with prior: drawn per choice
	prior     bool      // a Latent model without a given code
	model     autoreg.Model
}

// conditionFields names the request's conditioning fields.
type conditionFields struct {
	Source, Suffix, Latent json.RawMessage
	FIMOrder               *string
}

// present reports whether a raw JSON field was given (not absent or null).
func present(raw json.RawMessage) bool {
	r := bytes.TrimSpace(raw)
	return len(r) > 0 && string(r) != "null"
}

// parseCondition validates the conditioning fields against the model.
// Models that are not conditional refuse them; a conditional model needs
// its condition, as `autoreg sample` does.
func (s *Server) parseCondition(sm *served, f conditionFields, maxTokens int) (*conditioning, *apiError) {
	c := &conditioning{}
	cond, isCond := sm.m.(autoreg.Conditional)
	lat, isLatent := sm.m.(autoreg.Latent)
	_, isFIM := fim.Lookup(sm.m.Vocab())
	refuse := func(field, what string) *apiError {
		return badRequest(field, "model %q does not take a %s: %s", sm.Name, field, what)
	}
	switch {
	case present(f.Source) && !isCond:
		return nil, refuse("source", "it is not an encoder-decoder")
	case present(f.Suffix) && !isFIM:
		return nil, refuse("suffix", "it was not trained to fill in the middle (train it with --fim-rate)")
	case present(f.Latent) && !isLatent:
		return nil, refuse("latent", "it has no latent code")
	case f.FIMOrder != nil && !present(f.Suffix):
		return nil, badRequest("fim_order", "fim_order needs a suffix")
	case isCond && !present(f.Source):
		return nil, badRequest("source", "model %q is an encoder-decoder: give the source to transform", sm.Name)
	}
	if isCond {
		if sm.srcTok == nil {
			return nil, badRequest("source", "model %q was loaded without its source tokenizer", sm.Name)
		}
		src, e := tokensField("source", f.Source, sm.srcTok, maxTokens)
		if e != nil {
			return nil, e
		}
		if len(src) > cond.MaxSourceLen() {
			return nil, badRequest("source", "the source has %d tokens, model %q reads at most %d", len(src), sm.Name, cond.MaxSourceLen())
		}
		m, err := cond.Condition(src)
		if err != nil {
			return nil, badRequest("source", "%v", err)
		}
		c.source, c.hasSource, c.model = src, true, m
	}
	if present(f.Suffix) {
		suf, e := tokensField("suffix", f.Suffix, sm.tok, maxTokens)
		if e != nil {
			return nil, e
		}
		c.suffix, c.hasSuffix = append(suf, sm.m.Vocab().EOS()), true // the suffix ends the text
		c.order = fim.SPM
		if f.FIMOrder != nil {
			o, err := fim.ParseOrder(*f.FIMOrder)
			if err != nil {
				return nil, badRequest("fim_order", "fim_order %q: want spm or psm", *f.FIMOrder)
			}
			c.order = o
		}
	}
	if isLatent {
		z, e := latentField(f.Latent, lat, sm.tok, maxTokens)
		if e != nil {
			return nil, e
		}
		if z == nil {
			c.prior = true
		} else {
			m, err := lat.WithLatent(z)
			if err != nil {
				return nil, badRequest("latent", "%v", err)
			}
			c.latent, c.model = z, m
		}
	}
	return c, nil
}

// tokensField reads a text field given as a string (tokenized with tok)
// or a list of token ids of tok's vocabulary.
func tokensField(field string, raw json.RawMessage, tok tokenize.Tokenizer, maxTokens int) ([]autoreg.Token, *apiError) {
	raw = bytes.TrimSpace(raw)
	v := tok.Vocab()
	var out []autoreg.Token
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest(field, "%s: %v", field, err)
		}
		ids, err := tokenize.Encode(tok, s)
		if err != nil {
			return nil, badRequest(field, "the %s cannot be tokenized: %v", field, err)
		}
		out = ids
	} else {
		var ids []int64
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, badRequest(field, "%s must be a string or a list of token ids", field)
		}
		for _, id := range ids {
			if id < 0 || id >= int64(v.Size()) {
				return nil, badRequest(field, "%s: token id %d is not in the vocabulary (0..%d)", field, id, v.Size()-1)
			}
			out = append(out, autoreg.Token(id))
		}
	}
	if len(out) > maxTokens {
		return nil, badRequest(field, "the %s has %d tokens, more than the server's limit of %d", field, len(out), maxTokens)
	}
	return out, nil
}

// latentField reads the latent field: a list of the model's D numbers,
// or a text whose posterior mean is the code; nil when absent.
func latentField(raw json.RawMessage, m autoreg.Latent, tok tokenize.Tokenizer, maxTokens int) ([]float64, *apiError) {
	if !present(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	D := m.LatentDim()
	if raw[0] == '"' {
		xs, e := tokensField("latent", raw, tok, maxTokens)
		if e != nil {
			return nil, e
		}
		mu, lv := make([]float64, D), make([]float64, D)
		if err := m.Posterior(append(xs, m.Vocab().EOS()), mu, lv); err != nil {
			return nil, badRequest("latent", "latent: %v", err)
		}
		return mu, nil
	}
	// Numbers: JSON has no NaN or infinity, but a huge exponent overflows
	// to one when decoded loosely; decode strictly.
	var z []float64
	if err := json.Unmarshal(raw, &z); err != nil {
		return nil, badRequest("latent", "latent must be a list of %d numbers or a text to encode", D)
	}
	if err := autoreg.CheckLatent(z, D); err != nil {
		return nil, badRequest("latent", "latent: %v", err)
	}
	for _, x := range z {
		if math.Abs(x) > maxLatent {
			return nil, badRequest("latent", "latent: %g is far outside the prior (|z| ≤ %g)", x, float64(maxLatent))
		}
	}
	return z, nil
}

// maxLatent bounds a code's values: the prior is a standard normal, so a
// value beyond it is a mistake, not a code.
const maxLatent = 1e3

// priorCode draws the code of a sequence seeded with seed from the
// prior, as `autoreg sample` draws its first code.
func priorCode(D int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x7072696f72)) // "prior"
	z := make([]float64, D)
	for d := range z {
		z[d] = rng.NormFloat64()
	}
	return z
}
