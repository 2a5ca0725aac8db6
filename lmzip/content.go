package lmzip

import (
	"errors"
	"fmt"

	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
	"github.com/autoreg/autoreg/lmzip/internal/exefilter"
)

// contentCodec is the block codec of engine 2. A coded block's payload
// starts with the block's content kind (one byte, coded flat), then the
// block's bytes with the model set to the kind's contexts (compressed
// data: only orders 0-2 and the match models, which still find a stream
// stored twice), after the kind's transform (machine code: absolute
// branch targets), bit by bit, most significant first. The transforms
// count positions from the start of the stream (modulo 2^32).
type contentCodec struct {
	m       *cm.Model
	kinds   *[numContents]cm.Kind // the model's contexts for each content kind
	pos     uint32                // bytes before the next block
	scratch []byte                // the transformed block
}

// modelKind is the model's contexts for each content kind; modelKindLight
// those of the light profile, which has contexts aligned to ARM64's words.
var (
	modelKind = [numContents]cm.Kind{
		contentBinary: cm.KindBinary, contentText: cm.KindText,
		contentX86: cm.KindExe, contentARM64: cm.KindExe, contentCompressed: cm.KindCompressed,
	}
	modelKindLight = [numContents]cm.Kind{
		contentBinary: cm.KindBinary, contentText: cm.KindText,
		contentX86: cm.KindExe, contentARM64: cm.KindARM64, contentCompressed: cm.KindCompressed,
	}
)

func (a *contentCodec) encode(enc *arith.Encoder, raw []byte) {
	kind := analyze(raw)
	pos := a.pos
	a.pos += uint32(len(raw))
	if enc != nil {
		enc.Encode(uint32(kind), 1, 256)
	}
	b := raw
	switch kind {
	case contentX86:
		a.scratch = append(a.scratch[:0], raw...)
		b = a.scratch
		exefilter.X86Encode(b, pos)
	case contentARM64:
		a.scratch = append(a.scratch[:0], raw...)
		b = a.scratch
		exefilter.ARM64Encode(b, pos)
	}
	a.m.SetKind(a.kinds[kind])
	a.m.EncodeBytes(enc, b)
}

var errContentKind = errors.New("unknown content kind")

func (a *contentCodec) decode(dec *arith.Decoder, dst []byte) error {
	kind := dec.Target(256)
	dec.Consume(kind, 1, 256)
	if kind >= numContents {
		return fmt.Errorf("%w %d", errContentKind, kind)
	}
	pos := a.pos
	a.pos += uint32(len(dst))
	a.m.SetKind(a.kinds[kind])
	a.m.DecodeBytes(dec, dst)
	switch kind {
	case contentX86:
		exefilter.X86Decode(dst, pos)
	case contentARM64:
		exefilter.ARM64Decode(dst, pos)
	}
	return nil
}
