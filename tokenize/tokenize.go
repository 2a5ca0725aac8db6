// Package tokenize turns text into the token ids of an autoregressive model
// and back: bytes (all 256 values), Unicode characters (those seen in
// training, plus the unknown symbol), whitespace-separated words (with a
// size- and count-limited vocabulary and the unknown word), image samples
// quantized to K intensity levels ([Pixels]), and the samples of WAV files
// ([Sound]: WaveNet's μ-law companding, [MuLaw], and the bytes of G.711
// μ-law files, [G711U]).
//
// Every tokenizer numbers its ordinary tokens 0..Base-1 and follows them with
// the reserved specials of the root package (<s>, </s>, <unk>) and then the
// control codes it carries ([autoreg.Vocab]). Encoders stream: text may arrive
// in pieces of any size, and a character or word split between two pieces is
// held back until the next piece or [Encoder.Flush]. [Encode] and [Decode]
// convert a whole text in one call, for any Tokenizer.
//
// Tokens also have a printable name ([Tokenizer.Word]) used in ARPA files and
// debugging output; see [EscapeWord] for the escaping rules.
package tokenize

import (
	"errors"
	"fmt"

	"github.com/autoreg/autoreg"
)

// Kinds of tokenizer.
const (
	KindByte = "byte"
	KindChar = "char"
	KindWord = "word"
)

// Kinds lists the tokenizer kinds in the order the CLI documents them.
var Kinds = []string{KindByte, KindChar, KindWord, KindPixels, KindMuLaw, KindG711U}

// Tokenizer maps text to tokens and tokens to text. It is read-only once
// built and safe for concurrent use; encoders hold the per-stream state.
type Tokenizer interface {
	// Kind names the scheme: KindByte, KindChar, KindWord, KindPixels,
	// KindMuLaw or KindG711U.
	Kind() string
	// Vocab is the full token space: ordinary tokens, specials, controls.
	Vocab() autoreg.Vocab
	// NewEncoder returns a streaming encoder.
	NewEncoder() Encoder
	// AppendText appends the text of token t: its byte, its character, or
	// for words a space and the word. Specials append nothing.
	AppendText(dst []byte, t autoreg.Token) []byte
	// Word returns the printable, escaped name of t (see EscapeWord);
	// specials are "<s>", "</s>", "<unk>" and "<ctl:TAG>".
	Word(t autoreg.Token) string
	// Lookup maps a name produced by Word back to its token.
	Lookup(word string) (autoreg.Token, bool)
}

// Encoder turns a stream of text into tokens. Encode may be called any number
// of times with consecutive pieces of one text; Flush ends the text.
type Encoder interface {
	// Encode appends the tokens of the next piece of text to dst. A token
	// that may continue in the next piece is held back. Unknown symbols
	// become the UNK token and are counted; text the tokenizer cannot read
	// (invalid UTF-8 for characters) is an *InputError.
	Encode(dst []autoreg.Token, text []byte) ([]autoreg.Token, error)
	// Flush appends any held-back token and readies the encoder for a new
	// text.
	Flush(dst []autoreg.Token) ([]autoreg.Token, error)
	// Unknown is the number of UNK tokens emitted so far.
	Unknown() int64
}

// Encode returns the tokens of a whole text: one encoder, one Encode and
// its Flush. Unknown symbols become the UNK token. Text the tokenizer
// cannot read (invalid UTF-8 for the char tokenizer) is an error wrapping
// an *InputError with the byte offset. It adds no BOS or EOS: a model's
// prompt starts with Vocab().BOS() (see package corpus for sequences).
func Encode(t Tokenizer, text string) ([]autoreg.Token, error) {
	enc := t.NewEncoder()
	ids, err := enc.Encode(nil, []byte(text))
	if err == nil {
		ids, err = enc.Flush(ids)
	}
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	return ids, nil
}

// Decode returns the text of tokens: the concatenation of AppendText over
// ids, so Decode(a) + Decode(b) == Decode(a ++ b). Specials and control
// codes have no text; so Decode(Encode(s)) is s for the byte tokenizer,
// s without its unknown characters for the char tokenizer, and for the
// word tokenizer the words of s each after one space (" the cat" for
// "the  cat"), unknown words dropped.
func Decode(t Tokenizer, ids []autoreg.Token) string {
	var b []byte
	for _, id := range ids {
		b = t.AppendText(b, id)
	}
	return string(b)
}

// InputError reports text a tokenizer cannot read, at a byte offset counted
// from the start of the text (across Encode calls, reset by Flush).
type InputError struct {
	Offset int64
	Msg    string // the whole message, the cause included
	Err    error  // the cause, such as ErrInvalidUTF8 (may be nil)
}

func (e *InputError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg) }

// Unwrap returns the cause, so errors.Is(err, ErrInvalidUTF8) holds.
func (e *InputError) Unwrap() error { return e.Err }

// ErrInvalidUTF8 is wrapped by the InputError of the char tokenizer.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

func specialWord(v autoreg.Vocab, t autoreg.Token) (string, bool) {
	if v.IsSpecial(t) {
		return v.SpecialName(t), true
	}
	return "", false
}

func lookupSpecial(v autoreg.Vocab, word string) (autoreg.Token, bool) {
	switch word {
	case autoreg.NameBOS:
		return v.BOS(), true
	case autoreg.NameEOS:
		return v.EOS(), true
	case autoreg.NameUNK:
		return v.UNK(), true
	}
	if len(word) > 6 && word[:5] == "<ctl:" && word[len(word)-1] == '>' {
		return v.Control(word[5 : len(word)-1])
	}
	return 0, false
}

// WithControls returns a tokenizer like t whose vocabulary also holds the
// given control codes (tags), after the reserved specials. Existing controls
// are replaced.
func WithControls(t Tokenizer, tags []string) (Tokenizer, error) {
	v := t.Vocab()
	v.Controls = append([]string(nil), tags...)
	if err := v.Check(); err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	switch t := t.(type) {
	case *Byte:
		c := *t
		c.controls = v.Controls
		return &c, nil
	case *Char:
		c := *t
		c.controls = v.Controls
		return &c, nil
	case *Word:
		c := *t
		c.controls = v.Controls
		return &c, nil
	case *Pixels:
		c := *t
		c.controls = v.Controls
		return &c, nil
	case *MuLaw:
		c := *t
		c.controls = v.Controls
		return &c, nil
	case *G711U:
		c := *t
		c.controls = v.Controls
		return &c, nil
	}
	return nil, fmt.Errorf("tokenize: %s tokenizer cannot carry control codes", t.Kind())
}
