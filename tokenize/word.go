package tokenize

import (
	"cmp"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
)

// Word is the word tokenizer: text is split at white space (Unicode white
// space; bytes that are not valid UTF-8 belong to words), and each word of
// the vocabulary is one token; any other word is UNK. White space itself is
// not kept, so text round-trips only up to spacing.
//
// A corpus word spelled like a special ("<unk>" in the Penn Treebank) is an
// ordinary word; its name in ARPA files is escaped (\<unk>).
type Word struct {
	words    []string
	index    map[string]int32
	controls []string
}

// MaxWordLen caps the length of one word in bytes; longer runs of
// non-space bytes are split into pieces of this size.
const MaxWordLen = 1 << 12

// NewWord returns a word tokenizer whose ids follow the order of words.
// Words must be non-empty, unique and free of white space.
func NewWord(words []string) (*Word, error) {
	if len(words) == 0 {
		return nil, fmt.Errorf("tokenize: word tokenizer needs at least one word")
	}
	w := &Word{words: slices.Clone(words), index: make(map[string]int32, len(words))}
	for i, s := range words {
		if s == "" || len(s) > MaxWordLen || hasSpace(s) {
			return nil, fmt.Errorf("tokenize: vocabulary word %d (%q) is empty, too long or contains white space", i, s)
		}
		if _, dup := w.index[s]; dup {
			return nil, fmt.Errorf("tokenize: vocabulary word %q repeated", s)
		}
		w.index[s] = int32(i)
	}
	return w, nil
}

func hasSpace(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSpace(r, size) {
			return true
		}
		i += size
	}
	return false
}

func isSpace(r rune, size int) bool {
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	return unicode.IsSpace(r)
}

// Kind returns KindWord.
func (*Word) Kind() string { return KindWord }

// Vocab has one ordinary token per vocabulary word.
func (w *Word) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: len(w.words), Controls: w.controls} }

// Words returns the vocabulary in id order.
func (w *Word) Words() []string { return slices.Clone(w.words) }

// ID returns the token of word s, or false if s is not in the vocabulary.
func (w *Word) ID(s string) (autoreg.Token, bool) {
	id, ok := w.index[s]
	return autoreg.Token(id), ok
}

// AppendText appends a space and the word of t.
func (w *Word) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && int(t) < len(w.words) {
		dst = append(dst, ' ')
		dst = append(dst, w.words[t]...)
	}
	return dst
}

// Word returns the escaped word.
func (w *Word) Word(t autoreg.Token) string {
	if s, ok := specialWord(w.Vocab(), t); ok {
		return s
	}
	if t < 0 || int(t) >= len(w.words) {
		return ""
	}
	return EscapeWord(w.words[t])
}

// Lookup inverts Word.
func (w *Word) Lookup(word string) (autoreg.Token, bool) {
	if t, ok := lookupSpecial(w.Vocab(), word); ok {
		return t, true
	}
	s, ok := UnescapeWord(word)
	if !ok {
		return 0, false
	}
	return w.ID(s)
}

// NewEncoder returns a streaming word encoder.
func (w *Word) NewEncoder() Encoder { return &wordEncoder{w: w} }

// splitter finds the words of a stream, holding back a word that may
// continue in the next piece. It is shared by the encoder and the vocabulary
// builder. The slices passed to fn are only valid during the call.
type splitter struct {
	held []byte
}

// split calls fn for each complete word of the held bytes followed by text.
// Unless final, a word touching the end of text is held back, and so is an
// incomplete UTF-8 sequence (it may turn out to be white space).
func (s *splitter) split(text []byte, final bool, fn func(word []byte)) {
	data := text
	if len(s.held) > 0 {
		s.held = append(s.held, text...)
		data = s.held
	}
	i, start := 0, -1
	for i < len(data) {
		r, size := rune(data[i]), 1
		if r >= utf8.RuneSelf {
			if !final && !utf8.FullRune(data[i:]) {
				break
			}
			r, size = utf8.DecodeRune(data[i:])
		}
		if isSpace(r, size) {
			if start >= 0 {
				fn(data[start:i])
				start = -1
			}
		} else {
			if start < 0 {
				start = i
			} else if i+size-start > MaxWordLen {
				fn(data[start:i])
				start = i
			}
		}
		i += size
	}
	if start < 0 {
		start = i
	}
	if final && start < len(data) {
		fn(data[start:])
		start = len(data)
	}
	// copy handles the overlap when data is s.held itself.
	rest := data[start:]
	if cap(s.held) < len(rest) {
		s.held = make([]byte, 0, max(len(rest), 64))
	}
	s.held = s.held[:copy(s.held[:len(rest)], rest)]
}

type wordEncoder struct {
	w       *Word
	sp      splitter
	unknown int64
	dst     []autoreg.Token
}

func (e *wordEncoder) add(word []byte) {
	if id, ok := e.w.index[string(word)]; ok {
		e.dst = append(e.dst, autoreg.Token(id))
		return
	}
	e.unknown++
	e.dst = append(e.dst, e.w.Vocab().UNK())
}

func (e *wordEncoder) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	e.dst = dst
	e.sp.split(text, false, e.add)
	dst, e.dst = e.dst, nil
	return dst, nil
}

func (e *wordEncoder) Flush(dst []autoreg.Token) ([]autoreg.Token, error) {
	e.dst = dst
	e.sp.split(nil, true, e.add)
	dst, e.dst = e.dst, nil
	return dst, nil
}

func (e *wordEncoder) Unknown() int64 { return e.unknown }

// WordBuilder counts the words of training text for a vocabulary.
type WordBuilder struct {
	sp     splitter
	counts map[string]int64
}

// NewWordBuilder returns an empty builder.
func NewWordBuilder() *WordBuilder { return &WordBuilder{counts: make(map[string]int64)} }

func (b *WordBuilder) add(word []byte) { b.counts[string(word)]++ }

// Add scans the next piece of text.
func (b *WordBuilder) Add(text []byte) { b.sp.split(text, false, b.add) }

// Flush ends one text.
func (b *WordBuilder) Flush() { b.sp.split(nil, true, b.add) }

// Distinct is the number of distinct words seen so far.
func (b *WordBuilder) Distinct() int { return len(b.counts) }

// Build returns a tokenizer over the words seen at least minCount times,
// the maxSize most frequent ones if maxSize > 0, most frequent first (ties in
// byte order).
func (b *WordBuilder) Build(maxSize int, minCount int64) (*Word, error) {
	type wc struct {
		w string
		c int64
	}
	list := make([]wc, 0, len(b.counts))
	for w, c := range b.counts {
		if c >= minCount {
			list = append(list, wc{w, c})
		}
	}
	slices.SortFunc(list, func(a, b wc) int {
		if a.c != b.c {
			return cmp.Compare(b.c, a.c)
		}
		return cmp.Compare(a.w, b.w)
	})
	if maxSize > 0 && len(list) > maxSize {
		list = list[:maxSize]
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("tokenize: no word occurs at least %d times in the training text", minCount)
	}
	words := make([]string, len(list))
	for i, x := range list {
		words[i] = x.w
	}
	return NewWord(words)
}
