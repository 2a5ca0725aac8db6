package tokenize

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
)

// Char is the character tokenizer: each Unicode character seen in training is
// one token, numbered in code-point order; any other character is UNK. Text
// must be valid UTF-8. Text made only of known characters round-trips exactly.
type Char struct {
	runes    []rune // id → character, ascending
	ascii    [128]int32
	index    map[rune]int32 // non-ASCII characters
	controls []string
}

// NewChar returns a character tokenizer over the given characters (any
// order; duplicates are ignored). It fails on an empty set or a character
// that is not a valid Unicode scalar value.
func NewChar(chars []rune) (*Char, error) {
	rs := slices.Clone(chars)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	if len(rs) == 0 {
		return nil, fmt.Errorf("tokenize: char tokenizer needs at least one character")
	}
	c := &Char{runes: rs, index: make(map[rune]int32)}
	for i := range c.ascii {
		c.ascii[i] = -1
	}
	for i, r := range rs {
		if !utf8.ValidRune(r) {
			return nil, fmt.Errorf("tokenize: %U is not a valid character", r)
		}
		if r < 128 {
			c.ascii[r] = int32(i)
		} else {
			c.index[r] = int32(i)
		}
	}
	return c, nil
}

// Kind returns KindChar.
func (*Char) Kind() string { return KindChar }

// Vocab has one ordinary token per known character.
func (c *Char) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: len(c.runes), Controls: c.controls} }

// Runes returns the known characters in id order.
func (c *Char) Runes() []rune { return slices.Clone(c.runes) }

// ID returns the token of r, or false if r is unknown.
func (c *Char) ID(r rune) (autoreg.Token, bool) {
	if r >= 0 && r < 128 {
		id := c.ascii[r]
		return autoreg.Token(id), id >= 0
	}
	id, ok := c.index[r]
	return autoreg.Token(id), ok
}

// AppendText appends the UTF-8 encoding of t's character.
func (c *Char) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && int(t) < len(c.runes) {
		dst = utf8.AppendRune(dst, c.runes[t])
	}
	return dst
}

// Word returns the escaped character.
func (c *Char) Word(t autoreg.Token) string {
	if w, ok := specialWord(c.Vocab(), t); ok {
		return w
	}
	if t < 0 || int(t) >= len(c.runes) {
		return ""
	}
	return EscapeWord(string(c.runes[t]))
}

// Lookup inverts Word.
func (c *Char) Lookup(word string) (autoreg.Token, bool) {
	if t, ok := lookupSpecial(c.Vocab(), word); ok {
		return t, true
	}
	s, ok := UnescapeWord(word)
	if !ok {
		return 0, false
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || (r == utf8.RuneError && size <= 1) {
		return 0, false
	}
	return c.ID(r)
}

// NewEncoder returns a streaming character encoder.
func (c *Char) NewEncoder() Encoder { return &charEncoder{c: c} }

type charEncoder struct {
	c       *Char
	held    [utf8.UTFMax]byte
	nheld   int
	offset  int64 // bytes consumed before the current piece (held bytes included)
	unknown int64
}

func (e *charEncoder) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	unk := e.c.Vocab().UNK()
	// Complete a character split across the previous piece.
	for e.nheld > 0 && len(text) > 0 {
		e.held[e.nheld] = text[0]
		e.nheld++
		text = text[1:]
		if utf8.FullRune(e.held[:e.nheld]) {
			r, size := utf8.DecodeRune(e.held[:e.nheld])
			if r == utf8.RuneError && size <= 1 {
				return dst, e.invalid(0)
			}
			dst = e.emit(dst, r, unk)
			e.offset += int64(e.nheld)
			e.nheld = 0
		}
	}
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			id := e.c.ascii[b]
			if id < 0 {
				e.unknown++
				dst = append(dst, unk)
			} else {
				dst = append(dst, autoreg.Token(id))
			}
			i++
			continue
		}
		if !utf8.FullRune(text[i:]) {
			e.nheld = copy(e.held[:], text[i:])
			e.offset += int64(i)
			return dst, nil
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return dst, e.invalid(int64(i))
		}
		dst = e.emit(dst, r, unk)
		i += size
	}
	e.offset += int64(len(text))
	return dst, nil
}

func (e *charEncoder) emit(dst []autoreg.Token, r rune, unk autoreg.Token) []autoreg.Token {
	if id, ok := e.c.ID(r); ok {
		return append(dst, id)
	}
	e.unknown++
	return append(dst, unk)
}

func (e *charEncoder) invalid(at int64) error {
	return &InputError{Offset: e.offset + at, Err: ErrInvalidUTF8, Msg: ErrInvalidUTF8.Error() + " (the char tokenizer reads UTF-8 text; use --tokenizer byte for binary data)"}
}

func (e *charEncoder) Flush(dst []autoreg.Token) ([]autoreg.Token, error) {
	if e.nheld > 0 {
		err := &InputError{Offset: e.offset, Err: ErrInvalidUTF8, Msg: ErrInvalidUTF8.Error() + " (text ends inside a character)"}
		e.nheld, e.offset = 0, 0
		return dst, err
	}
	e.offset = 0
	return dst, nil
}

func (e *charEncoder) Unknown() int64 { return e.unknown }

// CharBuilder collects the characters of training text for NewChar.
type CharBuilder struct {
	seen    map[rune]bool
	ascii   [128]bool
	held    []byte
	offset  int64
	invalid error
}

// NewCharBuilder returns an empty builder.
func NewCharBuilder() *CharBuilder { return &CharBuilder{seen: make(map[rune]bool)} }

// Add scans the next piece of text. It reports invalid UTF-8 as an
// *InputError at an offset counted from the last Flush.
func (b *CharBuilder) Add(text []byte) error {
	if b.invalid != nil {
		return b.invalid
	}
	if len(b.held) > 0 {
		n := len(b.held)
		b.held = append(b.held, text[:min(len(text), utf8.UTFMax)]...)
		if !utf8.FullRune(b.held) {
			return nil // still incomplete: all of text was held
		}
		r, size := utf8.DecodeRune(b.held)
		if r == utf8.RuneError && size <= 1 {
			b.invalid = &InputError{Offset: b.offset, Err: ErrInvalidUTF8, Msg: ErrInvalidUTF8.Error()}
			return b.invalid
		}
		b.seen[r] = true
		text = text[size-n:]
		b.offset += int64(size)
		b.held = b.held[:0]
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			b.ascii[c] = true
			i++
			continue
		}
		if !utf8.FullRune(text[i:]) {
			b.held = append(b.held[:0], text[i:]...)
			b.offset += int64(i)
			return nil
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			b.invalid = &InputError{Offset: b.offset + int64(i), Err: ErrInvalidUTF8, Msg: ErrInvalidUTF8.Error() + " (the char tokenizer reads UTF-8 text; use --tokenizer byte for binary data)"}
			return b.invalid
		}
		b.seen[r] = true
		i += size
	}
	b.offset += int64(len(text))
	return nil
}

// Flush ends one text: a character left incomplete is an error.
func (b *CharBuilder) Flush() error {
	if b.invalid != nil {
		return b.invalid
	}
	if len(b.held) > 0 {
		err := &InputError{Offset: b.offset, Err: ErrInvalidUTF8, Msg: ErrInvalidUTF8.Error() + " (text ends inside a character)"}
		b.held = b.held[:0]
		b.offset = 0
		return err
	}
	b.offset = 0
	return nil
}

// Build returns the tokenizer over the characters seen.
func (b *CharBuilder) Build() (*Char, error) {
	var rs []rune
	for c, ok := range b.ascii {
		if ok {
			rs = append(rs, rune(c))
		}
	}
	for r := range b.seen {
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("tokenize: no characters in the training text")
	}
	return NewChar(rs)
}
