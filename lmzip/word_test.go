package lmzip

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// ptbWords is the vocabulary of the Penn-Treebank-like text: made-up words
// of two to four letters, and the corpus word "<unk>" (an ordinary word
// there, spelled like the special).
func ptbWords() []string {
	words := []string{"<unk>", "N", "the", "of", "a", "to"}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for _, w := range words {
		seen[w] = true
	}
	for len(words) < 300 {
		b := make([]byte, 2+r.IntN(3))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			words = append(words, string(b))
		}
	}
	return words
}

// ptbLike returns n lines in the Penn Treebank's layout, " w w ... w \n"
// (every word preceded by a space, and a space before the newline), from a
// Markov chain over words: each word picks its successor among a few
// favourites of its own or, less often, anywhere in a Zipf-like spread.
func ptbLike(words []string, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	var b bytes.Buffer
	for range n {
		prev := 0
		for k := 5 + r.IntN(25); k > 0; k-- {
			var w int
			if r.IntN(3) > 0 {
				w = (prev*7 + 1 + r.IntN(4)) % len(words)
			} else {
				w = int(float64(len(words)) * math.Pow(r.Float64(), 3))
			}
			b.WriteByte(' ')
			b.WriteString(words[w])
			prev = w
		}
		b.WriteString(" \n")
	}
	return b.Bytes()
}

// wordStatic is a word-level order-3 Kneser-Ney model trained in lines mode
// on PTB-like text.
func wordStatic(t testing.TB) *Static {
	words := ptbWords()
	tok, err := tokenize.NewWord(words)
	if err != nil {
		t.Fatal(err)
	}
	v := tok.Vocab()
	b, err := ngram.NewBuilder(v, ngram.Options{Order: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(ptbLike(words, 3000, 1), []byte("\n")) {
		seq := []autoreg.Token{v.BOS()}
		seq, _ = tok.NewEncoder().Encode(seq, line)
		if err := b.Add(append(seq, v.EOS())); err != nil {
			t.Fatal(err)
		}
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &Static{ID: sha256.Sum256([]byte("word test model")), Model: m, Tokenizer: FromTokenizer(tok), Lines: true}
}

// TestStaticWordRoundTrip codes text a word tokenizer does not reproduce
// (spacing it drops, unknown words, bytes that are not text) with a word
// model, in both lines conventions, both literal codings, and with blocks
// small enough that some are stored.
func TestStaticWordRoundTrip(t *testing.T) {
	s := wordStatic(t)
	words := ptbWords()
	var odd bytes.Buffer
	odd.WriteString("the of  a\tto \r\n\n\n  <unk> zzqx the\t\n N N\r\n")
	odd.WriteString(" qqqq wwww eeee rr \n")    // unknown words in a row
	odd.WriteString("\xff\xfe the \xc3( of \n") // not UTF-8
	odd.Write(ptbLike(words, 40, 5))
	odd.Write(randomBytes(9000, 6)) // a stored block at least
	odd.Write(ptbLike(words, 40, 7))
	odd.WriteString("   \t  \n \n \n")
	odd.WriteString(" the last line without a newline  ")
	inputs := map[string][]byte{
		"ptb":        ptbLike(words, 200, 4),
		"odd":        odd.Bytes(),
		"unk-at-end": []byte(" the of zzqx"),
		"space":      {' '},
		"newline":    {'\n'},
	}
	for _, lines := range []bool{true, false} {
		for _, orig := range []bool{false, true} {
			s2 := *s
			s2.Lines, s2.originalLiterals = lines, orig
			for name, data := range inputs {
				for _, bs := range []int{0, 4096} {
					comp := roundTrip(t, data, Options{Static: &s2, BlockSize: bs}, ReaderOptions{Static: &s2})
					t.Logf("lines %v original %v %s/%d: %d -> %d", lines, orig, name, bs, len(data), len(comp))
				}
			}
		}
	}
}

// TestStaticWordCrossEntropy: on text in the Penn Treebank's layout, where
// every line ends with a space the word tokenizer drops, a word model in
// lines mode codes within 0.1% of its cross-entropy (as autoreg eval
// scores it: every line's words and its </s>).
func TestStaticWordCrossEntropy(t *testing.T) {
	s := wordStatic(t)
	data := ptbLike(ptbWords(), 2500, 8)
	bitsCE := 0.0
	st := s.Model.NewState()
	v := s.Model.Vocab()
	c := newStaticCodec(s, 0, s.numericPath())
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		st.Reset()
		st.Append(v.BOS())
		for _, tk := range c.tokenize(line[:len(line)-2]) { // without " \n"
			if tk < 0 {
				t.Fatal("unexpected escape")
			}
			bitsCE -= st.LogProb(tk) / math.Ln2
			st.Append(tk)
		}
		bitsCE -= st.LogProb(v.EOS()) / math.Ln2
	}
	fixed := len(compress(t, nil, Options{Static: s})) + 16 // header, end marker, one block's framing
	for _, orig := range []bool{false, true} {
		s2 := *s
		s2.originalLiterals = orig
		got := float64(len(compress(t, data, Options{Static: &s2}))-fixed) * 8
		over := (got - bitsCE) / bitsCE
		t.Logf("original coding %v: cross-entropy %.0f bits, coded %.0f bits: %+.4f%%", orig, bitsCE, got, 100*over)
		if !orig && math.Abs(over) > 0.001 {
			t.Errorf("coded size is %+.3f%% off the cross-entropy", 100*over)
		}
	}
}
