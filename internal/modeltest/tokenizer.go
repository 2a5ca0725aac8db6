package modeltest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// Encoder is what the tokenizer suite needs of a streaming encoder
// (tokenize.Encoder).
type Encoder interface {
	Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error)
	Flush(dst []autoreg.Token) ([]autoreg.Token, error)
	Unknown() int64
}

// Tokenizer is what the tokenizer suite needs of a tokenizer
// (tokenize.Tokenizer, whose encoders are of type E). The suite does not
// import package tokenize, so that tokenize's own tests can use it.
type Tokenizer[E Encoder] interface {
	Vocab() autoreg.Vocab
	NewEncoder() E
	AppendText(dst []byte, t autoreg.Token) []byte
	Word(t autoreg.Token) string
	Lookup(word string) (autoreg.Token, bool)
}

// The checks of TestTokenizer (SaveLoad too), in the order they run.
const (
	IDs       Check = "ids"
	RoundTrip Check = "roundtrip"
	Stream    Check = "stream"
	Names     Check = "names"
)

// TokenizerOptions configures TestTokenizer.
type TokenizerOptions[E Encoder] struct {
	// Seed draws the points where Stream cuts the texts.
	Seed uint64
	// Texts are the inputs; nil means DefaultTexts. The suite adds one
	// more: the decoded text of 200 ordinary tokens drawn from Seed, which
	// the tokenizer can always read.
	Texts [][]byte
	// Lossless declares that decoding (AppendText of every token) gives
	// back any text encoded without unknown symbols: byte and character
	// tokenizers are lossless, a word tokenizer (which normalizes white
	// space) is not.
	Lossless bool
	// SaveLoad, if not nil, writes the tokenizer and reads it back; the
	// reloaded tokenizer must name every id and encode every text alike.
	SaveLoad func(Tokenizer[E]) (Tokenizer[E], error)
	// Skip and Only select checks as in Options.
	Skip map[Check]string
	Only []Check
}

// DefaultTexts are TestTokenizer's inputs when the options give none:
// ASCII prose, runs of white space of every kind, multi-byte UTF-8, text
// that looks like special-token names and escapes, invalid UTF-8 and
// control bytes.
func DefaultTexts() [][]byte {
	return [][]byte{
		nil,
		[]byte("a"),
		[]byte("the cat sat on the mat.\nthe dog sat on the log.\n"),
		[]byte("  leading and trailing  \t\r\n\n words\u00a0and\u3000others  "),
		[]byte("Grüße, 日本語 and ∑ symbols — «quotes» 🙂\n"),
		[]byte("<s> </s> <unk> <ctl:test> a\\b \\x41 \\s"),
		[]byte("bad \xff\xfe bytes \xe2\x82 and \x00\x01\x7f controls"),
	}
}

// TestTokenizer runs the tokenizer suite on tok: one subtest per check.
//
//   - ids: every token Encode emits is an ordinary id or <unk> (never <s>,
//     </s> or a control code, which belong to the corpus's framing), and
//     Unknown counts the <unk> tokens emitted.
//   - roundtrip: re-encoding the decoded text of an encoding without
//     unknown symbols gives the same tokens; with Lossless, the decoded
//     text is the input; the decoded text of ordinary tokens encodes
//     without error or unknown symbols.
//   - stream: encoding a text cut into pieces at random points, twice, and
//     with an encoder reused after Flush, gives the tokens (or the error)
//     of encoding it in one piece.
//   - names: every id has a distinct, non-empty name without white space
//     that Lookup maps back to it; specials are named as the root package
//     names them and render no text; AppendText only appends.
//   - saveload: the reloaded tokenizer has the same vocabulary and names,
//     and encodes every text alike.
func TestTokenizer[E Encoder](t *testing.T, tok Tokenizer[E], o TokenizerOptions[E]) {
	t.Helper()
	if o.Texts == nil {
		o.Texts = DefaultTexts()
	}
	v := tok.Vocab()
	if err := v.Check(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x74657874))
	ts := make([]autoreg.Token, 200)
	for i := range ts {
		ts[i] = autoreg.Token(rng.IntN(v.Base))
	}
	o.Texts = append(slices.Clip(o.Texts), decodeTokens(tok, ts))
	checks := []struct {
		name Check
		run  func(Tokenizer[E], *TokenizerOptions[E]) error
	}{
		{IDs, checkTokenIDs[E]},
		{RoundTrip, checkTokenRoundTrip[E]},
		{Stream, checkTokenStream[E]},
		{Names, checkTokenNames[E]},
		{SaveLoad, checkTokenSaveLoad[E]},
	}
	for _, c := range checks {
		t.Run(string(c.name), func(t *testing.T) {
			if reason := skipReason(o.Skip, o.Only, c.name); reason != "" {
				t.Skip(reason)
			}
			if c.name == SaveLoad && o.SaveLoad == nil {
				t.Skip("no TokenizerOptions.SaveLoad")
			}
			if err := c.run(tok, &o); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// encoding is the result of encoding one text.
type encoding struct {
	toks    []autoreg.Token
	unknown int64
	err     string // the error's message, "" if none
}

func (a encoding) equal(b encoding) bool {
	return a.err == b.err && (a.err != "" || slices.Equal(a.toks, b.toks))
}

func (a encoding) String() string {
	if a.err != "" {
		return "error " + a.err
	}
	return fmt.Sprint(a.toks)
}

// encodePieces encodes the pieces of one text with enc and flushes it.
func encodePieces[E Encoder](enc E, pieces ...[]byte) encoding {
	var out encoding
	u0 := enc.Unknown()
	var err error
	for _, p := range pieces {
		if out.toks, err = enc.Encode(out.toks, p); err != nil {
			out.err = err.Error()
			return out
		}
	}
	if out.toks, err = enc.Flush(out.toks); err != nil {
		out.err = err.Error()
	}
	out.unknown = enc.Unknown() - u0
	return out
}

func encodeText[E Encoder](tok Tokenizer[E], text []byte) encoding {
	return encodePieces(tok.NewEncoder(), text)
}

func decodeTokens[E Encoder](tok Tokenizer[E], ts []autoreg.Token) []byte {
	var b []byte
	for _, x := range ts {
		b = tok.AppendText(b, x)
	}
	return b
}

func checkTokenIDs[E Encoder](tok Tokenizer[E], o *TokenizerOptions[E]) error {
	v := tok.Vocab()
	for i, text := range o.Texts {
		e := encodeText(tok, text)
		if e.err != "" {
			continue
		}
		var unk int64
		for k, x := range e.toks {
			if !v.Valid(x) || v.IsSpecial(x) && x != v.UNK() {
				return fmt.Errorf("text %d (%q): token %d is %d (%q), not an ordinary id or <unk>", i, text, k, x, v.SpecialName(x))
			}
			if x == v.UNK() {
				unk++
			}
		}
		if unk != e.unknown {
			return fmt.Errorf("text %d (%q): %d <unk> tokens, Unknown counted %d", i, text, unk, e.unknown)
		}
	}
	return nil
}

func checkTokenRoundTrip[E Encoder](tok Tokenizer[E], o *TokenizerOptions[E]) error {
	for i, text := range o.Texts {
		e := encodeText(tok, text)
		if e.err != "" || e.unknown != 0 {
			if i == len(o.Texts)-1 {
				return fmt.Errorf("the decoded text of ordinary tokens %q encodes to %v with %d unknown", text, e, e.unknown)
			}
			continue
		}
		dec := decodeTokens(tok, e.toks)
		if o.Lossless && !bytes.Equal(dec, text) {
			return fmt.Errorf("text %d: %q decodes to %q", i, text, dec)
		}
		if again := encodeText(tok, dec); !again.equal(e) {
			return fmt.Errorf("text %d (%q): decoded as %q, which encodes to %v, not %v", i, text, dec, again, e)
		}
	}
	return nil
}

func checkTokenStream[E Encoder](tok Tokenizer[E], o *TokenizerOptions[E]) error {
	rng := rand.New(rand.NewPCG(o.Seed, 0x746f6b))
	reused := tok.NewEncoder()
	for i, text := range o.Texts {
		want := encodeText(tok, text)
		if again := encodeText(tok, text); !again.equal(want) {
			return fmt.Errorf("text %d (%q): encoded twice: %v, then %v", i, text, want, again)
		}
		if want.err == "" {
			if got := encodePieces(reused, text); !got.equal(want) {
				return fmt.Errorf("text %d (%q): an encoder reused after Flush gives %v, a new one %v", i, text, got, want)
			}
		}
		for range 8 {
			var pieces [][]byte
			for rest := text; len(rest) > 0; {
				n := 1 + rng.IntN(min(len(rest), 7))
				pieces, rest = append(pieces, rest[:n]), rest[n:]
			}
			if got := encodePieces(tok.NewEncoder(), pieces...); !got.equal(want) {
				return fmt.Errorf("text %d (%q) in pieces %q: %v, in one piece %v", i, text, pieces, got, want)
			}
		}
	}
	return nil
}

// nameIDs returns the ids whose names the checks look at: all of them in a
// vocabulary of up to 1<<16, else the specials and an even sample.
func nameIDs(v autoreg.Vocab) []autoreg.Token {
	n := v.Size()
	step := max(1, n>>16)
	var ids []autoreg.Token
	for x := 0; x < n; x += step {
		ids = append(ids, autoreg.Token(x))
	}
	for x := v.Base; x < n; x++ {
		if x%step != 0 {
			ids = append(ids, autoreg.Token(x))
		}
	}
	return ids
}

func checkTokenNames[E Encoder](tok Tokenizer[E], o *TokenizerOptions[E]) error {
	v := tok.Vocab()
	seen := map[string]autoreg.Token{}
	prefix := []byte("prefix")
	for _, x := range nameIDs(v) {
		w := tok.Word(x)
		if w == "" || strings.ContainsAny(w, " \t\n\r\v\f") {
			return fmt.Errorf("token %d is named %q", x, w)
		}
		if y, dup := seen[w]; dup {
			return fmt.Errorf("tokens %d and %d are both named %q", y, x, w)
		}
		seen[w] = x
		if back, ok := tok.Lookup(w); !ok || back != x {
			return fmt.Errorf("Lookup(%q) = %d, %v; want %d", w, back, ok, x)
		}
		out := tok.AppendText(slices.Clip(prefix), x)
		if !bytes.HasPrefix(out, prefix) {
			return fmt.Errorf("AppendText of token %d changed its destination to %q", x, out)
		}
		if v.IsSpecial(x) {
			if w != v.SpecialName(x) {
				return fmt.Errorf("special %d is named %q, want %q", x, w, v.SpecialName(x))
			}
			if len(out) != len(prefix) {
				return fmt.Errorf("special %s renders text %q", w, out[len(prefix):])
			}
		}
	}
	return nil
}

func checkTokenSaveLoad[E Encoder](tok Tokenizer[E], o *TokenizerOptions[E]) error {
	back, err := o.SaveLoad(tok)
	if err != nil {
		return fmt.Errorf("SaveLoad: %w", err)
	}
	v, w := tok.Vocab(), back.Vocab()
	if v.Base != w.Base || !slices.Equal(v.Controls, w.Controls) {
		return fmt.Errorf("the reloaded vocabulary is %+v, want %+v", w, v)
	}
	for _, x := range nameIDs(v) {
		if a, b := tok.Word(x), back.Word(x); a != b {
			return fmt.Errorf("token %d: reloaded name %q, want %q", x, b, a)
		}
	}
	for i, text := range o.Texts {
		if a, b := encodeText(tok, text), encodeText(back, text); !a.equal(b) {
			return fmt.Errorf("text %d (%q): the reloaded tokenizer gives %v, want %v", i, text, b, a)
		}
	}
	return nil
}
