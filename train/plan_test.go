package train

import (
	"testing"

	"github.com/autoreg/autoreg"
)

// An epoch's plan visits every sequence once, in batches of similar
// lengths, and depends only on the seed and the epoch.
func TestPlanSentences(t *testing.T) {
	v := ctlVocab
	var toks []autoreg.Token
	for i := range 1000 {
		toks = append(toks, v.BOS())
		for range 1 + (i*7)%23 {
			toks = append(toks, 1)
		}
		toks = append(toks, v.EOS())
	}
	spans, err := sentenceSpans(toks, v.BOS(), 24, "test")
	if err != nil || len(spans) != 1000 {
		t.Fatalf("%d spans, %v", len(spans), err)
	}
	B := 8
	p := planSentences(spans, B, 3, 0)
	seen := make([]bool, len(spans))
	var pad, real int
	for _, b := range p {
		if len(b) > B {
			t.Fatalf("a batch of %d", len(b))
		}
		T := 0
		for _, i := range b {
			T = max(T, spans[i].targets())
		}
		for _, i := range b {
			if seen[i] {
				t.Fatalf("sequence %d twice", i)
			}
			seen[i] = true
			pad += T - spans[i].targets()
			real += spans[i].targets()
		}
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("sequence %d never drawn", i)
		}
	}
	if pad*20 > real {
		t.Errorf("%d padded positions for %d targets: batches not bucketed by length", pad, real)
	}
	q, r := planSentences(spans, B, 3, 0), planSentences(spans, B, 3, 1)
	same := true
	for i := range p {
		if p[i][0] != q[i][0] {
			t.Fatal("the same seed and epoch, another plan")
		}
		same = same && p[i][0] == r[i][0]
	}
	if same {
		t.Fatal("two epochs, one plan")
	}
	if _, err := sentenceSpans(toks[1:], v.BOS(), 24, "test"); err == nil {
		t.Fatal("a stream without a leading <s> accepted")
	}
}
