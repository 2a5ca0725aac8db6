package modelfile

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tokenize"
)

// seq2seqFile is a small encoder-decoder with a char source and a word
// target tokenizer.
func seq2seqFile(t testing.TB) *File {
	t.Helper()
	src, err := tokenize.NewChar([]rune("abc"))
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := tokenize.NewWord([]string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 8, Heads: 2, FFN: 8, SrcContext: 6, Context: 5}
	m, err := seq2seq.New(cfg, tgt.Vocab(), src.Vocab(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return &File{Meta: Meta{Family: "seq2seq", Mode: "lines"}, Tokenizer: tgt, SourceTokenizer: src, Model: m}
}

func TestSeq2SeqRoundTrip(t *testing.T) {
	f := seq2seqFile(t)
	path := filepath.Join(t.TempDir(), "m.arm")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	g, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.SourceTokenizer == nil || g.SourceTokenizer.Kind() != tokenize.KindChar || g.Tokenizer.Kind() != tokenize.KindWord {
		t.Fatalf("tokenizers %v %v", g.SourceTokenizer, g.Tokenizer)
	}
	c, ok := g.Model.(autoreg.Conditional)
	if !ok {
		t.Fatalf("%T is not conditional", g.Model)
	}
	want, _ := f.Model.(autoreg.Conditional).Condition([]autoreg.Token{0, 2})
	got, _ := c.Condition([]autoreg.Token{0, 2})
	a, b := want.NewState(), got.NewState()
	a.Append(3)
	b.Append(3)
	if a.LogProb(1) != b.LogProb(1) {
		t.Fatal("the model read back predicts differently")
	}
}

func TestSeq2SeqSourceTokenizerRequired(t *testing.T) {
	f := seq2seqFile(t)
	f.SourceTokenizer = nil
	var buf bytes.Buffer
	if _, err := Encode(&buf, f); err == nil || !strings.Contains(err.Error(), "source tokenizer") {
		t.Fatalf("a conditional model without a source tokenizer: %v", err)
	}
	f = seq2seqFile(t)
	f.SourceTokenizer = tokenize.NewByte()
	if _, err := Encode(&buf, f); err == nil {
		t.Fatal("a source tokenizer of the wrong size was accepted")
	}
	g := sampleFile()
	g.SourceTokenizer = tokenize.NewByte()
	if _, err := Encode(&buf, g); err == nil {
		t.Fatal("a source tokenizer for a model without a source was accepted")
	}
}

func FuzzDecodeSeq2Seq(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, seq2seqFile(f))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if c, ok := g.Model.(autoreg.Conditional); ok {
			m, err := c.Condition(nil)
			if err != nil {
				t.Fatal(err)
			}
			st := m.NewState()
			st.Append(0)
			_ = st.LogProb(0)
		}
	})
}
