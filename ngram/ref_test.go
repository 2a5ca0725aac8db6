package ngram

import (
	"context"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/autoreg/autoreg"
)

// ptb loads the PTB split as the README describes: every line a sentence,
// PTB's literal <unk> an ordinary word. The result is shared between tests:
// callers must not modify it.
func ptb(t testing.TB) (v *wordVocab, train, valid, test [][]string) {
	sharedFile(t, "ptb/ptb.train.txt") // skips or fails when missing
	ptbData.once.Do(func() {
		d := &ptbData
		d.train = readLines(t, sharedFile(t, "ptb/ptb.train.txt"))
		d.valid = readLines(t, sharedFile(t, "ptb/ptb.valid.txt"))
		d.test = readLines(t, sharedFile(t, "ptb/ptb.test.txt"))
		d.v = newWordVocab()
		for _, l := range d.train {
			for _, w := range l {
				d.v.add(w)
			}
		}
	})
	d := &ptbData
	return d.v, d.train, d.valid, d.test
}

var ptbData struct {
	once               sync.Once
	v                  *wordVocab
	train, valid, test [][]string
	models             sync.Map // order -> *Model, unpruned
}

// ptbModel returns the shared unpruned PTB model of an order.
func ptbModel(t testing.TB, order int) *Model {
	v, train, _, _ := ptb(t)
	if m, ok := ptbData.models.Load(order); ok {
		return m.(*Model)
	}
	m := buildPTB(t, v, train, Options{Order: order})
	ptbData.models.Store(order, m)
	return m
}

func buildPTB(t testing.TB, v *wordVocab, train [][]string, opts Options) *Model {
	t.Helper()
	b, err := NewBuilder(v.vocab(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(linesStream(v, train)); err != nil {
		t.Fatal(err)
	}
	m, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPTBPerplexity(t *testing.T) {
	v, train, valid, test := ptb(t)
	for _, c := range []struct {
		order       int
		test, valid float64
	}{{3, 148.28, 157.77}, {5, 141.19, 148.01}} {
		var warns []string
		m := buildPTB(t, v, train, Options{Order: c.order, Warn: func(s string) { warns = append(warns, s) }})
		if len(warns) > 0 {
			t.Errorf("order %d: unexpected warnings %q", c.order, warns)
		}
		ptbData.models.Store(c.order, m)
		lp, n := scoreLines(m, v, test)
		if n != 82430 {
			t.Errorf("test tokens = %d, want 82430", n)
		}
		ppl := math.Exp(-lp / float64(n))
		lpv, nv := scoreLines(m, v, valid)
		pplv := math.Exp(-lpv / float64(nv))
		t.Logf("order %d: test PPL %.3f (KenLM %.2f), valid PPL %.3f (KenLM %.2f), n-grams %v, discounts %v",
			c.order, ppl, c.test, pplv, c.valid, m.Counts(), m.Discounts())
		if math.Abs(ppl-c.test) > 0.05 {
			t.Errorf("order %d: test PPL %.3f, want %.2f ± 0.05", c.order, ppl, c.test)
		}
		if math.Abs(pplv-c.valid) > 0.05 {
			t.Errorf("order %d: valid PPL %.3f, want %.2f ± 0.05", c.order, pplv, c.valid)
		}
	}
}

// shakespeare returns the char vocabulary (65 chars, in order of first
// appearance), the training stream <s> train </s> and the validation tokens.
func shakespeare(t testing.TB) (chars []byte, voc autoreg.Vocab, train, valid []autoreg.Token) {
	data, err := os.ReadFile(sharedFile(t, "tinyshakespeare/input.txt"))
	if err != nil {
		t.Fatal(err)
	}
	k := int(0.9 * float64(len(data)))
	id := make(map[byte]autoreg.Token)
	for _, c := range data[:k] {
		if _, ok := id[c]; !ok {
			id[c] = autoreg.Token(len(chars))
			chars = append(chars, c)
		}
	}
	voc = autoreg.Vocab{Base: len(chars)}
	train = append(train, voc.BOS())
	for _, c := range data[:k] {
		train = append(train, id[c])
	}
	train = append(train, voc.EOS())
	for _, c := range data[k:] {
		x, ok := id[c]
		if !ok {
			x = voc.UNK()
		}
		valid = append(valid, x)
	}
	return
}

func TestShakespeareBitsPerChar(t *testing.T) {
	chars, voc, train, valid := shakespeare(t)
	if len(chars) != 65 || len(valid) != 111540 {
		t.Fatalf("%d chars, %d validation tokens; want 65, 111540", len(chars), len(valid))
	}
	for _, c := range []struct {
		order int
		bpc   float64
	}{{3, 2.940}, {5, 2.252}, {8, 2.192}} {
		var warns []string
		b, err := NewBuilder(voc, Options{Order: c.order, Warn: func(s string) { warns = append(warns, s) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(train); err != nil {
			t.Fatal(err)
		}
		m, err := b.Build(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st := m.NewState()
		var lp float64
		for _, x := range valid {
			lp += st.LogProb(x)
			st.Append(x)
		}
		bpc := -lp / math.Ln2 / float64(len(valid))
		t.Logf("order %d: %.4f bits/char (KenLM %.3f), warnings %q, discounts %v", c.order, bpc, c.bpc, warns, m.Discounts())
		if math.Abs(bpc-c.bpc) > 0.003 {
			t.Errorf("order %d: %.4f bits/char, want %.3f ± 0.003", c.order, bpc, c.bpc)
		}
		// Only the unigram discounts need the fallback.
		if len(warns) != 1 {
			t.Errorf("order %d: warnings %q, want exactly the unigram fallback", c.order, warns)
		}
	}
}
