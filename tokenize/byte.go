package tokenize

import "github.com/autoreg/autoreg"

// Byte is the byte tokenizer: each of the 256 byte values is one token, so
// every input round-trips exactly and nothing is ever unknown.
type Byte struct {
	controls []string
}

// NewByte returns the byte tokenizer.
func NewByte() *Byte { return &Byte{} }

// Kind returns KindByte.
func (*Byte) Kind() string { return KindByte }

// Vocab has Base 256.
func (b *Byte) Vocab() autoreg.Vocab { return autoreg.Vocab{Base: 256, Controls: b.controls} }

// NewEncoder returns an encoder that emits one token per byte.
func (b *Byte) NewEncoder() Encoder { return &byteEncoder{} }

// AppendText appends the byte of t; specials append nothing.
func (b *Byte) AppendText(dst []byte, t autoreg.Token) []byte {
	if t >= 0 && t < 256 {
		dst = append(dst, byte(t))
	}
	return dst
}

// Word returns the escaped byte (printable ASCII stands for itself).
func (b *Byte) Word(t autoreg.Token) string {
	if w, ok := specialWord(b.Vocab(), t); ok {
		return w
	}
	if t < 0 || t >= 256 {
		return ""
	}
	return EscapeWord(string([]byte{byte(t)}))
}

// Lookup inverts Word.
func (b *Byte) Lookup(word string) (autoreg.Token, bool) {
	if t, ok := lookupSpecial(b.Vocab(), word); ok {
		return t, true
	}
	s, ok := UnescapeWord(word)
	if !ok || len(s) != 1 {
		return 0, false
	}
	return autoreg.Token(s[0]), true
}

type byteEncoder struct{}

func (*byteEncoder) Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error) {
	for _, c := range text {
		dst = append(dst, autoreg.Token(c))
	}
	return dst, nil
}

func (*byteEncoder) Flush(dst []autoreg.Token) ([]autoreg.Token, error) { return dst, nil }
func (*byteEncoder) Unknown() int64                                     { return 0 }
