package tokenize

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
)

// encodeChunks encodes text split at random points.
func encodeChunks(t *testing.T, tok Tokenizer, text []byte, rng *rand.Rand) []autoreg.Token {
	t.Helper()
	enc := tok.NewEncoder()
	var out []autoreg.Token
	var err error
	for len(text) > 0 {
		n := rng.IntN(len(text)) + 1
		if rng.IntN(3) == 0 {
			n = min(n, 3)
		}
		if out, err = enc.Encode(out, text[:n]); err != nil {
			t.Fatal(err)
		}
		text = text[n:]
	}
	if out, err = enc.Flush(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeAll(tok Tokenizer, ts []autoreg.Token) []byte {
	var b []byte
	for _, t := range ts {
		b = tok.AppendText(b, t)
	}
	return b
}

var sample = []byte("Hello, wörld!\n\tÜber   ∑ 日本語 <unk> a\\b\r\n  end")

func TestByteRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tok := NewByte()
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for range 20 {
		got := decodeAll(tok, encodeChunks(t, tok, data, rng))
		if !bytes.Equal(got, data) {
			t.Fatal("byte round trip differs")
		}
	}
}

func TestCharRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := NewCharBuilder()
	if err := b.Add(sample[:7]); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(sample[7:]); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.Vocab().Base, utf8.RuneCount(uniqueRunes(sample)); got != want {
		t.Fatalf("base %d, want %d", got, want)
	}
	for range 50 {
		ts := encodeChunks(t, tok, sample, rng)
		if len(ts) != utf8.RuneCount(sample) {
			t.Fatalf("%d tokens for %d characters", len(ts), utf8.RuneCount(sample))
		}
		if got := decodeAll(tok, ts); !bytes.Equal(got, sample) {
			t.Fatalf("char round trip: %q", got)
		}
	}
	// Unknown characters become UNK and are counted.
	enc := tok.NewEncoder()
	ts, err := enc.Encode(nil, []byte("Hé€"))
	if err != nil {
		t.Fatal(err)
	}
	unk := tok.Vocab().UNK()
	if len(ts) != 3 || ts[1] != unk || ts[2] != unk || enc.Unknown() != 2 {
		t.Fatalf("got %v, unknown %d", ts, enc.Unknown())
	}
}

func uniqueRunes(b []byte) []byte {
	seen := map[rune]bool{}
	var out []byte
	for _, r := range string(b) {
		if !seen[r] {
			seen[r] = true
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

func TestCharInvalidUTF8(t *testing.T) {
	tok, _ := NewChar([]rune("abc"))
	for _, tc := range []struct {
		pieces []string
		offset int64
	}{
		{[]string{"ab\xffc"}, 2},
		{[]string{"ab", "c\xe2\x82", "x"}, 3},
		{[]string{"abc\xe2"}, 3}, // ends inside a character: reported by Flush
	} {
		enc := tok.NewEncoder()
		var err error
		for _, p := range tc.pieces {
			if _, err = enc.Encode(nil, []byte(p)); err != nil {
				break
			}
		}
		if err == nil {
			_, err = enc.Flush(nil)
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.Offset != tc.offset {
			t.Errorf("%q: err %v, want InputError at %d", tc.pieces, err, tc.offset)
		}
		b := NewCharBuilder()
		err = nil
		for _, p := range tc.pieces {
			if err = b.Add([]byte(p)); err != nil {
				break
			}
		}
		if err == nil {
			err = b.Flush()
		}
		if !errors.As(err, &ie) || ie.Offset != tc.offset {
			t.Errorf("builder %q: err %v, want InputError at %d", tc.pieces, err, tc.offset)
		}
	}
}

func TestWordSplitChunked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	text := []byte(strings.Repeat("the cat  sat\non the mat\u3000日本 \xff\xfe odd ", 20))
	wantWords := strings.Fields(string(text)) // same white space rules for valid UTF-8
	b := NewWordBuilder()
	b.Add(text)
	b.Flush()
	tok, err := b.Build(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ts := encodeChunks(t, tok, text, rng)
		if len(ts) != len(wantWords) {
			t.Fatalf("%d tokens, want %d", len(ts), len(wantWords))
		}
		for i, id := range ts {
			if tok.words[id] != wantWords[i] {
				t.Fatalf("token %d = %q, want %q", i, tok.words[id], wantWords[i])
			}
		}
	}
	if got := string(decodeAll(tok, encodeChunks(t, tok, []byte("the  cat\n"), rng))); got != " the cat" {
		t.Fatalf("decode %q", got)
	}
}

func TestWordVocabOptions(t *testing.T) {
	b := NewWordBuilder()
	b.Add([]byte("a a a b b c d d d d e"))
	b.Flush()
	tok, err := b.Build(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Words(); !slices.Equal(got, []string{"d", "a", "b"}) {
		t.Fatalf("vocab %q", got)
	}
	tok, err = b.Build(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Words(); !slices.Equal(got, []string{"d", "a", "b"}) {
		t.Fatalf("min-count vocab %q", got)
	}
	if _, err := b.Build(0, 100); err == nil {
		t.Fatal("no error for an empty vocabulary")
	}
	enc := tok.NewEncoder()
	ts, _ := enc.Encode(nil, []byte("a z b "))
	if want := []autoreg.Token{1, tok.Vocab().UNK(), 2}; !slices.Equal(ts, want) || enc.Unknown() != 1 {
		t.Fatalf("got %v (unknown %d), want %v", ts, enc.Unknown(), want)
	}
}

func TestLongWordSplit(t *testing.T) {
	tok, _ := NewWord([]string{"x"})
	long := bytes.Repeat([]byte("y"), 3*MaxWordLen+5)
	enc := tok.NewEncoder()
	ts, _ := enc.Encode(nil, long)
	ts, _ = enc.Flush(ts)
	if len(ts) != 4 {
		t.Fatalf("%d tokens for a %d-byte word", len(ts), len(long))
	}
}

func tokenizers(t *testing.T) []Tokenizer {
	c, err := NewChar([]rune("ab \n<\\é日"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWord([]string{"the", "<unk>", "a\\b", "é", "\xff"})
	if err != nil {
		t.Fatal(err)
	}
	wc, err := WithControls(w, []string{"test", "code"})
	if err != nil {
		t.Fatal(err)
	}
	px, err := NewPixels(17, Shape{Height: 8, Width: 8, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := WithControls(px, []string{"0", "1", "9"})
	if err != nil {
		t.Fatal(err)
	}
	mu, err := NewMuLaw(Audio{Rate: 8000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewG711U(Audio{Rate: 44100, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	gc, err := WithControls(g, []string{"speaker1"})
	if err != nil {
		t.Fatal(err)
	}
	return []Tokenizer{NewByte(), c, w, wc, px, pc, mu, g, gc}
}

// TestConformance runs the tokenizer suite (internal/modeltest) on every
// kind, with the marshalled form as its save/load round trip.
func TestConformance(t *testing.T) {
	for i, tok := range tokenizers(t) {
		t.Run(fmt.Sprintf("%d-%s", i, tok.Kind()), func(t *testing.T) {
			modeltest.TestTokenizer(t, tok, modeltest.TokenizerOptions[Encoder]{
				Lossless: tok.Kind() != KindWord && tok.Kind() != KindPixels && tok.Kind() != KindMuLaw,
				SaveLoad: func(tok modeltest.Tokenizer[Encoder]) (modeltest.Tokenizer[Encoder], error) {
					data, err := Marshal(tok.(Tokenizer))
					if err != nil {
						return nil, err
					}
					back, err := Unmarshal(data)
					if err != nil {
						return nil, err
					}
					if again, _ := Marshal(back); !bytes.Equal(again, data) || back.Kind() != tok.(Tokenizer).Kind() {
						return nil, errors.New("marshalling the read tokenizer changes its bytes")
					}
					return back, nil
				},
			})
		})
	}
}

// TestUnmarshalTruncated: every proper prefix of a marshalled tokenizer is
// refused.
func TestUnmarshalTruncated(t *testing.T) {
	for _, tok := range tokenizers(t) {
		data, err := Marshal(tok)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			if _, err := Unmarshal(data[:n]); err == nil {
				t.Fatalf("%s: truncated at %d accepted", tok.Kind(), n)
			}
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a":       "a",
		" ":       `\s`,
		"\n":      `\n`,
		"<unk>":   `\<unk>`,
		"a<b":     "a<b",
		"\\":      `\\`,
		"\xff":    `\xFF`,
		"\u00a0":  `\xC2\xA0`,
		"日本":      "日本",
		"":        `\0`,
		"\x00x\t": `\x00x\t`,
	} {
		if got := EscapeWord(in); got != want {
			t.Errorf("EscapeWord(%q) = %q, want %q", in, got, want)
		}
		if back, ok := UnescapeWord(want); !ok || back != in {
			t.Errorf("UnescapeWord(%q) = %q, %v", want, back, ok)
		}
	}
	for _, bad := range []string{`\`, `\q`, `\x4`, `\xZZ`, `a\<`} {
		if _, ok := UnescapeWord(bad); ok {
			t.Errorf("UnescapeWord(%q) accepted", bad)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("hello")
	f.Add("<s> \\ \xff")
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeWord(s)
		if strings.ContainsAny(e, " \t\n\r") {
			t.Fatalf("escaped %q contains white space", e)
		}
		back, ok := UnescapeWord(e)
		if !ok || back != s {
			t.Fatalf("round trip %q → %q → %q", s, e, back)
		}
		UnescapeWord(s) // must not panic
	})
}

func FuzzUnmarshal(f *testing.F) {
	for _, tok := range tokenizers(&testing.T{}) {
		data, _ := Marshal(tok)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Unmarshal(data)
		if err != nil {
			return
		}
		again, err := Marshal(tok)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted input does not re-serialize identically")
		}
	})
}

func FuzzWordSplit(f *testing.F) {
	f.Add([]byte("a b\nc"), uint8(2))
	f.Fuzz(func(t *testing.T, text []byte, cut uint8) {
		b := NewWordBuilder()
		b.Add(text)
		b.Flush()
		if b.Distinct() == 0 {
			return
		}
		tok, err := b.Build(0, 1)
		if err != nil {
			t.Fatal(err)
		}
		enc := tok.NewEncoder()
		whole, _ := enc.Encode(nil, text)
		whole, _ = enc.Flush(whole)
		k := int(cut) % (len(text) + 1)
		parts, _ := enc.Encode(nil, text[:k])
		parts, _ = enc.Encode(parts, text[k:])
		parts, _ = enc.Flush(parts)
		if !slices.Equal(whole, parts) {
			t.Fatalf("split at %d changes tokens: %v vs %v", k, whole, parts)
		}
		if enc.Unknown() != 0 {
			t.Fatalf("training words unknown")
		}
	})
}

// Encode and Decode are the streaming encoder and AppendText in one call.
func TestEncodeDecode(t *testing.T) {
	ch, _ := NewChar([]rune("abc é"))
	wd, _ := NewWord([]string{"the", "cat"})
	for _, tc := range []struct {
		tok        Tokenizer
		text, back string
		unknown    int
	}{
		{NewByte(), "a\xffb\n", "a\xffb\n", 0},
		{ch, "abé d", "abé ", 1},
		{wd, "the  dog\ncat", " the cat", 1},
	} {
		ids, err := Encode(tc.tok, tc.text)
		if err != nil {
			t.Fatalf("%s: %v", tc.tok.Kind(), err)
		}
		enc := tc.tok.NewEncoder()
		want, _ := enc.Encode(nil, []byte(tc.text))
		want, _ = enc.Flush(want)
		if !slices.Equal(ids, want) || enc.Unknown() != int64(tc.unknown) {
			t.Errorf("%s: Encode %v, streaming %v (%d unknown)", tc.tok.Kind(), ids, want, enc.Unknown())
		}
		if got := Decode(tc.tok, ids); got != tc.back {
			t.Errorf("%s: Decode %q, want %q", tc.tok.Kind(), got, tc.back)
		}
		if got := Decode(tc.tok, ids[:1]) + Decode(tc.tok, ids[1:]); got != tc.back {
			t.Errorf("%s: Decode does not concatenate: %q", tc.tok.Kind(), got)
		}
	}
	_, err := Encode(ch, "ab\xff")
	var ie *InputError
	if !errors.As(err, &ie) || ie.Offset != 2 || !errors.Is(err, ErrInvalidUTF8) || !strings.HasPrefix(err.Error(), "tokenize: byte 2: invalid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}
