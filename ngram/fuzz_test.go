package ngram

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// exercise queries a model that a reader accepted: it must behave (no panic,
// no NaN) whatever the input was.
func exercise(t *testing.T, m *Model) {
	voc := m.Vocab()
	V := voc.Size()
	dst := make([]float32, V)
	rng := rand.New(rand.NewPCG(1, 2))
	st := m.NewState()
	for i := 0; i < 8; i++ {
		st.LogProbs(dst)
		for x, lp := range dst {
			if math.IsNaN(float64(lp)) {
				t.Fatalf("NaN log-probability for token %d", x)
			}
		}
		x := autoreg.Token(rng.IntN(V))
		if lp := st.LogProb(x); math.IsNaN(lp) {
			t.Fatalf("NaN LogProb")
		}
		st.Append(x)
	}
}

func FuzzReadARPA(f *testing.F) {
	f.Add([]byte(tinyARPA))
	f.Add([]byte(strings.Replace(tinyARPA, "ngram 2=3", "ngram 2=2", 1)))
	f.Add([]byte("\\data\\\nngram 1=2\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\ta\t-0.5\n-1\tb\n\n\\2-grams:\n-0.5\ta a\t-1\n\\3-grams:\n-0.1\ta b a\n\\end\\\n"))
	var buf bytes.Buffer
	m := smallModelsF(f)
	for _, mm := range m {
		buf.Reset()
		mm.WriteARPA(&buf, tokName)
		if buf.Len() < 4000 {
			f.Add(append([]byte(nil), buf.Bytes()...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, words, err := ReadARPA(bytes.NewReader(data), "fuzz.arpa", nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ngram: fuzz.arpa: line ") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		if len(words) != m.Vocab().Size() {
			t.Fatalf("%d words for %d tokens", len(words), m.Vocab().Size())
		}
		exercise(t, m)
		var out bytes.Buffer
		if err := m.WriteARPA(&out, func(x autoreg.Token) string { return words[x] }); err != nil {
			t.Fatalf("WriteARPA of a model ReadARPA accepted: %v", err)
		}
		m2, _, err := ReadARPA(&out, "again.arpa", nil)
		if err != nil {
			t.Fatalf("re-reading our own ARPA: %v\n%s", err, out.String())
		}
		if m2.Vocab().Size() != m.Vocab().Size() || !slicesEqual(m2.Counts(), m.Counts()) {
			t.Fatalf("round trip changed the model: %v vs %v", m2.Counts(), m.Counts())
		}
		// And the model survives a payload round trip.
		var p bytes.Buffer
		if _, err := m.WriteTo(&p); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadModel(&p, int64(p.Len())); err != nil {
			t.Fatalf("payload of an ARPA model: %v", err)
		}
	})
}

func FuzzReadModel(f *testing.F) {
	for _, m := range smallModelsF(f) {
		var buf bytes.Buffer
		m.WriteTo(&buf)
		if buf.Len() < 8000 {
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte("NGRM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ngram: model payload: offset ") {
				t.Fatalf("error without offset: %v", err)
			}
			return
		}
		exercise(t, m)
		var out bytes.Buffer
		n, err := m.WriteTo(&out)
		if err != nil || n != m.EncodedSize() {
			t.Fatalf("WriteTo: %d bytes, %v", n, err)
		}
		if _, err := ReadModel(&out, n); err != nil {
			t.Fatalf("re-reading: %v", err)
		}
	})
}

// smallModelsF builds tiny models for seed corpora.
func smallModelsF(tb testing.TB) []*Model {
	rng := rand.New(rand.NewPCG(21, 22))
	var ms []*Model
	for order := 1; order <= 4; order++ {
		voc := autoreg.Vocab{Base: 3}
		if order == 3 {
			voc.Controls = []string{"t"}
		}
		ms = append(ms, buildModel(tb, voc, Options{Order: order}, randomStream(rng, voc, 6)))
	}
	return ms
}
