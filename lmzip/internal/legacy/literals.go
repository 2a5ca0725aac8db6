package legacy

import (
	"errors"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
)

// Item kinds of the static mode's tokenization besides ordinary tokens
// (≥ 0): -1-b is the literal byte b, ItemEOS a line end in lines mode,
// ItemUNK the model's <unk> (followed by literal bytes).
const (
	ItemEOS = -257
	ItemUNK = -258
)

// TokenStream is what the original literal coding needs from the static
// codec: the model's coding of tokens and its history.
type TokenStream interface {
	// CodeToken codes tok with the model (enc may be nil: nothing to
	// write) without advancing the history.
	CodeToken(enc *arith.Encoder, tok autoreg.Token)
	// DecodeToken decodes a token with the model without advancing it.
	DecodeToken(dec *arith.Decoder) autoreg.Token
	// Append adds tok to the model's history; NewLine starts a new line
	// (lines mode: after a line end).
	Append(tok autoreg.Token)
	NewLine()
	// Lines reports the lines convention; EOS and UNK are the model's
	// tokens for a line end and an unknown item.
	Lines() bool
	EOS() autoreg.Token
	UNK() autoreg.Token
	// TokenBytes appends the bytes of an ordinary token to dst; ok is
	// false for a token without bytes (specials, control codes).
	TokenBytes(dst []byte, tok autoreg.Token) (out []byte, ok bool)
}

// OriginalLiterals is the static mode's original literal coding, that of
// streams without the token-first flag (docs/COMPRESSION.md): before every
// item a flag, literal byte or model token, in the context of the previous
// item's kind; a literal byte with an order-0 bit tree in the same
// context. Counters are lmzip's 22-bit adaptive ones with limit 255.
type OriginalLiterals struct {
	flag [2]uint32   // P(literal) by whether the previous item was a literal
	byt  [512]uint32 // order-0 bit trees by whether the previous item was a literal
	prev int         // whether the previous item was a literal
	ctx  int         // prev before the current item's flag
	tb   []byte
}

// Encode codes the items of a block (enc nil: only advances the models, as
// the decoder does over a stored block).
func (o *OriginalLiterals) Encode(enc *arith.Encoder, s TokenStream, items []autoreg.Token) {
	for _, t := range items {
		lit := t < 0 && t >= -256
		o.codeFlag(enc, nil, lit)
		switch {
		case lit:
			o.codeLiteral(enc, nil, byte(-1-t))
		case t == ItemEOS:
			s.CodeToken(enc, s.EOS())
			s.NewLine()
		default:
			tok := t
			if t == ItemUNK {
				tok = s.UNK()
			}
			s.CodeToken(enc, tok)
			s.Append(tok)
		}
	}
}

// Decode decodes a block into dst, whose length is the block's.
func (o *OriginalLiterals) Decode(dec *arith.Decoder, s TokenStream, dst []byte) error {
	n := 0
	prevUNK := false
	for n < len(dst) {
		if o.codeFlag(nil, dec, false) {
			dst[n] = o.codeLiteral(nil, dec, 0)
			n++
			prevUNK = false
			continue
		}
		t := s.DecodeToken(dec)
		switch {
		case s.Lines() && t == s.EOS():
			dst[n] = '\n'
			n++
			s.NewLine()
			prevUNK = false
			continue
		case t == s.UNK():
			// The encoder codes a literal after every <unk>: two in a row
			// are corrupt input (and would never end the block).
			if prevUNK {
				return errors.New("<unk> without bytes")
			}
			prevUNK = true
		default:
			var ok bool
			o.tb, ok = s.TokenBytes(o.tb[:0], t)
			if !ok || len(o.tb) == 0 {
				return fmt.Errorf("token %d has no bytes", t)
			}
			if n+len(o.tb) > len(dst) {
				return fmt.Errorf("token %d runs past the block end", t)
			}
			n += copy(dst[n:], o.tb)
			prevUNK = false
		}
		s.Append(t)
	}
	return nil
}

// codeFlag codes (enc set), decodes (dec set) or learns whether a literal
// byte comes next.
func (o *OriginalLiterals) codeFlag(enc *arith.Encoder, dec *arith.Decoder, lit bool) bool {
	b := 0
	if lit {
		b = 1
	}
	b = codeBit(enc, dec, &o.flag[o.prev], b)
	o.ctx, o.prev = o.prev, b
	return b == 1
}

// codeLiteral codes (or decodes, or learns) a literal byte, most
// significant bit first.
func (o *OriginalLiterals) codeLiteral(enc *arith.Encoder, dec *arith.Decoder, v byte) byte {
	tree := o.byt[256*o.ctx:]
	node := 1
	for i := 7; i >= 0; i-- {
		b := codeBit(enc, dec, &tree[node], int(v>>uint(i))&1)
		node = node<<1 | b
	}
	return byte(node)
}

// codeBit codes bit with the counter ctr (enc set), decodes one (dec set),
// or with both nil only learns bit; it returns the bit.
func codeBit(enc *arith.Encoder, dec *arith.Decoder, ctr *uint32, bit int) int {
	return cm.CodeBit(enc, dec, ctr, bit)
}
