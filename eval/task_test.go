package eval

import (
	"fmt"
	"math"
	"testing"

	"github.com/autoreg/autoreg"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0}, {"ab", "ba", 2}} {
		if d := EditDistance([]byte(c.a), []byte(c.b)); d != c.d {
			t.Fatalf("%q, %q: %d, want %d", c.a, c.b, d, c.d)
		}
		if d := EditDistance([]byte(c.b), []byte(c.a)); d != c.d {
			t.Fatalf("%q, %q: not symmetric", c.b, c.a)
		}
	}
}

func TestTaskResult(t *testing.T) {
	var r TaskResult
	// Right against the second of two references.
	r.Add([]autoreg.Token{1, 2, 3}, "a b c", [][]autoreg.Token{{1, 2}, {1, 2, 3}}, []string{"a b", "a b c"})
	// One substitution against a 4-token reference.
	r.Add([]autoreg.Token{1, 9, 3, 4}, "a z c d", [][]autoreg.Token{{1, 2, 3, 4}}, []string{"a b c d"})
	if r.Inputs != 2 || r.Errors != 1 || r.ErrorRate() != 0.5 {
		t.Fatalf("%+v", r)
	}
	if want := 1.0 / 7; math.Abs(r.TokenErrorRate()-want) > 1e-12 {
		t.Fatalf("token error rate %v, want %v", r.TokenErrorRate(), want)
	}
	var p TaskResult
	p.Add(nil, "the cat", nil, []string{"the cat"})
	if p.ChrF() != 100 {
		t.Fatalf("identical texts: chrF %v", p.ChrF())
	}
	var q TaskResult
	q.Add(nil, "xyz", nil, []string{"the cat"})
	if q.ChrF() != 0 {
		t.Fatalf("disjoint texts: chrF %v", q.ChrF())
	}
	// "ab" against "abc": unigram P 1, R 2/3; bigram P 1, R 1/2;
	// trigram: no output n-grams, R 0.
	var s TaskResult
	s.Add(nil, "ab", nil, []string{"abc"})
	P, R := 1.0, (2.0/3+0.5+0)/3
	if want := 100 * 5 * P * R / (4*P + R); math.Abs(s.ChrF()-want) > 1e-9 {
		t.Fatalf("chrF %v, want %v", s.ChrF(), want)
	}
}

// Two words against their pronunciations: the first matches the second
// of its two references, the second has one phoneme wrong.
func ExampleTaskResult() {
	var r TaskResult
	r.Add([]autoreg.Token{1, 2, 3}, "T AH M", [][]autoreg.Token{{1, 4, 3}, {1, 2, 3}}, []string{"T AA M", "T AH M"})
	r.Add([]autoreg.Token{5, 6}, "B IY", [][]autoreg.Token{{5, 7}}, []string{"B EY"})
	fmt.Printf("WER %.0f%%, PER %.0f%%, chrF %.1f\n", 100*r.ErrorRate(), 100*r.TokenErrorRate(), r.ChrF())
	// Output: WER 50%, PER 20%, chrF 78.1
}
