package lmzip

import (
	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// FromTokenizer adapts a tokenize.Tokenizer to the static mode. Text the
// tokenizer cannot read (invalid UTF-8 for characters) ends the token list
// early, and the coder escapes the bytes there. Byte and char tokenizers
// reproduce their input token by token, so only unknown symbols are
// escaped; a word token's text is a space and the word, so single-spaced
// text matches and other whitespace is escaped.
func FromTokenizer(t tokenize.Tokenizer) Tokenizer { return tokAdapter{t} }

type tokAdapter struct{ t tokenize.Tokenizer }

func (a tokAdapter) Encode(dst []autoreg.Token, text []byte) []autoreg.Token {
	enc := a.t.NewEncoder()
	dst, err := enc.Encode(dst, text)
	if err != nil {
		return dst
	}
	dst, _ = enc.Flush(dst)
	return dst
}

func (a tokAdapter) AppendBytes(dst []byte, t autoreg.Token) ([]byte, bool) {
	v := a.t.Vocab()
	if !v.Valid(t) || v.IsSpecial(t) {
		return dst, false
	}
	out := a.t.AppendText(dst, t)
	return out, len(out) > len(dst)
}

// StaticFromFile returns the static-mode description of a model file read
// with modelfile.Read: its SHA-256 as identity, its model and tokenizer,
// and the lines convention if the model was trained in lines mode; for a
// real-valued model, its identity and the model (Static.Real).
func StaticFromFile(f *modelfile.File) *Static {
	if f.Real != nil {
		return &Static{ID: f.SHA256, Real: f.Real}
	}
	return &Static{ID: f.SHA256, Model: f.Model, Tokenizer: FromTokenizer(f.Tokenizer), Lines: f.Meta.Mode == "lines"}
}
