package lmzip

import (
	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
	"github.com/autoreg/autoreg/lmzip/internal/legacy"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// A blockCodec codes blocks of bytes with a model whose state runs on from
// block to block. encode with a nil encoder only advances the model over the
// block: that is how the decoder keeps in step over a stored block (and how
// the encoder's model already advanced when it tried to code it).
type blockCodec interface {
	encode(enc *arith.Encoder, raw []byte)
	// decode fills dst, whose length is the block's raw length.
	decode(dec *arith.Decoder, dst []byte) error
}

// adaptiveCodec codes bytes bit by bit, most significant bit first, with
// the context-mixing model.
type adaptiveCodec struct {
	m *legacy.Model
}

// newAdaptiveCodec builds the model of cfg (checked) with its online
// networks, of cfg's revision: package online's, or the frozen revision 1
// of package legacy for files written before; cfg's engine decides the
// codec (engine 2: contentCodec).
func newAdaptiveCodec(cfg AdaptiveConfig) blockCodec {
	var nets []cm.Predictor
	lstmRate, gptRate := float32(cfg.LSTMRate)*1e-4, float32(cfg.GPTRate)*1e-4
	if cfg.LSTM > 0 {
		if cfg.Revision == 1 {
			nets = append(nets, legacy.NewLSTM(cfg.LSTM, cfg.Horizon, lstmRate))
		} else {
			nets = append(nets, online.NewLSTM(cfg.LSTM, cfg.Horizon, lstmRate))
		}
	}
	if cfg.GPT > 0 {
		if cfg.Revision == 1 {
			nets = append(nets, legacy.NewGPT(cfg.GPT, cfg.GPTHeads, cfg.GPTLayers, cfg.GPTWindow, gptRate))
		} else {
			nets = append(nets, online.NewGPT(cfg.GPT, cfg.GPTHeads, cfg.GPTLayers, cfg.GPTWindow, gptRate))
		}
	}
	if cfg.Engine == 2 {
		kinds := &modelKind
		if cfg.Profile != 0 {
			kinds = &modelKindLight
		}
		return &contentCodec{m: cm.NewModel(cfg.cm2(), nets), kinds: kinds}
	}
	return &adaptiveCodec{m: legacy.NewCM(cfg.cm(), nets)}
}

// encode and decode code bit by bit on the concrete model: through an
// interface every bit costs two indirect calls, P is not inlined, and the
// ngram level ran 1% more instructions (callgrind) and measurably slower.
func (a *adaptiveCodec) encode(enc *arith.Encoder, raw []byte) {
	m := a.m
	for _, c := range raw {
		for i := 7; i >= 0; i-- {
			bit := int(c>>uint(i)) & 1
			if enc != nil {
				enc.EncodeBit(bit, m.P())
			}
			m.Update(bit)
		}
	}
}

func (a *adaptiveCodec) decode(dec *arith.Decoder, dst []byte) error {
	m := a.m
	for k := range dst {
		c := 0
		for i := 0; i < 8; i++ {
			b := dec.DecodeBit(m.P())
			m.Update(b)
			c = c<<1 | b
		}
		dst[k] = byte(c)
	}
	return nil
}
