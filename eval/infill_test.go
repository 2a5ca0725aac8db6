package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/tokenize"
)

func TestLineSpans(t *testing.T) {
	docs := [][]byte{[]byte("func f() {\n\tx := 1\n\ty := 2\n\n\treturn x\n}\n"), []byte("no indented lines\nhere\n")}
	spans := LineSpans(docs, 50, 7)
	if len(spans) != 50 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		mid := s.Text[s.Start:s.End]
		if !bytes.Equal(s.Text, docs[0]) || mid[len(mid)-1] != '\n' || (s.Start > 0 && s.Text[s.Start-1] != '\n') {
			t.Fatalf("span %q", mid)
		}
		for _, l := range bytes.SplitAfter(mid, []byte("\n")) {
			if len(l) > 0 && (l[0] != '\t' || len(bytes.TrimSpace(l)) == 0) {
				t.Fatalf("span %q holds a line that is not indented", mid)
			}
		}
	}
	if again := LineSpans(docs, 50, 7); again[3].Start != spans[3].Start {
		t.Fatal("not determined by the seed")
	}
}

// TestInfill: a FIM model's span NLL is its log-probability of the middle
// and its end after <PRE> <SUF> suffix </s> <MID> <s> prefix (SPM) or
// <PRE> <s> prefix <SUF> suffix </s> <MID> (PSM); a left-to-right model's,
// of the middle after <s> prefix.
func TestInfill(t *testing.T) {
	tok, _ := tokenize.NewChar([]rune("abcdef\n\t"))
	ftok, _ := tokenize.WithControls(tok, fim.Tags)
	text := []byte("ab\n\tcd\n\te\nf\n")
	sp := Span{Text: text, Start: 3, End: 7} // "\tcd\n"
	enc := func(tk tokenize.Tokenizer, s string) []autoreg.Token {
		e := tk.NewEncoder()
		ids, _ := e.Encode(nil, []byte(s))
		ids, _ = e.Flush(ids)
		return ids
	}
	for _, c := range []struct {
		withFIM bool
		order   fim.Order
	}{{false, fim.SPM}, {true, fim.SPM}, {true, fim.PSM}} {
		withFIM, order := c.withFIM, c.order
		var tk tokenize.Tokenizer = tok
		if withFIM {
			tk = ftok
		}
		v := tk.Vocab()
		m, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 64}, v, 2)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Infill(context.Background(), m, tk, []Span{sp}, InfillOptions{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		st := m.NewState()
		mid := enc(tk, "\tcd\n")
		if withFIM {
			s, _ := fim.Lookup(v)
			st.Append(s.Condition(append([]autoreg.Token{v.BOS()}, enc(tk, "ab\n")...), append(enc(tk, "\te\nf\n"), v.EOS()), order)...)
			mid = append(mid, s.End)
		} else {
			st.Append(append([]autoreg.Token{v.BOS()}, enc(tk, "ab\n")...)...)
		}
		var want float64
		for i, x := range mid {
			lp := st.LogProb(x)
			if withFIM && i == len(mid)-1 { // the middle ends at <END> or </s>
				lp = math.Log(math.Exp(lp) + math.Exp(st.LogProb(v.EOS())))
			}
			want -= lp
			st.Append(x)
		}
		if res.FIM != withFIM || res.Spans != 1 || res.Tokens != int64(len(mid)) || res.Chars != 4 || math.Abs(res.NLL-want) > 1e-4 {
			t.Fatalf("FIM %v: %+v, want NLL %v over %d tokens", withFIM, res, want, len(mid))
		}
	}
}

func FuzzReadSpans(f *testing.F) {
	f.Add("a.go\t1\t3\n\nb.go\t0\t0\n")
	f.Add("a.go\t3\t1\nx")
	docs := map[string][]byte{"a.go": []byte("func f() {}\n"), "b.go": nil}
	f.Fuzz(func(t *testing.T, text string) {
		spans, err := ReadSpans(strings.NewReader(text), "spans", func(p string) ([]byte, error) {
			d, ok := docs[p]
			if !ok {
				return nil, fmt.Errorf("no file %q", p)
			}
			return d, nil
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "eval: spans: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, s := range spans {
			if s.Start < 0 || s.Start > s.End || s.End > len(s.Text) {
				t.Fatalf("span %d..%d of %d bytes", s.Start, s.End, len(s.Text))
			}
		}
	})
}
