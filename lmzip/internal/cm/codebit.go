package cm

import "github.com/autoreg/autoreg/arith"

// CodeBit codes bit with the adaptive counter ctr (count limit 255; enc
// set), decodes one (dec set), or with both nil only learns bit; it returns
// the bit. The static mode's literal channels code with it.
func CodeBit(enc *arith.Encoder, dec *arith.Decoder, ctr *uint32, bit int) int {
	p := (*ctr ^ CounterInit) >> 16
	switch {
	case dec != nil:
		bit = dec.DecodeBit(p)
	case enc != nil:
		enc.EncodeBit(bit, p)
	}
	CounterUpdate(ctr, bit, 255)
	return bit
}
