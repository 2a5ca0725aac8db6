package ngram

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// sameModel checks that two models hold the same n-grams with identical
// values (up to re-rounding through text when viaText is set).
func sameModel(t *testing.T, a, b *Model) {
	t.Helper()
	if a.order != b.order || a.vocab.Size() != b.vocab.Size() || a.vocab.Base != b.vocab.Base {
		t.Fatalf("order/vocab differ: %d/%d vs %d/%d", a.order, a.vocab.Size(), b.order, b.vocab.Size())
	}
	if !slicesEqual(a.counts, b.counts) {
		t.Fatalf("counts %v vs %v", a.counts, b.counts)
	}
	for x := range a.uniProb {
		if x == int(a.bos) {
			continue
		}
		if a.uniProb[x] != b.uniProb[x] || a.uniBo[x] != b.uniBo[x] {
			t.Fatalf("unigram %d: %g %g vs %g %g", x, a.uniProb[x], a.uniBo[x], b.uniProb[x], b.uniBo[x])
		}
	}
	a.forEachSorted(func(n int, ws []uint32, prob, bo float32) {
		if ws == nil {
			return
		}
		s, ok := b.lookup(ws)
		if !ok {
			t.Fatalf("%d-gram %v missing", n, ws)
		}
		p, q := b.entry(n, s)
		if p != prob || q != bo {
			t.Fatalf("%d-gram %v: %g %g vs %g %g", n, ws, prob, bo, p, q)
		}
	})
}

func tokName(x autoreg.Token) string { return fmt.Sprintf("w%d", x) }

func smallModels(t *testing.T) []*Model {
	rng := rand.New(rand.NewPCG(11, 12))
	var ms []*Model
	for order := 1; order <= 6; order++ {
		voc := autoreg.Vocab{Base: 5 + order}
		if order%3 == 0 {
			voc.Controls = []string{"test", "doc"}
		}
		ms = append(ms, buildModel(t, voc, Options{Order: order}, randomStream(rng, voc, 300)))
	}
	return ms
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, m := range smallModels(t) {
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) || n != m.EncodedSize() || n%8 != 0 {
			t.Fatalf("order %d: wrote %d bytes, buffer %d, EncodedSize %d", m.order, n, buf.Len(), m.EncodedSize())
		}
		m2, err := ReadModel(bytes.NewReader(buf.Bytes()), n)
		if err != nil {
			t.Fatal(err)
		}
		sameModel(t, m, m2)
		if len(m2.Discounts()) != m.order || m2.vocab.Controls == nil && m.vocab.Controls != nil {
			t.Fatalf("discounts or controls lost")
		}
		// Writing again gives the same bytes.
		var buf2 bytes.Buffer
		if _, err := m2.WriteTo(&buf2); err != nil {
			t.Fatal(err)
		}
		m3, err := ReadModel(&buf2, int64(buf2.Len()))
		if err != nil {
			t.Fatal(err)
		}
		sameModel(t, m, m3)
	}
}

func TestPayloadCorrupt(t *testing.T) {
	m := smallModels(t)[3]
	var buf bytes.Buffer
	m.WriteTo(&buf)
	good := buf.Bytes()
	for _, c := range []struct {
		name string
		edit func([]byte) []byte
		size int64
		want string
	}{
		{"empty", func(b []byte) []byte { return nil }, 0, "header needs 24 bytes"},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, -1, "bad magic"},
		{"version", func(b []byte) []byte { b[4] = 9; return b }, -1, "unsupported version 9"},
		{"order 0", func(b []byte) []byte { b[8] = 0; return b }, -1, "order 0 out of range"},
		{"order 100", func(b []byte) []byte { b[8] = 100; return b }, -1, "order 100 out of range"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-5] }, int64(len(good)), "truncated"},
		{"size too small", func(b []byte) []byte { return b }, int64(len(good)) - 8, "only"},
		{"trailing", func(b []byte) []byte { return append(b, make([]byte, 8)...) }, -1, "trailing bytes"},
		{"huge count", func(b []byte) []byte { b[24+8*2+7] = 0x7f; return b }, -1, "too large"},
		{"count vs size", func(b []byte) []byte { b[24+8*2+3] = 0x7f; return b }, -1, "only"},
		{"vocab", func(b []byte) []byte { b[12]++; return b }, -1, "differs from the vocabulary size"},
	} {
		b := c.edit(append([]byte(nil), good...))
		size := c.size
		if size < 0 {
			size = int64(len(b))
		}
		_, err := ReadModel(bytes.NewReader(b), size)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ngram: ") {
			t.Errorf("%s: error %v, want a FormatError containing %q", c.name, err, c.want)
		}
	}
}

func TestARPARoundTrip(t *testing.T) {
	for _, m := range smallModels(t) {
		var buf bytes.Buffer
		if err := m.WriteARPA(&buf, tokName); err != nil {
			t.Fatal(err)
		}
		text := buf.String()
		m2, words, err := ReadARPA(strings.NewReader(text), "round.arpa", func(s string) { t.Errorf("warning %s", s) })
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		sameModel(t, m, m2)
		for x, w := range words {
			want := m.vocab.SpecialName(autoreg.Token(x))
			if want == "" {
				want = tokName(autoreg.Token(x))
			}
			if w != want {
				t.Fatalf("word %d = %q, want %q", x, w, want)
			}
		}
		if !slicesEqualStr(m2.vocab.Controls, m.vocab.Controls) {
			t.Fatalf("controls %v, want %v", m2.vocab.Controls, m.vocab.Controls)
		}
		// gzip input is detected.
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(text))
		zw.Close()
		m3, _, err := ReadARPA(&gz, "round.arpa.gz", nil)
		if err != nil {
			t.Fatal(err)
		}
		sameModel(t, m, m3)
		// Writing the read model gives the same text.
		var buf2 bytes.Buffer
		m2.WriteARPA(&buf2, func(x autoreg.Token) string { return words[x] })
		if buf2.String() != text {
			t.Fatalf("ARPA text changed on a round trip")
		}
	}
}

func slicesEqualStr(a, b []string) bool {
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

func TestWriteARPABadWords(t *testing.T) {
	m := smallModels(t)[1]
	for _, f := range []func(autoreg.Token) string{
		func(autoreg.Token) string { return "" },
		func(autoreg.Token) string { return "same" },
		func(x autoreg.Token) string { return fmt.Sprintf("a b%d", x) },
		func(x autoreg.Token) string {
			if x == 0 {
				return "<s>"
			}
			return tokName(x)
		},
	} {
		if err := m.WriteARPA(&bytes.Buffer{}, f); err == nil || !strings.HasPrefix(err.Error(), "ngram: ") {
			t.Errorf("bad words accepted: %v", err)
		}
	}
}

const tinyARPA = `\data\
ngram 1=5
ngram 2=3

\1-grams:
-1.0	<unk>	0
-99	<s>	-0.5
-0.5	</s>	0
-0.6	a	-0.2
-0.7	b	-0.1

\2-grams:
-0.3	<s> a
-0.4	a b
-0.2	b </s>

\end\
`

func TestReadARPAGarbage(t *testing.T) {
	for _, c := range []struct {
		text string
		want string
	}{
		{"", "line 1: no \\data\\ header"},
		{"hello\n", "no \\data\\ header"},
		{"\\data\\\n", "unexpected end of file"},
		{"\\data\\\nngram 2=3\n", "line 2: count line for order 2, expected order 1"},
		{"\\data\\\nngram 1=x\n", "line 2: malformed count line"},
		{"\\data\\\nngram 13=1\n", "count line for order 13"},
		{"\\data\\\nngram 1=0\n", "bad n-gram count 0"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "-0.4\ta c", 1), "line 14: word \"c\" is not in the unigram section"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "x\ta b", 1), "line 14: bad log10 probability"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "NaN\ta b", 1), "line 14: bad log10 probability"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "-0.4\ta b\t-0.1", 1), "line 14: backoff given for a 2-gram"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "-0.4\ta", 1), "line 14: 2-gram entry has 2 fields"},
		{strings.Replace(tinyARPA, "-0.4\ta b", "-0.3\t<s> a", 1), "line 14: 2-gram \"<s> a\" repeated"},
		{strings.Replace(tinyARPA, "-0.7\tb", "-0.7\ta", 1), "line 10: unigram \"a\" repeated"},
		{strings.Replace(tinyARPA, "ngram 2=3", "ngram 2=4", 1), "line 16: expected 4 2-grams, found 3"},
		{strings.Replace(tinyARPA, "ngram 2=3", "ngram 2=2", 1), "expected \\end\\ after 2 2-grams"},
		{strings.Replace(tinyARPA, "\\2-grams:", "\\3-grams:", 1), "expected \\2-grams:"},
		{strings.Replace(tinyARPA, "\\end\\\n", "", 1), "unexpected end of file, expected \\end\\"},
		{tinyARPA[:len(tinyARPA)/2], "unexpected end of file in the 1-gram section"},
		{"\\data\\\nngram 1=1\n\n\\1-grams:\n-1\t<s>\n\\end\\\n", "no ordinary words"},
		{"\\data\\\nngram 1=1\n\n\\1-grams:\n-1\t" + strings.Repeat("x", maxARPALine+10) + "\n", "longer than"},
	} {
		_, _, err := ReadARPA(strings.NewReader(c.text), "bad.arpa", nil)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ngram: bad.arpa: line ") {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	// A truncated gzip stream.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(tinyARPA))
	zw.Close()
	if _, _, err := ReadARPA(bytes.NewReader(gz.Bytes()[:gz.Len()/2]), "cut.arpa.gz", nil); err == nil || !strings.HasPrefix(err.Error(), "ngram: cut.arpa.gz: line ") {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestReadARPALenient(t *testing.T) {
	// Comments before \data\, a positive probability, missing <unk>, a
	// missing context and a missing suffix.
	text := `# made by hand
\data\
ngram 1=4
ngram 2=1
ngram 3=1

\1-grams:
-99	<s>	-0.5
-0.5	</s>
0.0001	a	-0.2
-0.7	b	-0.1

\2-grams:
-0.3	<s> a	-0.25

\3-grams:
-0.1	a b </s>

\end\
`
	var warns []string
	m, words, err := ReadARPA(strings.NewReader(text), "odd.arpa", func(s string) { warns = append(warns, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 3 {
		t.Errorf("warnings %q, want positive probability, missing <unk>, completed n-grams", warns)
	}
	if words[m.vocab.UNK()] != "<unk>" || m.uniProb[m.vocab.UNK()] != -100 {
		t.Errorf("<unk> not added: %q %g", words[m.vocab.UNK()], m.uniProb[m.vocab.UNK()])
	}
	// "a b" (context of "a b </s>") and "b </s>" (its suffix) were added with
	// the backed-off probability, so queries are what the file says.
	if got := m.Counts(); !slicesEqual(got, []int{5, 3, 1}) {
		t.Fatalf("counts %v, want [5 3 1]", got)
	}
	a, b := autoreg.Token(0), autoreg.Token(1)
	st := m.NewState().(*State)
	st.Append(a)
	// p(b | a) = b(a) p(b) = 10^(-0.2-0.7)
	if got, want := st.LogProb(b), (-0.2-0.7)*math.Ln10; math.Abs(got-want) > 1e-6 {
		t.Errorf("log p(b|a) = %g, want %g", got, want)
	}
	st.Append(b)
	if got, want := st.LogProb(m.vocab.EOS()), -0.1*math.Ln10; math.Abs(got-want) > 1e-6 {
		t.Errorf("log p(</s>|a b) = %g, want %g", got, want)
	}
	st.Reset()
	st.Append(b)
	// p(</s> | b) = b(b) p(</s>)
	if got, want := st.LogProb(m.vocab.EOS()), (-0.1-0.5)*math.Ln10; math.Abs(got-want) > 1e-6 {
		t.Errorf("log p(</s>|b) = %g, want %g", got, want)
	}
}

func TestBuilderErrors(t *testing.T) {
	voc := autoreg.Vocab{Base: 4}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Order: 0}, "ngram: order 0 out of range [1, 12]"},
		{Options{Order: 100}, "ngram: order 100 out of range [1, 12]"},
		{Options{Order: 3, Prune: []uint64{1}}, "first threshold must be 0"},
		{Options{Order: 3, Prune: []uint64{0, 2, 1}}, "non-decreasing"},
		{Options{Order: 2, Prune: []uint64{0, 1, 1}}, "3 pruning thresholds for a model of order 2"},
		{Options{Order: 3, DiscountFallback: [3]float64{0.5, 2.5, 1}}, "D(2) = 2.5 outside [0, 2]"},
		{Options{Order: 3, DiscountFallback: [3]float64{-1, 1, 1}}, "D(1) = -1 outside"},
	} {
		if _, err := NewBuilder(voc, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := NewBuilder(autoreg.Vocab{}, Options{Order: 2}); err == nil || !strings.HasPrefix(err.Error(), "ngram: ") {
		t.Errorf("empty vocabulary: %v", err)
	}
	b, _ := NewBuilder(voc, Options{Order: 3})
	if err := b.Add([]autoreg.Token{0, 1, 9}); err == nil || !strings.Contains(err.Error(), "token 9 at position 2") {
		t.Errorf("bad token: %v", err)
	}
	if err := b.Add([]autoreg.Token{-1}); err == nil {
		t.Errorf("negative token accepted")
	}
	if _, err := b.Build(t.Context()); err == nil || !strings.Contains(err.Error(), "empty corpus") {
		t.Errorf("empty corpus: %v", err)
	}
	if _, err := b.Build(t.Context()); err == nil {
		t.Errorf("second Build accepted")
	}
	b, _ = NewBuilder(voc, Options{Order: 3})
	b.Add([]autoreg.Token{voc.BOS(), voc.BOS()})
	if _, err := b.Build(t.Context()); err == nil || !strings.Contains(err.Error(), "empty corpus") {
		t.Errorf("only <s>: %v", err)
	}
	// A single token still gives a model (with fallback discounts).
	var warns []string
	b, _ = NewBuilder(voc, Options{Order: 3, Warn: func(s string) { warns = append(warns, s) }})
	b.Add([]autoreg.Token{1})
	m, err := b.Build(t.Context())
	if err != nil || len(warns) != 3 {
		t.Fatalf("one token: %v, warnings %q", err, warns)
	}
	conformance(t, m, payloadRoundTrip)
	// Progress reports phases.
	var phases []string
	b, _ = NewBuilder(voc, Options{Order: 3, Progress: func(s string) { phases = append(phases, s) }})
	b.Add([]autoreg.Token{1, 2, 3, 1, 2, voc.EOS()})
	if _, err := b.Build(t.Context()); err != nil || len(phases) != 3 {
		t.Errorf("progress %q, %v", phases, err)
	}
	// Cancellation.
	b, _ = NewBuilder(voc, Options{Order: 3})
	b.Add([]autoreg.Token{1, 2, 3})
	ctx, cancel := contextWithCancel(t)
	cancel()
	if _, err := b.Build(ctx); err == nil {
		t.Errorf("cancelled Build succeeded")
	}
}
