package ngram

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// sharedDir finds the shared reference folder: $AUTOREG_SHARED, or ../shared
// beside the module root. Without it the test skips, or fails under CI=true.
func sharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("AUTOREG_SHARED"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared")
			if _, err := os.Stat(d); err == nil {
				return d
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("shared reference folder not found (../shared beside the module root, or AUTOREG_SHARED)")
	}
	t.Skip("shared reference folder not found (../shared or AUTOREG_SHARED); skipping")
	return ""
}

// sharedFile returns the path of a reference file, skipping (or failing
// under CI=true) when it is missing.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir(t), "data", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference file missing: %v", err)
		}
		t.Skipf("reference file missing: %v", err)
	}
	return p
}

// wordVocab is a tiny stand-in for the word tokenizer: ordinary words get ids
// in order of first appearance.
type wordVocab struct {
	ids   map[string]autoreg.Token
	words []string
}

func newWordVocab() *wordVocab { return &wordVocab{ids: map[string]autoreg.Token{}} }

func (v *wordVocab) add(w string) {
	if _, ok := v.ids[w]; !ok {
		v.ids[w] = autoreg.Token(len(v.words))
		v.words = append(v.words, w)
	}
}

func (v *wordVocab) vocab() autoreg.Vocab { return autoreg.Vocab{Base: len(v.words)} }

// id maps a word to its token, unknown words to UNK.
func (v *wordVocab) id(w string) autoreg.Token {
	if t, ok := v.ids[w]; ok {
		return t
	}
	return v.vocab().UNK()
}

// readLines returns the whitespace-split lines of a file.
func readLines(t testing.TB, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, strings.Fields(sc.Text()))
	}
	return out
}

// linesStream turns lines into one stream: <s> w.. </s> per line.
func linesStream(v *wordVocab, lines [][]string) []autoreg.Token {
	voc := v.vocab()
	var s []autoreg.Token
	for _, l := range lines {
		s = append(s, voc.BOS())
		for _, w := range l {
			s = append(s, v.id(w))
		}
		s = append(s, voc.EOS())
	}
	return s
}

// scoreLines scores every line as a KenLM sentence: <s> is context, </s> is
// predicted. It returns the total log-probability (nats) and token count.
func scoreLines(m *Model, v *wordVocab, lines [][]string) (float64, int) {
	voc := v.vocab()
	st := m.NewState()
	var lp float64
	n := 0
	for _, l := range lines {
		st.Reset()
		st.Append(voc.BOS())
		for _, w := range l {
			x := v.id(w)
			lp += st.LogProb(x)
			st.Append(x)
			n++
		}
		lp += st.LogProb(voc.EOS())
		n++
	}
	return lp, n
}

// buildModel estimates a model from one stream.
func buildModel(t testing.TB, voc autoreg.Vocab, opts Options, stream []autoreg.Token) *Model {
	t.Helper()
	b, err := NewBuilder(voc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(stream); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
