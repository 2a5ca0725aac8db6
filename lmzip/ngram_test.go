package lmzip_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/lmzip"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/tokenize"
)

// shakespeareNgram trains an order-n character model on tiny Shakespeare's
// training part (the first 90%, stream mode) and returns it with the
// validation part.
func shakespeareNgram(tb testing.TB, order int) (*lmzip.Static, []byte) {
	tb.Helper()
	data, err := os.ReadFile(testutil.SharedFile(tb, "data/tinyshakespeare/input.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	n := len(data) * 9 / 10
	train, valid := data[:n], data[n:]
	cb := tokenize.NewCharBuilder()
	if err := cb.Add(train); err != nil {
		tb.Fatal(err)
	}
	if err := cb.Flush(); err != nil {
		tb.Fatal(err)
	}
	tok, err := cb.Build()
	if err != nil {
		tb.Fatal(err)
	}
	b, err := ngram.NewBuilder(tok.Vocab(), ngram.Options{Order: order})
	if err != nil {
		tb.Fatal(err)
	}
	enc := tok.NewEncoder()
	seq := []autoreg.Token{tok.Vocab().BOS()}
	if seq, err = enc.Encode(seq, train); err != nil {
		tb.Fatal(err)
	}
	seq, _ = enc.Flush(seq)
	seq = append(seq, tok.Vocab().EOS())
	if err := b.Add(seq); err != nil {
		tb.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	s := &lmzip.Static{Model: m, Tokenizer: lmzip.FromTokenizer(tok)}
	s.ID = sha256.Sum256([]byte("test: tiny shakespeare char ngram"))
	return s, valid
}

// crossEntropyBits scores text as autoreg eval does in stream mode (after
// <s>, without the final </s>).
func crossEntropyBits(tb testing.TB, s *lmzip.Static, text []byte) float64 {
	toks := s.Tokenizer.Encode(nil, text)
	st := s.Model.NewState()
	st.Append(s.Model.Vocab().BOS())
	sum := 0.0
	for _, t := range toks {
		sum -= st.LogProb(t)
		st.Append(t)
	}
	return sum / math.Ln2
}

// TestShakespeareNgram: an order-8 character n-gram trained on the training
// part compresses the validation part to ≤ 2.2 bits/char, within 0.1% of
// its own cross-entropy.
func TestShakespeareNgram(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an order-8 model")
	}
	s, valid := shakespeareNgram(t, 8)
	ce := crossEntropyBits(t, s, valid)
	var out bytes.Buffer
	t0 := time.Now()
	if _, err := lmzip.Compress(context.Background(), &out, bytes.NewReader(valid), lmzip.Options{Static: s}); err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	var back bytes.Buffer
	if _, err := lmzip.Decompress(context.Background(), &back, bytes.NewReader(out.Bytes()), lmzip.ReaderOptions{Static: s}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), valid) {
		t.Fatal("round trip differs")
	}
	bpc := float64(out.Len()*8) / float64(len(valid))
	over := (float64(out.Len()*8) - ce) / ce
	t.Logf("valid %d chars: cross-entropy %.4f bits/char, compressed %d bytes = %.4f bits/char (%+.4f%% incl. header), %.0f kB/s",
		len(valid), ce/float64(len(valid)), out.Len(), bpc, 100*over, float64(len(valid))/el.Seconds()/1e3)
	if bpc > 2.2 {
		t.Errorf("%.4f bits/char > 2.2", bpc)
	}
	hdr := 100.0 * 8 // header, framing and end marker: < 100 bytes
	if float64(out.Len()*8)-hdr > ce*1.001 {
		t.Errorf("compressed size exceeds the cross-entropy by more than 0.1%% plus the header")
	}
	if p := os.Getenv("LMZIP_WRITE_NGRAM_GOLDEN"); p != "" {
		os.WriteFile(filepath.Join(p, "ngram-valid.arz"), out.Bytes(), 0o644)
	}
}
