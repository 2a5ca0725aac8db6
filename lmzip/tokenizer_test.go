package lmzip_test

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/tokenize"
)

// uniform is a model that gives every token the same probability.
type uniform struct{ v autoreg.Vocab }

func (u uniform) Vocab() autoreg.Vocab    { return u.v }
func (u uniform) NewState() autoreg.State { return &uniformState{u: u} }

type uniformState struct {
	u uniform
	n int
}

func (s *uniformState) Append(xs ...autoreg.Token) { s.n += len(xs) }
func (s *uniformState) LogProbs(dst []float32) {
	for i := range dst {
		dst[i] = float32(-math.Log(float64(len(dst))))
	}
}
func (s *uniformState) LogProb(autoreg.Token) float64 { return -math.Log(float64(s.u.v.Size())) }
func (s *uniformState) CopyTo(dst autoreg.State)      { *dst.(*uniformState) = *s }
func (s *uniformState) Reset()                        { s.n = 0 }
func (s *uniformState) Len() int                      { return s.n }

// TestRealTokenizers: every input round-trips whatever the tokenizer (byte,
// char with unknown characters and invalid UTF-8, word, which drops
// whitespace), through the tokenize adapter.
func TestRealTokenizers(t *testing.T) {
	char, err := tokenize.NewChar([]rune("abc é"))
	if err != nil {
		t.Fatal(err)
	}
	wb := tokenize.NewWordBuilder()
	wb.Add([]byte("the cat sat on the mat"))
	wb.Flush()
	word, err := wb.Build(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	rnd := make([]byte, 3000)
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	inputs := [][]byte{
		nil,
		[]byte("a"),
		[]byte("abc cab é éé abcx\xff\xfe é\n"),
		[]byte("the cat  sat\non the\tmat, the dog\r\n"),
		rnd,
	}
	for k, tok := range []tokenize.Tokenizer{tokenize.NewByte(), char, word, char, word} {
		s := &lmzip.Static{Model: uniform{tok.Vocab()}, Tokenizer: lmzip.FromTokenizer(tok), Lines: k >= 3}
		for i, in := range inputs {
			var comp bytes.Buffer
			if _, err := lmzip.Compress(context.Background(), &comp, bytes.NewReader(in), lmzip.Options{Static: s, BlockSize: 4096}); err != nil {
				t.Fatal(err)
			}
			var back bytes.Buffer
			if _, err := lmzip.Decompress(context.Background(), &back, &comp, lmzip.ReaderOptions{Static: s}); err != nil {
				t.Fatalf("%s input %d: %v", tok.Kind(), i, err)
			}
			if !bytes.Equal(back.Bytes(), in) {
				t.Fatalf("%s input %d: round trip differs", tok.Kind(), i)
			}
		}
	}
}
