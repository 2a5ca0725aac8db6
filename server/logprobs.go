package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/eval"
)

// tokenInfo is one token of a choice's logprobs: its piece of text, the
// model's log-probability of it, the most probable alternatives at its
// step and its byte offset in the choice's text.
type tokenInfo struct {
	piece  string
	lp     float64
	top    []alt
	offset int
}

// alt is an alternative token at a step.
type alt struct {
	piece string
	lp    float64
}

// jsonFloat is a number in JSON, where non-finite values (an impossible
// token's −Inf log-probability, a token with no score) are null.
type jsonFloat float64

func (x jsonFloat) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// logprobsJSON is OpenAI's legacy logprobs object.
type logprobsJSON struct {
	Tokens        []string               `json:"tokens"`
	TokenLogprobs []jsonFloat            `json:"token_logprobs"`
	TopLogprobs   []map[string]jsonFloat `json:"top_logprobs"`
	TextOffset    []int                  `json:"text_offset"`
}

// render turns token infos into the JSON object.
func render(ts []tokenInfo) *logprobsJSON {
	out := &logprobsJSON{Tokens: make([]string, len(ts)), TokenLogprobs: make([]jsonFloat, len(ts)),
		TopLogprobs: make([]map[string]jsonFloat, len(ts)), TextOffset: make([]int, len(ts))}
	for i, t := range ts {
		out.Tokens[i], out.TokenLogprobs[i], out.TextOffset[i] = t.piece, jsonFloat(t.lp), t.offset
		m := make(map[string]jsonFloat, len(t.top))
		for _, a := range t.top {
			m[a.piece] = jsonFloat(a.lp)
		}
		out.TopLogprobs[i] = m
	}
	return out
}

// piece returns the display form of token t and the length of its text:
// specials by name (their text is empty), text that is not valid UTF-8
// (a byte of a longer character) as "bytes:\xNN" escapes, as OpenAI
// writes partial characters.
func (m *served) piece(t autoreg.Token) (string, int) {
	v := m.tok.Vocab()
	if v.IsSpecial(t) {
		return v.SpecialName(t), 0
	}
	b := m.tok.AppendText(nil, t)
	if utf8.Valid(b) {
		return string(b), len(b)
	}
	var sb strings.Builder
	sb.WriteString("bytes:")
	for _, c := range b {
		fmt.Fprintf(&sb, "\\x%02x", c)
	}
	return sb.String(), len(b)
}

// info describes token t chosen at a step with log-probabilities lp (the
// whole vocabulary), with its top alternatives.
func (m *served) info(t autoreg.Token, lp []float32, top, offset int) tokenInfo {
	p, _ := m.piece(t)
	return tokenInfo{piece: p, lp: float64(lp[t]), top: m.topN(lp, top), offset: offset}
}

// topN returns the n most probable tokens of lp, best first (ties by id).
func (m *served) topN(lp []float32, n int) []alt {
	if n <= 0 {
		return nil
	}
	idx := make([]int, 0, n+1)
	for i, x := range lp {
		if x != x { // NaN
			continue
		}
		if len(idx) == n && x <= lp[idx[n-1]] {
			continue
		}
		j := len(idx)
		if j < n {
			idx = append(idx, i)
		} else {
			j = n - 1
		}
		for j > 0 && lp[idx[j-1]] < x {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = i
	}
	out := make([]alt, len(idx))
	for k, i := range idx {
		p, _ := m.piece(autoreg.Token(i))
		out[k] = alt{piece: p, lp: float64(lp[i])}
	}
	return out
}

// conditioned is the prompt as decode conditions the model on it: the
// control code, if any, after the leading <s> (first, when the prompt
// has none: a middle's empty prompt).
func conditioned(v autoreg.Vocab, tokens []autoreg.Token, control string) []autoreg.Token {
	ctl, ok := v.Control(control)
	if control == "" || !ok {
		return tokens
	}
	out := make([]autoreg.Token, 0, len(tokens)+1)
	if len(tokens) > 0 && tokens[0] == v.BOS() {
		out = append(out, tokens[0], ctl)
		return append(out, tokens[1:]...)
	}
	out = append(out, ctl)
	return append(out, tokens...)
}

// promptInfos describes the tokens of a prompt (tokens[0] is its <s>) for
// echo. Each token's log-probability comes from the evaluation path:
// package eval scores the prompt as `autoreg eval` scores a file holding
// its text (<s>, the tokens, </s>; the </s> is left out here), so the
// values are bit-identical to what eval sums. <s> and control codes
// inside a token-id prompt are context, as in eval, and have no value.
// The top alternatives, when asked for, come from stepping a state along
// the prompt (the generation path: equal to float32 rounding).
func (m *served) promptInfos(model autoreg.Model, tokens []autoreg.Token, control string, top int) []tokenInfo {
	v := m.tok.Vocab()
	cond := conditioned(v, tokens, control)
	sc := eval.NewScorer(model)
	var lps []float64
	sc.PerToken = func(_ autoreg.Token, lp float64) { lps = append(lps, lp) }
	sc.Add(cond)
	sc.Add([]autoreg.Token{v.EOS()})
	sc.Result()
	context := func(t autoreg.Token) bool {
		return t == v.BOS() || (int(t) >= v.Base+autoreg.NumReserved && v.IsSpecial(t))
	}
	var st autoreg.State
	var lp []float32
	if top > 0 {
		st = model.NewState()
		lp = make([]float32, v.Size())
		st.Append(cond[:len(cond)-len(tokens)+1]...)
	}
	out := make([]tokenInfo, 0, len(tokens)-1)
	offset, k := 0, 0
	for _, t := range tokens[1:] {
		p, n := m.piece(t)
		ti := tokenInfo{piece: p, lp: math.NaN(), offset: offset}
		if !context(t) && k < len(lps) {
			ti.lp = lps[k]
			k++
		}
		if st != nil {
			st.LogProbs(lp)
			ti.top = m.topN(lp, top)
			st.Append(t)
		}
		out = append(out, ti)
		offset += n
	}
	return out
}
