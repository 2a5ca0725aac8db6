package ngram

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/autoreg/autoreg"
)

func readARPAFile(t testing.TB, path string) (*Model, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, words, err := ReadARPA(f, path, func(s string) { t.Errorf("warning: %s", s) })
	if err != nil {
		t.Fatal(err)
	}
	return m, words
}

// compareARPA checks that got and want hold the same n-grams with log10
// probabilities and backoffs within tol. gotName names got's tokens.
func compareARPA(t *testing.T, got *Model, gotName func(autoreg.Token) string, want *Model, wantWords []string, tol float64) {
	t.Helper()
	if g, w := got.Counts(), want.Counts(); !slicesEqual(g, w) {
		t.Fatalf("n-gram counts %v, KenLM %v", g, w)
	}
	ref := make(map[string]uint32, len(wantWords))
	for id, w := range wantWords {
		ref[w] = uint32(id)
	}
	name := func(x uint32) string {
		if s := got.vocab.SpecialName(autoreg.Token(x)); s != "" {
			return s
		}
		return gotName(autoreg.Token(x))
	}
	mapIDs := func(ws []uint32) []uint32 {
		out := make([]uint32, len(ws))
		for i, x := range ws {
			r, ok := ref[name(x)]
			if !ok {
				t.Fatalf("word %q not in the KenLM model", name(x))
			}
			out[i] = r
		}
		return out
	}
	var worst [MaxOrder + 1]float64
	bad := 0
	check := func(n int, ws []uint32, prob, bo float32) {
		r := mapIDs(ws)
		s, ok := want.lookup(r)
		if !ok {
			if bad++; bad < 10 {
				t.Errorf("%d-gram %v missing in KenLM's model", n, ws)
			}
			return
		}
		wp, wb := want.entry(n, s)
		if n == 1 && ws[0] == uint32(got.bos) {
			wp = prob // p(<s>) is a convention, never used
		}
		d := max(math.Abs(float64(prob-wp)), math.Abs(float64(bo-wb)))
		worst[n] = max(worst[n], d)
		if d > tol {
			if bad++; bad < 10 {
				t.Errorf("%d-gram %q: log10 p %g bo %g, KenLM %g %g", n, words(name, ws), prob, bo, wp, wb)
			}
		}
	}
	for x := range got.uniProb {
		check(1, []uint32{uint32(x)}, got.uniProb[x], got.uniBo[x])
	}
	got.forEachSorted(func(n int, ws []uint32, prob, bo float32) {
		if ws != nil {
			check(n, ws, prob, bo)
		}
	})
	t.Logf("largest difference per order (log10): %.2g", worst[1:got.order+1])
}

func words(name func(uint32) string, ws []uint32) string {
	var b bytes.Buffer
	for i, x := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name(x))
	}
	return b.String()
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ptbName is the ARPA word of a PTB token in KenLM's setup (<unk> -> UNK).
func ptbName(v *wordVocab) func(autoreg.Token) string {
	return func(x autoreg.Token) string {
		if w := v.words[x]; w != "<unk>" {
			return w
		}
		return "UNK"
	}
}

func TestPTBARPAMatchesKenLM(t *testing.T) {
	ref, refWords := readARPAFile(t, sharedFile(t, "kenlm/ptb.o3.arpa.gz"))
	v, _, _, test := ptb(t)
	m := ptbModel(t, 3)
	compareARPA(t, m, ptbName(v), ref, refWords, 1e-4)

	// KenLM's own model scores KenLM's perplexity through our query code.
	rv := newWordVocab()
	for _, w := range refWords[:ref.vocab.Base] {
		rv.add(w)
	}
	kenlmTest := make([][]string, len(test))
	for i, l := range test {
		kenlmTest[i] = make([]string, len(l))
		for j, w := range l {
			if w == "<unk>" {
				w = "UNK"
			}
			kenlmTest[i][j] = w
		}
	}
	lp, n := scoreLines(ref, rv, kenlmTest)
	ppl := math.Exp(-lp / float64(n))
	t.Logf("KenLM's ARPA through our query: test PPL %.3f over %d tokens", ppl, n)
	if math.Abs(ppl-148.28) > 0.05 {
		t.Errorf("KenLM ARPA test PPL %.3f, want 148.28 ± 0.05", ppl)
	}
}

// shakesName writes characters as the KenLM reference does: space "_",
// newline "<nl>".
func shakesName(chars []byte) func(autoreg.Token) string {
	return func(x autoreg.Token) string {
		switch c := chars[x]; c {
		case ' ':
			return "_"
		case '\n':
			return "<nl>"
		default:
			return string(rune(c))
		}
	}
}

func TestShakespeareARPAMatchesKenLM(t *testing.T) {
	chars, voc, train, valid := shakespeare(t)
	for _, c := range []struct {
		order int
		file  string
		bpc   float64
	}{{3, "kenlm/shakes.stream.o3.arpa.gz", 2.940}, {5, "kenlm/shakes.stream.o5.arpa.gz", 2.252}} {
		ref, refWords := readARPAFile(t, sharedFile(t, c.file))
		m := buildModel(t, voc, Options{Order: c.order}, train)
		compareARPA(t, m, shakesName(chars), ref, refWords, 1e-4)

		// Score the validation text with KenLM's model (no <s>, no </s>).
		ids := make(map[string]autoreg.Token)
		for id, w := range refWords {
			ids[w] = autoreg.Token(id)
		}
		name := shakesName(chars)
		st := ref.NewState()
		var lp float64
		for _, x := range valid {
			y := ids[name(x)]
			lp += st.LogProb(y)
			st.Append(y)
		}
		bpc := -lp / math.Ln2 / float64(len(valid))
		t.Logf("order %d: KenLM's ARPA through our query: %.4f bits/char", c.order, bpc)
		if math.Abs(bpc-c.bpc) > 0.003 {
			t.Errorf("order %d: KenLM ARPA %.4f bits/char, want %.3f", c.order, bpc, c.bpc)
		}
	}
}
