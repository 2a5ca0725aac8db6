package eval

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/tokenize"
)

// Infilling: how well a model predicts a held-out span (the middle) of a
// document. A fill-in-the-middle model (package fim) sees both sides, by
// default in SPM order (<PRE> <SUF> suffix <MID> prefix), and the middle
// is scored with its end
// (the end-of-middle sentinel, or the text's own </s>: see fim.Infill);
// any other model sees the prefix alone and the middle is scored without
// an end. Both sides are tokenized apart
// from the middle; a prefix at the document's start begins with <s>, a
// suffix at its end ends with </s>, as in training.
//
// A model with a bounded context (Windowed) gets as much of the sides as
// fits: a FIM model the middle, its sentinels and up to half the rest for
// the suffix, the prefix filling what remains (then the suffix what the
// prefix leaves); a left-to-right model the prefix's last tokens that fit
// with the middle. A span whose middle takes more than half the context
// is skipped (by both kinds of model alike, so that they score the same
// spans).

// Span is a middle to score: bytes [Start, End) of Text, a document.
type Span struct {
	Text       []byte
	Start, End int
}

// InfillResult is what a pass over spans measured.
type InfillResult struct {
	FIM     bool    // the model filled in the middle (saw both sides)
	Spans   int64   // spans scored
	Skipped int64   // spans whose middle did not fit half the context
	Tokens  int64   // tokens scored: the middles', and with FIM their end sentinels
	Chars   int64   // Unicode characters of the scored middles
	NLL     float64 // total negative log-likelihood, nats
}

// NatsPerSpan is the mean NLL of a span.
func (r InfillResult) NatsPerSpan() float64 { return r.NLL / float64(r.Spans) }

// BitsPerChar is the NLL in bits per character of the middles.
func (r InfillResult) BitsPerChar() float64 { return r.NLL / math.Ln2 / float64(r.Chars) }

// InfillOptions configures Infill.
type InfillOptions struct {
	// Order is the layout a FIM model is conditioned in (fim.SPM, the
	// zero value, or fim.PSM).
	Order fim.Order
}

// Infill scores the middles of spans with m through its tokenizer.
func Infill(ctx context.Context, m autoreg.Model, tok tokenize.Tokenizer, spans []Span, opts InfillOptions) (InfillResult, error) {
	var res InfillResult
	v := m.Vocab()
	_, isFIM := fim.Lookup(v)
	res.FIM = isFIM
	T := math.MaxInt
	if w, ok := m.(Windowed); ok {
		T = w.ContextLen()
	}
	enc := func(b []byte) ([]autoreg.Token, error) {
		e := tok.NewEncoder()
		ids, err := e.Encode(nil, b)
		if err == nil {
			ids, err = e.Flush(ids)
		}
		return ids, err
	}
	var lps []float64
	for i, sp := range spans {
		if i%64 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		pre, err := enc(sp.Text[:sp.Start])
		if err != nil {
			return res, err
		}
		mid, err := enc(sp.Text[sp.Start:sp.End])
		if err != nil {
			return res, err
		}
		suf, err := enc(sp.Text[sp.End:])
		if err != nil {
			return res, err
		}
		pre = append([]autoreg.Token{v.BOS()}, pre...)
		suf = append(suf, v.EOS())
		if T != math.MaxInt && len(mid) > T/2 {
			res.Skipped++
			continue
		}
		var st autoreg.State
		var sc autoreg.Scorer
		scored := mid
		if isFIM {
			budget := len(pre) + len(suf)
			if T != math.MaxInt {
				budget = T - 3 - len(mid)
			}
			p, x := fim.Fit(pre, suf, budget)
			im, err := fim.Infill(m, p, x, opts.Order)
			if err != nil {
				return res, err
			}
			st = im.NewState()
			sc, _ = im.(autoreg.Scorer)
			scored = append(append([]autoreg.Token(nil), mid...), v.EOS())
		} else {
			np := len(pre)
			if T != math.MaxInt {
				np = min(np, T-len(mid))
			}
			st = m.NewState()
			st.Append(pre[len(pre)-np:]...)
			sc, _ = m.(autoreg.Scorer)
		}
		lps = scoreAfter(lps, st, sc, scored)
		for _, lp := range lps {
			res.NLL -= lp
		}
		res.Tokens += int64(len(scored))
		res.Chars += int64(len(bytes.Runes(sp.Text[sp.Start:sp.End])))
		res.Spans++
	}
	return res, nil
}

// LineSpans picks n spans of one to three whole lines (their newlines
// included), drawn from seed: a document in proportion to its lines, then
// a run of lines that are all indented (they start with a tab or a space)
// and not blank — in a C-like source file, mostly lines of a block's body.
// Documents without such runs are never picked; fewer than n spans come
// back only if no document has one.
func LineSpans(docs [][]byte, n int, seed uint64) []Span {
	type line struct{ start, end int }
	lines := make([][]line, len(docs))
	var total int
	for d, text := range docs {
		for off := 0; off < len(text); {
			e := bytes.IndexByte(text[off:], '\n')
			if e < 0 {
				e = len(text) - off - 1
			}
			lines[d] = append(lines[d], line{off, off + e + 1})
			off += e + 1
		}
		total += len(lines[d])
	}
	indented := func(t []byte) bool {
		return len(t) > 0 && (t[0] == '\t' || t[0] == ' ') && len(bytes.TrimSpace(t)) > 0
	}
	rng := rand.New(rand.NewPCG(seed, 0x66696d)) // "fim"
	var out []Span
	for tries := 0; len(out) < n && total > 0 && tries < 1000*n; tries++ {
		r := rng.IntN(total)
		d := 0
		for r >= len(lines[d]) {
			r -= len(lines[d])
			d++
		}
		k := 1 + rng.IntN(3)
		ls := lines[d]
		if r+k > len(ls) {
			continue
		}
		ok := true
		for _, l := range ls[r : r+k] {
			ok = ok && indented(docs[d][l.start:l.end])
		}
		if ok {
			out = append(out, Span{Text: docs[d], Start: ls[r].start, End: ls[r+k-1].end})
		}
	}
	return out
}

// scoreAfter returns in lps (grown as needed) the log-probabilities of xs
// after st's history, in one pass when sc (st's model's Scorer) is not
// nil, token by token otherwise.
func scoreAfter(lps []float64, st autoreg.State, sc autoreg.Scorer, xs []autoreg.Token) []float64 {
	if cap(lps) < len(xs) {
		lps = make([]float64, len(xs))
	}
	lps = lps[:len(xs)]
	if sc != nil {
		sc.ScoreSequence(st, xs, lps)
		return lps
	}
	for k, x := range xs {
		lps[k] = st.LogProb(x)
		st.Append(x)
	}
	return lps
}

// ReadSpans reads a spans file named name from r: one middle per line,
// "PATH<TAB>START<TAB>END", byte offsets into the document at PATH, which
// load reads (once per path). Blank lines are ignored; anything else that
// is not such a line, or a span outside its document, is an error naming
// the file and line.
func ReadSpans(r io.Reader, name string, load func(path string) ([]byte, error)) ([]Span, error) {
	texts := map[string][]byte{}
	var out []Span
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		bad := func(msg string) error { return fmt.Errorf("eval: %s: line %d: %s", name, n, msg) }
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			return nil, bad("want PATH<TAB>START<TAB>END")
		}
		a, err1 := strconv.Atoi(parts[1])
		b, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil {
			return nil, bad("offsets are not integers")
		}
		text, ok := texts[parts[0]]
		if !ok {
			var err error
			if text, err = load(parts[0]); err != nil {
				return nil, bad(err.Error())
			}
			texts[parts[0]] = text
		}
		if a < 0 || a > b || b > len(text) {
			return nil, bad(fmt.Sprintf("span [%d, %d) outside the %d bytes of %s", a, b, len(text), parts[0]))
		}
		out = append(out, Span{Text: text, Start: a, End: b})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: %s: %v", name, err)
	}
	return out, nil
}
