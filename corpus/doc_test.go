package corpus

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/tokenize"
)

// Text and reader documents read exactly as a file with the same bytes.
func TestTextAndReaderDocs(t *testing.T) {
	const text = "ab\nc\xc3\xa9\n"
	p := write(t, t.TempDir(), "f.txt", text)
	files, _ := Files([]string{p}, Options{})
	tok, _ := tokenize.NewChar([]rune("abcé\n"))
	for _, mode := range []Mode{Stream, Lines} {
		want, wst := collect(t, files, tok, mode)
		for _, d := range []Doc{TextDoc("text", text), ReaderDoc("reader", strings.NewReader(text))} {
			got, st := collect(t, []Doc{d}, tok, mode)
			if !slices.Equal(got, want) || st != wst {
				t.Errorf("%s, %s: %v %+v, want %v %+v", d.Name, mode, got, st, want, wst)
			}
		}
	}
	// Errors name the document.
	_, _, err := Load(context.Background(), []Doc{TextDoc("bad text", "ab\xff")}, tok, TokenOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "corpus: bad text: byte 2: invalid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

// A reader gives its bytes once; Spool makes it readable again under its
// own name.
func TestReaderDocOnce(t *testing.T) {
	ctx := context.Background()
	tok := tokenize.NewByte()
	r := ReaderDoc("pipe", strings.NewReader("xyz"))
	docs := []Doc{TextDoc("t", "ab"), r, r}
	if _, _, err := Load(ctx, docs, tok, TokenOptions{}); err == nil || !strings.Contains(err.Error(), "corpus: pipe: already read") {
		t.Fatalf("second read of a reader: %v", err)
	}
	r = ReaderDoc("pipe", strings.NewReader("xyz"))
	docs = []Doc{TextDoc("t", "ab"), r, r}
	spooled, cleanup, err := Spool(docs, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if spooled[0].src == nil || spooled[1].Path == "" || spooled[1] != spooled[2] || spooled[1].Name != "pipe" || spooled[1].Size != 3 {
		t.Fatalf("spooled %+v", spooled)
	}
	for range 2 {
		toks, st, err := Load(ctx, spooled, tok, TokenOptions{})
		if err != nil || st.Bytes != 8 || len(toks) != 3*2+8 {
			t.Fatalf("spooled read: %v, %+v, %d tokens", err, st, len(toks))
		}
	}
	cleanup()
	if _, err := os.Stat(spooled[1].Path); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", spooled[1].Path)
	}
}

// A glob rule tags a text document by its name; parent-dir cannot.
func TestControlOnTextDocs(t *testing.T) {
	ctx := context.Background()
	docs := []Doc{TextDoc("a_test.go", "ab"), TextDoc("a.go", "ba")}
	glob, _ := ParseControl("glob:*_test.go=test")
	tok, err := LearnTokenizer(ctx, docs, TokenizerOptions{Kind: tokenize.KindChar, Control: glob})
	if err != nil || !slices.Equal(tok.Vocab().Controls, []string{"test"}) {
		t.Fatalf("learned %v, %v", tok, err)
	}
	toks, _, err := Load(ctx, docs, tok, TokenOptions{Control: glob})
	v := tok.Vocab()
	test, _ := v.Control("test")
	if err != nil || toks[1] != test || toks[5] == test {
		t.Fatalf("tokens %v, %v", toks, err)
	}
	pd, _ := ParseControl("parent-dir")
	if _, err := LearnTokenizer(ctx, docs, TokenizerOptions{Kind: tokenize.KindChar, Control: pd}); err == nil || !strings.Contains(err.Error(), "no training example has a tag") {
		t.Fatalf("parent-dir on text: %v", err)
	}
}

func TestSplit(t *testing.T) {
	toks := make([]autoreg.Token, 102) // BOS, 100 tokens, EOS
	for i := range toks {
		toks[i] = autoreg.Token(i)
	}
	tr, va, err := Split(toks, 0.1)
	if err != nil || len(tr) != 91 || len(va) != 11 || va[0] != 91 || va[10] != 101 {
		t.Fatalf("split: %d + %d (%v), %v", len(tr), len(va), va, err)
	}
	va[0] = -1
	if toks[91] != 91 {
		t.Fatal("the held-out part shares memory with the input")
	}
	if tr, va, err := Split(toks, 0); err != nil || len(tr) != len(toks) || va != nil {
		t.Fatalf("frac 0: %d, %v, %v", len(tr), va, err)
	}
	for _, bad := range []float64{-0.1, 1, 2} {
		if _, _, err := Split(toks, bad); err == nil {
			t.Errorf("Split(%g) accepted", bad)
		}
	}
	for n := range 3 {
		if _, _, err := Split(toks[:n], 0.5); err != nil {
			t.Errorf("%d tokens: %v", n, err)
		}
	}
}
