package modelfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
)

// fixed is a stand-in family: a fixed distribution over the vocabulary,
// serialized as float32 log-probabilities.
type fixed struct {
	v  autoreg.Vocab
	lp []float32
}

func (m *fixed) Vocab() autoreg.Vocab    { return m.v }
func (m *fixed) NewState() autoreg.State { return &fixedState{m: m} }
func (m *fixed) WriteTo(w io.Writer) (int64, error) {
	b := binary.LittleEndian.AppendUint32(nil, uint32(m.v.Base))
	for _, x := range m.lp {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	n, err := w.Write(b)
	return int64(n), err
}

type fixedState struct {
	m *fixed
	n int
}

func (s *fixedState) Append(xs ...autoreg.Token)      { s.n += len(xs) }
func (s *fixedState) LogProbs(dst []float32)          { copy(dst, s.m.lp) }
func (s *fixedState) LogProb(x autoreg.Token) float64 { return float64(s.m.lp[x]) }
func (s *fixedState) CopyTo(dst autoreg.State)        { *dst.(*fixedState) = *s }
func (s *fixedState) Reset()                          { s.n = 0 }
func (s *fixedState) Len() int                        { return s.n }

func decodeFixed(r io.Reader, n int64) (autoreg.Model, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, errors.New("short")
	}
	m := &fixed{v: autoreg.Vocab{Base: int(binary.LittleEndian.Uint32(b))}}
	for b = b[4:]; len(b) >= 4; b = b[4:] {
		m.lp = append(m.lp, math.Float32frombits(binary.LittleEndian.Uint32(b)))
	}
	if len(m.lp) != m.v.Size() {
		return nil, errors.New("size mismatch")
	}
	return m, nil
}

func init() {
	testFamilies = map[string]func(io.Reader, int64) (autoreg.Model, error){"fixed": decodeFixed}
}

func sampleFile() *File {
	tok := tokenize.NewByte()
	m := &fixed{v: tok.Vocab()}
	for range m.v.Size() {
		m.lp = append(m.lp, float32(-math.Log(float64(m.v.Size()))))
	}
	return &File{
		Meta:      Meta{Family: "fixed", Mode: "stream", Config: []byte(`{"x":1}`)},
		Tokenizer: tok,
		Model:     m,
		Extra:     []Section{{Tag: "XTRA", Data: []byte("extra data")}},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.arm")
	f := sampleFile()
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if f.SHA256 != sha(raw) {
		t.Fatal("Write's SHA256 is not the file's digest")
	}
	g, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.SHA256 != f.SHA256 || g.Meta.Family != "fixed" || g.Meta.Mode != "stream" || string(g.ExtraSection("XTRA")) != "extra data" {
		t.Fatalf("read back %+v", g)
	}
	if g.Model.Vocab().Size() != 259 || g.Tokenizer.Kind() != "byte" {
		t.Fatal("model or tokenizer differ")
	}
	// Payloads are aligned.
	for _, tag := range []string{TagMeta, TagTokenizer, TagModel, "XTRA", TagEnd} {
		i := bytes.Index(raw, []byte(tag))
		if i < 0 || (i+16)%Align != 0 {
			t.Fatalf("section %q payload at %d", tag, i+16)
		}
	}
}

func TestCorruption(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Encode(&buf, sampleFile()); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	// Every truncation and every single-byte flip is an error, never a panic.
	for n := 0; n < len(good); n++ {
		if _, err := Decode(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Fatalf("truncation at %d accepted", n)
		}
	}
	for i := 0; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		if _, err := Decode(bytes.NewReader(bad), int64(len(bad))); err == nil {
			t.Fatalf("flip at %d accepted", i)
		}
	}
	if _, err := Decode(bytes.NewReader(append(bytes.Clone(good), 0)), int64(len(good)+1)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello world"), 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing"): "missing: no such file",
		junk:                          "junk: not an autoreg model file",
		dir:                           "is a directory",
	} {
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read(%s) = %v, want %q", path, err, want)
		}
	}
	f := sampleFile()
	if err := Write(filepath.Join(dir, "no", "dir", "m"), f); err == nil {
		t.Error("unwritable path accepted")
	}
	f.Extra = []Section{{Tag: "MODL"}}
	if err := Write(filepath.Join(dir, "m"), f); err == nil {
		t.Error("reserved tag accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "m")); !os.IsNotExist(err) {
		t.Error("failed write left a file")
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, sampleFile())
	f.Add(buf.Bytes())
	buf.Reset()
	Encode(&buf, sampleReal())
	f.Add(buf.Bytes())
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		Decode(bytes.NewReader(data), int64(len(data)))
	})
}
