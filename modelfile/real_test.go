package modelfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/ar"
	"github.com/autoreg/autoreg/tokenize"
)

func sampleReal() *File {
	m := &ar.Model{Mean: 10, Scale: 2, Standardized: true, Intercept: 0.1, Coef: []float64{0.5, -0.2}, Sigma2: 0.7,
		Mix: &ar.Mixture{Weights: []float64{0.25, 0.75}, Means: []float64{-0.3, 0.1}, Vars: []float64{1.5, 0.4}}}
	return &File{Meta: Meta{Family: "ar", Columns: []string{"births"}, Time: "date"}, Real: m}
}

func TestRealRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.arm")
	f := sampleReal()
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if v := binary.LittleEndian.Uint32(raw[8:]); v != Version || bytes.Contains(raw, []byte(TagTokenizer)) {
		t.Fatalf("version %d, or a tokenizer section in a real-valued file", v)
	}
	g, err := ReadAny(path)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := g.Real.(*ar.Model)
	if !ok || g.Model != nil || g.Tokenizer != nil || g.SHA256 != f.SHA256 || g.Meta.Columns[0] != "births" || g.Meta.Time != "date" {
		t.Fatalf("read back %+v", g)
	}
	if m.Order() != 2 || m.Mix.K() != 2 || m.Mean != 10 {
		t.Fatalf("model %+v", m)
	}
	if !IsRealFile(path) || IsRealFile(path+".missing") {
		t.Error("IsRealFile")
	}
	tokPath := filepath.Join(t.TempDir(), "tok.arm")
	if err := Write(tokPath, sampleFile()); err != nil || IsRealFile(tokPath) {
		t.Errorf("IsRealFile of a token model: %v", err)
	}
	// Read is for token models and says what the file holds.
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "real-valued ar model, not a token model") {
		t.Errorf("Read of a real-valued file: %v", err)
	}
	// Token models are still written as version 1.
	var buf bytes.Buffer
	Encode(&buf, sampleFile())
	if v := binary.LittleEndian.Uint32(buf.Bytes()[8:]); v != VersionTokens {
		t.Errorf("a token model written as version %d", v)
	}
}

func TestRealRejected(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Encode(&buf, sampleReal()); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	// A real-valued model in a version-1 file (checksum recomputed).
	v1 := bytes.Clone(good)
	binary.LittleEndian.PutUint32(v1[8:], VersionTokens)
	sum := sha256.Sum256(v1[:len(v1)-48])
	copy(v1[len(v1)-32:], sum[:])
	if _, err := Decode(bytes.NewReader(v1), int64(len(v1))); err == nil || !strings.Contains(err.Error(), "in a version 1 file") {
		t.Errorf("a version-1 real-valued file: %v", err)
	}
	// Writing needs the right combination.
	f := sampleReal()
	f.Tokenizer = tokenize.NewByte()
	if _, err := Encode(&buf, f); err == nil {
		t.Error("a real-valued model with a tokenizer was written")
	}
	f = sampleReal()
	f.Meta.Family = "ngram"
	if _, err := Encode(&buf, f); err == nil {
		t.Error("a real-valued model under a token family was written")
	}
	// Every truncation and every flip of a real-valued file is an error.
	for n := 0; n < len(good); n++ {
		if _, err := Decode(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Fatalf("truncation at %d accepted", n)
		}
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		if _, err := Decode(bytes.NewReader(bad), int64(len(bad))); err == nil {
			t.Fatalf("flip at %d accepted", i)
		}
	}
}
