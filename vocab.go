package autoreg

import "fmt"

// Reserved special tokens sit right after a vocabulary's ordinary tokens, in
// this order, for every tokenizer and model family. Control codes follow them.
//
//	0 .. Base-1            ordinary tokens (bytes, characters, words, ...)
//	Base + OffsetBOS       <s>   begin of sequence (context only, never predicted)
//	Base + OffsetEOS       </s>  end of sequence (a file or line boundary)
//	Base + OffsetUNK       <unk> unknown: anything the tokenizer cannot represent
//	Base + NumReserved + i control code i (a tag such as "test" for _test.go files)
const (
	OffsetBOS   = 0
	OffsetEOS   = 1
	OffsetUNK   = 2
	NumReserved = 3
)

// Names of the reserved specials, as they appear in ARPA files and in text
// renderings of token sequences. Control codes render as "<ctl:TAG>".
const (
	NameBOS = "<s>"
	NameEOS = "</s>"
	NameUNK = "<unk>"
)

// MaxControls bounds the number of control codes a vocabulary may hold.
const MaxControls = 1 << 16

// Vocab is the token space of a model: Base ordinary tokens, the reserved
// specials, then one token per control code. It is a small value type; the
// tokenizer owns the mapping from text to the ordinary ids.
type Vocab struct {
	// Base is the number of ordinary tokens.
	Base int
	// Controls names the control codes, in id order.
	Controls []string
}

// Size is the total number of token ids: Base + NumReserved + len(Controls).
func (v Vocab) Size() int { return v.Base + NumReserved + len(v.Controls) }

// BOS is the begin-of-sequence token.
func (v Vocab) BOS() Token { return Token(v.Base + OffsetBOS) }

// EOS is the end-of-sequence token.
func (v Vocab) EOS() Token { return Token(v.Base + OffsetEOS) }

// UNK is the unknown token.
func (v Vocab) UNK() Token { return Token(v.Base + OffsetUNK) }

// Control returns the token of the control code named tag, and false if the
// vocabulary has no such code.
func (v Vocab) Control(tag string) (Token, bool) {
	for i, c := range v.Controls {
		if c == tag {
			return Token(v.Base + NumReserved + i), true
		}
	}
	return 0, false
}

// IsSpecial reports whether t is a reserved special or a control code.
func (v Vocab) IsSpecial(t Token) bool { return int(t) >= v.Base && int(t) < v.Size() }

// Valid reports whether t is an id of this vocabulary.
func (v Vocab) Valid(t Token) bool { return t >= 0 && int(t) < v.Size() }

// SpecialName returns the display name of a special token ("<s>", "</s>",
// "<unk>", "<ctl:TAG>"), or "" if t is an ordinary token or out of range.
func (v Vocab) SpecialName(t Token) string {
	switch {
	case !v.IsSpecial(t):
		return ""
	case t == v.BOS():
		return NameBOS
	case t == v.EOS():
		return NameEOS
	case t == v.UNK():
		return NameUNK
	default:
		return "<ctl:" + v.Controls[int(t)-v.Base-NumReserved] + ">"
	}
}

// Check reports a vocabulary that no model can have.
func (v Vocab) Check() error {
	if v.Base < 1 || v.Base > 1<<30 {
		return fmt.Errorf("autoreg: vocabulary base size %d out of range [1, 2^30]", v.Base)
	}
	if len(v.Controls) > MaxControls {
		return fmt.Errorf("autoreg: %d control codes, more than %d", len(v.Controls), MaxControls)
	}
	seen := make(map[string]bool, len(v.Controls))
	for _, c := range v.Controls {
		if c == "" || seen[c] {
			return fmt.Errorf("autoreg: control code %q empty or repeated", c)
		}
		seen[c] = true
	}
	return nil
}
