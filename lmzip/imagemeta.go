package lmzip

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/autoreg/autoreg/arith"
)

// An image's metadata section (its shape and, above all, its ancillary
// chunks: text, XMP packets, colour profiles) can be kilobytes; an XMP
// packet of 3 kB, XML with padding, shrinks to a quarter. With codecMeta
// in the codec byte the section is coded by a small byte model of the
// original engine, whose configuration is fixed by the format:
//
//	uvarint m (the metadata's length), uvarint c, c bytes of coded metadata
//
// instead of uvarint m, m bytes. The writer codes it so only when that is
// smaller.
const codecMeta = 0x40

// metaConfig is the metadata's byte model: orders 1-4 and 6, words, a
// match model, 256 kB per context. Part of the format: never change it.
var metaConfig = AdaptiveConfig{Engine: 1, Orders: []int{1, 2, 3, 4, 6}, Word: true, Match: 6,
	HashBits: 12, Limit: 255, LR: 3, Mixers: 1, APM: 1}

// metaFits reports whether n bytes of metadata may be coded in cn bytes:
// at most 256 times as many and 64 kB, so that a few corrupt bytes cannot
// ask for gigabytes.
func metaFits(n, cn uint64) bool { return n <= 256*cn+1<<16 }

// appendMeta appends the metadata section meta to out, coded if that is
// smaller, and reports whether it is coded.
func appendMeta(out, meta []byte) ([]byte, bool) {
	var buf bytes.Buffer
	enc := arith.NewEncoder(&buf)
	newAdaptiveCodec(metaConfig).encode(enc, meta)
	if err := enc.Close(); err == nil && metaFits(uint64(len(meta)), uint64(buf.Len())) {
		coded := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(len(meta))), uint64(buf.Len()))
		if len(coded)+buf.Len() < len(meta) {
			coded = append(coded, buf.Bytes()...)
			return append(out, coded...), true
		}
	}
	out = binary.AppendUvarint(out, uint64(len(meta)))
	return append(out, meta...), false
}

// readCodedMeta reads a coded metadata section (after codecMeta): its
// length n, then the coded bytes.
func readCodedMeta(c *countingReader, n uint64) ([]byte, error) {
	cn, err := binary.ReadUvarint(c)
	if err != nil || !metaFits(n, cn) || cn > n {
		return nil, fmt.Errorf("bad coded metadata length")
	}
	coded := make([]byte, cn)
	if err := c.full(coded); err != nil {
		return nil, fmt.Errorf("truncated image metadata")
	}
	meta := make([]byte, n)
	dec := arith.NewDecoder(bytes.NewReader(coded))
	if err := newAdaptiveCodec(metaConfig).decode(dec, meta); err != nil {
		return nil, err
	}
	if err := dec.Err(); err != nil {
		return nil, err
	}
	return meta, nil
}
