package modeltest

import (
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
)

// pairTok is a toy tokenizer for testing the suite: ordinary tokens "a",
// "b" and "ab" (matched greedily), anything else <unk>. bug names a
// violation to build in ("" for none).
type pairTok struct{ bug string }

var pairWords = []string{"a", "b", "ab"}

func (p pairTok) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: 3, Controls: []string{"x"}} }
func (p pairTok) NewEncoder() *pairEnc { return &pairEnc{bug: p.bug} }
func (p pairTok) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && t < 3 {
		return append(dst, pairWords[t]...)
	}
	return dst
}
func (p pairTok) Word(t autoreg.Token) string {
	v := p.Vocab()
	if v.IsSpecial(t) {
		return v.SpecialName(t)
	}
	if p.bug == "names" {
		return "a"
	}
	return pairWords[t]
}
func (p pairTok) Lookup(w string) (autoreg.Token, bool) {
	for i, x := range pairWords {
		if x == w {
			return autoreg.Token(i), true
		}
	}
	v := p.Vocab()
	for t := autoreg.Token(v.Base); int(t) < v.Size(); t++ {
		if v.SpecialName(t) == w {
			return t, true
		}
	}
	return 0, false
}

type pairEnc struct {
	bug     string
	held    bool // an "a" at the end of the last piece
	unknown int64
}

func (e *pairEnc) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	for _, c := range text {
		if e.held {
			e.held = false
			if c == 'b' {
				dst = append(dst, 2)
				continue
			}
			dst = append(dst, 0)
		}
		switch c {
		case 'a':
			e.held = true
		case 'b':
			dst = append(dst, 1)
		default:
			dst = append(dst, 5)
			if e.bug != "unknown" {
				e.unknown++
			}
			if e.bug == "ids" {
				dst = append(dst, 3)
			}
		}
	}
	if e.bug == "stream" && e.held {
		e.held = false
		dst = append(dst, 0)
	}
	return dst, nil
}

func (e *pairEnc) Flush(dst []autoreg.Token) ([]autoreg.Token, error) {
	if e.held {
		e.held = false
		dst = append(dst, 0)
	}
	return dst, nil
}

func (e *pairEnc) Unknown() int64 { return e.unknown }

func TestPairTokenizer(t *testing.T) {
	TestTokenizer(t, pairTok{}, TokenizerOptions[*pairEnc]{
		Texts:    [][]byte{[]byte("abba"), []byte("aab"), []byte("a?b")},
		Lossless: true,
	})
}

// TestTokenizerCatches: each violation built into the toy tokenizer fails
// the check meant to catch it.
func TestTokenizerCatches(t *testing.T) {
	for bug, check := range map[string]func(Tokenizer[*pairEnc], *TokenizerOptions[*pairEnc]) error{
		"names":   checkTokenNames[*pairEnc],
		"unknown": checkTokenIDs[*pairEnc],
		"ids":     checkTokenIDs[*pairEnc],
		"stream":  checkTokenStream[*pairEnc],
	} {
		o := &TokenizerOptions[*pairEnc]{Texts: [][]byte{[]byte(strings.Repeat("abaab?", 5))}}
		err := check(pairTok{bug}, o)
		if err == nil {
			t.Errorf("bug %q passed", bug)
		}
		t.Logf("bug %q: %v", bug, err)
	}
}
