package lmzip_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

var updateNgram = flag.Bool("update-ngram", false, "rewrite testdata/ngram-o3.arpa and its golden file")

// bitExact declares a model's LogProbs bit-exact: what ngram.Model can
// declare itself (docs/COMPRESSION.md); this test checks the claim.
type bitExact struct{ autoreg.Model }

func (bitExact) BitExactLogProbs() bool { return true }

// goldenText is integer-generated text (the same on every platform).
func goldenText() []byte {
	var b bytes.Buffer
	words := []string{"the ", "king ", "and ", "queen ", "of ", "a ", "lord", ", ", "shall ", "not ", "be ", "my ", "good ", ".\n", "what ", "is ", "thy ", "name"}
	x := uint32(12345)
	for b.Len() < 12000 {
		x = x*1664525 + 1013904223
		b.WriteString(words[(x>>16)%uint32(len(words))])
	}
	return b.Bytes()
}

// TestNgramGolden codes text (with characters outside the model's
// vocabulary) with an order-3 char n-gram read from an ARPA file in
// testdata, on the bit-exact path, and compares with a golden file written
// on linux/amd64: run under arm64 (scripts/test-lmzip-crossarch.sh) it
// checks that the n-gram family's LogProbs are bit-exact across platforms.
func TestNgramGolden(t *testing.T) {
	arpa := filepath.Join("testdata", "ngram-o3.arpa")
	golden := filepath.Join("testdata", "static-ngram.golden")
	text := goldenText()
	if *updateNgram {
		cb := tokenize.NewCharBuilder()
		cb.Add(text[:8000])
		cb.Flush()
		tok, _ := cb.Build()
		b, _ := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: 3})
		enc := tok.NewEncoder()
		seq, _ := enc.Encode([]autoreg.Token{tok.Vocab().BOS()}, text[:8000])
		seq, _ = enc.Flush(seq)
		b.Add(append(seq, tok.Vocab().EOS()))
		m, err := b.Build(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.Create(arpa)
		w := bufio.NewWriter(f)
		w.WriteString(modelfile.FormatARPAHeader(tok.Kind(), "stream"))
		if err := m.WriteARPA(w, tok.Word); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		f.Close()
	}
	mf, err := modelfile.Read(arpa)
	if err != nil {
		t.Fatal(err)
	}
	s := lmzip.StaticFromFile(mf)
	s.Model = bitExact{s.Model}
	// Outside the vocabulary: capitals and a byte that is not UTF-8.
	in := append(append(bytes.Clone(text), "Exeunt ALL.\n\xff"...), text[:3000]...)
	var out bytes.Buffer
	if _, err := lmzip.Compress(context.Background(), &out, bytes.NewReader(in), lmzip.Options{Static: s}); err != nil {
		t.Fatal(err)
	}
	if *updateNgram {
		os.WriteFile(golden, out.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	// The file of the literal channel's original coding, written before
	// the token-first coding existed, still decodes.
	for _, name := range []string{golden, filepath.Join("testdata", "static-ngram-oldlit.golden")} {
		comp, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var back bytes.Buffer
		if _, err := lmzip.Decompress(context.Background(), &back, bytes.NewReader(comp), lmzip.ReaderOptions{Static: s}); err != nil {
			t.Fatalf("decoding %s: %v", name, err)
		}
		if !bytes.Equal(back.Bytes(), in) {
			t.Fatalf("%s decodes to different bytes", name)
		}
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("compressed bytes differ from %s: the n-gram's log-probabilities are not bit-exact here", golden)
	}
	t.Logf("%d bytes -> %d (model %d bytes of ARPA)", len(in), out.Len(), fileSize(arpa))
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return st.Size()
}
