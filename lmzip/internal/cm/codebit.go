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

// EncodeBytes codes the bytes of b bit by bit, most significant first,
// with the model's probabilities (with a nil enc the model only learns
// them). Called on the concrete model, P and Update are direct calls: the
// default level spends about 1% of its instructions on the difference.
func (m *Model) EncodeBytes(enc *arith.Encoder, b []byte) {
	for _, c := range b {
		for i := 7; i >= 0; i-- {
			bit := int(c>>uint(i)) & 1
			if enc != nil {
				enc.EncodeBit(bit, uint32(m.pr))
			}
			m.Update(bit)
		}
	}
}

// DecodeBytes fills dst with bytes decoded bit by bit.
func (m *Model) DecodeBytes(dec *arith.Decoder, dst []byte) {
	for k := range dst {
		c := 0
		for range 8 {
			b := dec.DecodeBit(uint32(m.pr))
			m.Update(b)
			c = c<<1 | b
		}
		dst[k] = byte(c)
	}
}
