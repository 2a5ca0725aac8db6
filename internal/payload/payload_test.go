package payload

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/realio"
	"github.com/autoreg/autoreg/tensor"
)

var testFormat = Format{Magic: "ARGTST\x00\x00", Version: 3, RealVersion: 4, Ints: 2, Prefix: "tst"}

func testReal() *realio.Spec {
	return &realio.Spec{Head: dist.Head{Kind: dist.KindGaussianMixture, K: 3}, Lags: []int{7, 364},
		Mean: []float64{9451.19, -2}, Scale: []float64{1021.5, 0.25}, Highway: true}
}

func encode(t testing.TB, h Header, w []float32) []byte {
	var b bytes.Buffer
	n, err := testFormat.Write(&b, h, w)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("Write: %d bytes, %v (buffer %d)", n, err, b.Len())
	}
	return b.Bytes()
}

// decode reads a payload expecting n weights.
func decode(data []byte, n int) (*Frame, []float32, error) {
	r := bytes.NewReader(data)
	fr, err := testFormat.ReadHeader(r, int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	if err := testFormat.CheckWeights(fr, int64(len(data)), int64(n)); err != nil {
		return nil, nil, err
	}
	w := make([]float32, n)
	return fr, w, testFormat.ReadWeights(r, fr, w)
}

func TestRoundTrip(t *testing.T) {
	h := Header{Ints: []uint32{7, 1 << 20}, Dropout: 0.25, Controls: []string{"code", "test", ""}}
	w := []float32{1, -2.5, float32(math.SmallestNonzeroFloat32), 3e38, 0}
	data := encode(t, h, w)
	if (len(data)-4*len(w))%64 != 0 {
		t.Fatalf("weights not 64-byte aligned: %d bytes", len(data))
	}
	fr, got, err := decode(data, len(w))
	if err != nil {
		t.Fatal(err)
	}
	if fr.Ints[0] != 7 || fr.Ints[1] != 1<<20 || fr.Dropout != 0.25 || strings.Join(fr.Controls, ",") != "code,test," {
		t.Fatalf("header %+v", fr.Header)
	}
	for i := range w {
		if got[i] != w[i] {
			t.Fatalf("weight %d = %v, want %v", i, got[i], w[i])
		}
	}
}

// TestRealBlock: a real-valued model's payload is RealVersion and its
// block round-trips (a dlogistic head's grid too); a token format without
// RealVersion reads neither.
func TestRealBlock(t *testing.T) {
	dl := &realio.Spec{Head: dist.Head{Kind: dist.KindDiscretizedLogistic, K: 2, Grid: dist.Grid{Lo: -32768, Step: 1, N: 65536}},
		Mean: []float64{3}, Scale: []float64{1000}}
	for _, spec := range []*realio.Spec{testReal(), dl} {
		data := encode(t, Header{Ints: []uint32{1, 2}, Real: spec}, []float32{1, 2})
		if v := binary.LittleEndian.Uint32(data[8:]); v != testFormat.RealVersion {
			t.Errorf("version %d, want %d", v, testFormat.RealVersion)
		}
		fr, _, err := decode(data, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fr.Real, spec) {
			t.Errorf("read %+v, wrote %+v", fr.Real, spec)
		}
		tokens := Format{Magic: testFormat.Magic, Version: 3, Ints: 2, Prefix: "tst"}
		if _, err := tokens.ReadHeader(bytes.NewReader(data), int64(len(data))); err == nil || !strings.Contains(err.Error(), "version 4") {
			t.Errorf("a format without real models read one: %v", err)
		}
	}
	fr, _, err := decode(encode(t, Header{Ints: []uint32{1, 2}}, []float32{1, 2}), 2)
	if err != nil || fr.Real != nil {
		t.Errorf("a token payload: %v, real block %v", err, fr.Real)
	}
	// A block whose scale is zero is rejected.
	bad := testReal()
	bad.Scale[1] = 0
	if _, _, err := decode(encode(t, Header{Ints: []uint32{1, 2}, Real: bad}, []float32{1}), 1); err == nil || !strings.Contains(err.Error(), "scale") {
		t.Errorf("a zero scale: %v", err)
	}
}

func TestRejects(t *testing.T) {
	good := encode(t, Header{Ints: []uint32{1, 2}, Controls: []string{"a"}}, []float32{1, 2, 3})
	nan := encode(t, Header{Ints: []uint32{1, 2}}, []float32{1, float32(math.NaN())})
	for _, c := range []struct {
		name string
		data []byte
		n    int
		want string
	}{
		{"magic", append([]byte("ARGXXX\x00\x00"), good[8:]...), 3, "tst: bad payload magic"},
		{"version", append(append([]byte(nil), good[:8]...), append([]byte{9, 0, 0, 0}, good[12:]...)...), 3, "version 9"},
		{"short", good[:10], 3, "truncated payload header"},
		{"weights count", good, 4, "configuration needs"},
		{"truncated weights", good[:len(good)-2], 3, "payload of"},
		{"nan", nan, 2, "NaN"},
	} {
		_, _, err := decode(c.data, c.n)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tst: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// FuzzReadHeader: no input makes the reader panic or allocate past the
// header cap.
func FuzzReadHeader(f *testing.F) {
	f.Add(encode(f, Header{Ints: []uint32{1, 2}, Controls: []string{"x"}}, []float32{1}))
	f.Add([]byte(testFormat.Magic))
	f.Add(encode(f, Header{Ints: []uint32{1, 2}, Real: testReal()}, []float32{1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = decode(data, 1)
	})
}

// arenaModel is the least model ReadModel fills.
type arenaModel struct{ a *tensor.Arena }

func (m arenaModel) Arena() *tensor.Arena { return m.a }

// TestReadModel: the weights land in the built model's arena, and a
// payload of the wrong size is refused before anything is built.
func TestReadModel(t *testing.T) {
	w := make([]float32, tensor.Align)
	for i := range w {
		w[i] = float32(i) - 3.5
	}
	data := encode(t, Header{Ints: []uint32{1, 2}, Controls: []string{"a"}}, w)
	read := func(n int64) (arenaModel, int, error) {
		r := bytes.NewReader(data)
		fr, err := testFormat.ReadHeader(r, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		built := 0
		m, err := ReadModel(testFormat, r, fr, int64(len(data)), n, func() (arenaModel, error) {
			built++
			var b tensor.Builder
			b.Add("w", false, int(n))
			return arenaModel{b.Build()}, nil
		})
		return m, built, err
	}
	m, built, err := read(tensor.Align)
	if err != nil || built != 1 || !reflect.DeepEqual(m.a.Params, w) {
		t.Fatalf("ReadModel: %v, built %d times, weights %v", err, built, m.a)
	}
	if _, built, err := read(tensor.Align + 1); err == nil || built != 0 {
		t.Fatalf("a payload one weight short: error %v, built %d times", err, built)
	}
	r := bytes.NewReader(data)
	fr, _ := testFormat.ReadHeader(r, int64(len(data)))
	if v, err := testFormat.Vocab(fr, 9); err != nil || v.Base != 9 || v.Controls[0] != "a" {
		t.Fatalf("Vocab: %+v, %v", v, err)
	}
	if _, err := testFormat.Vocab(fr, 0); err == nil || !strings.HasPrefix(err.Error(), "tst: ") {
		t.Fatalf("Vocab of base 0: %v", err)
	}
}
