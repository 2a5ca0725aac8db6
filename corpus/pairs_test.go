package corpus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/tokenize"
)

func writePairs(t testing.TB, text string) []Doc {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pairs.tsv")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return []Doc{{Path: p, Size: int64(len(text))}}
}

func TestReadPairs(t *testing.T) {
	docs := writePairs(t, "HELLO\tHH AH0 L OW1\r\n\nA\tAH0\tx\nWORLD\tW ER1 L D")
	ps, st, err := ReadPairs(context.Background(), docs, PairOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []TextPair{{"HELLO", "HH AH0 L OW1"}, {"A", "AH0\tx"}, {"WORLD", "W ER1 L D"}}
	if len(ps) != len(want) {
		t.Fatalf("pairs %q", ps)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Fatalf("pair %d: %q, want %q", i, ps[i], want[i])
		}
	}
	if st.Lines != 4 || st.Pairs != 3 || st.Skipped() != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReadPairsBad(t *testing.T) {
	text := "ok\tfine\nnotab\n\tempty\nsrc\t \n" + strings.Repeat("x", 100) + "\tlong\n\xff\tbad\nlast\tone\n"
	docs := writePairs(t, text)
	opts := PairOptions{MaxLineBytes: 50}
	_, _, err := ReadPairs(context.Background(), docs, opts)
	var pe *PairError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(err.Error(), "no tab") || !strings.Contains(err.Error(), "pairs.tsv") {
		t.Fatalf("error %v, want one naming the file and line 2", err)
	}
	opts.SkipBad = true
	ps, st, err := ReadPairs(context.Background(), docs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || st.NoTab != 1 || st.Empty != 2 || st.TooLong != 1 || st.BadUTF8 != 1 || st.Skipped() != 5 {
		t.Fatalf("pairs %q, stats %+v", ps, st)
	}
}

func TestEncodePairs(t *testing.T) {
	ps := []TextPair{{"AB", "x y"}, {"ABBA", "y y x"}, {"C", "z"}}
	src, tgt, err := LearnPairTokenizers(ps, TokenizerOptions{Kind: tokenize.KindChar}, TokenizerOptions{Kind: tokenize.KindWord})
	if err != nil {
		t.Fatal(err)
	}
	if src.Vocab().Base != 3 || tgt.Vocab().Base != 3 {
		t.Fatalf("vocabularies %d, %d", src.Vocab().Base, tgt.Vocab().Base)
	}
	st := PairStats{Pairs: 3}
	enc, err := EncodePairs(ps, src, tgt, "t", PairOptions{}, &st)
	if err != nil || len(enc) != 3 || len(enc[1].Src) != 4 || len(enc[1].Tgt) != 3 {
		t.Fatalf("%v %v", enc, err)
	}
	if _, err := EncodePairs(ps, src, tgt, "t", PairOptions{MaxSrc: 3}, &st); err == nil || !strings.Contains(err.Error(), "pair 2") {
		t.Fatalf("over-long pair: %v", err)
	}
	enc, err = EncodePairs(ps, src, tgt, "t", PairOptions{MaxSrc: 3, SkipBad: true}, &st)
	if err != nil || len(enc) != 2 || st.TooManyTokens != 1 || st.Pairs != 2 {
		t.Fatalf("%v %v %+v", enc, err, st)
	}
	shared, err := LearnSharedTokenizer(ps, TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil || shared.Vocab().Base != 7 { // A B C x y z space
		t.Fatalf("shared: %v %v", shared.Vocab(), err)
	}
}

func FuzzReadPairs(f *testing.F) {
	f.Add([]byte("a\tb\nc\td\r\n"), false)
	f.Add([]byte("x\n\t\n\xff\t\x00"), true)
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		p := filepath.Join(t.TempDir(), "f.tsv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ps, st, err := ReadPairs(context.Background(), []Doc{{Path: p}}, PairOptions{SkipBad: skip, MaxLineBytes: 64})
		if err != nil {
			var pe *PairError
			if skip || !errors.As(err, &pe) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if int64(len(ps)) != st.Pairs {
			t.Fatalf("%d pairs, stats %+v", len(ps), st)
		}
		for _, q := range ps {
			if strings.TrimSpace(q.Src) == "" || strings.TrimSpace(q.Tgt) == "" || strings.Contains(q.Src, "\t") {
				t.Fatalf("bad pair %q", q)
			}
		}
	})
}
