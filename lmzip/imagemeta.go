package lmzip

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
)

// An image's metadata section (its shape and, above all, its ancillary
// chunks: text, XMP packets, colour profiles) can be kilobytes; an XMP
// packet of 3 kB, XML with padding, deflates to 900 bytes. With codecMeta
// in the codec byte the section is deflated (RFC 1951, raw):
//
//	uvarint m (the metadata's length), uvarint c, c bytes of deflated metadata
//
// instead of uvarint m, m bytes. The writer deflates it only when that
// is smaller. Deflate rather than a context-mixing byte model: inflating
// costs microseconds, where the mixing model's tables and setup cost a
// tenth of a second, as much as coding a photograph's pixels at the fast
// level; the mixing model would save some 10% of a few hundred bytes.
const codecMeta = 0x40

// metaFits reports whether n bytes of metadata may be coded in cn bytes:
// at most 256 times as many and 64 kB, so that a few corrupt bytes cannot
// ask for gigabytes.
func metaFits(n, cn uint64) bool { return n <= 256*cn+1<<16 }

// appendMeta appends the metadata section meta to out, deflated if that is
// smaller, and reports whether it is deflated.
func appendMeta(out, meta []byte) ([]byte, bool) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(meta)
	if err := w.Close(); err == nil && metaFits(uint64(len(meta)), uint64(buf.Len())) {
		coded := binary.AppendUvarint(binary.AppendUvarint(nil, uint64(len(meta))), uint64(buf.Len()))
		if len(coded)+buf.Len() < len(meta) {
			coded = append(coded, buf.Bytes()...)
			return append(out, coded...), true
		}
	}
	out = binary.AppendUvarint(out, uint64(len(meta)))
	return append(out, meta...), false
}

// readCodedMeta reads a deflated metadata section (after codecMeta): its
// length n, then the deflated bytes, which must inflate to n bytes.
func readCodedMeta(c *countingReader, n uint64) ([]byte, error) {
	cn, err := binary.ReadUvarint(c)
	if err != nil || !metaFits(n, cn) {
		return nil, fmt.Errorf("bad coded metadata length")
	}
	coded := make([]byte, cn)
	if err := c.full(coded); err != nil {
		return nil, fmt.Errorf("truncated image metadata")
	}
	r := flate.NewReader(bytes.NewReader(coded))
	meta := make([]byte, n)
	if _, err := io.ReadFull(r, meta); err != nil {
		return nil, fmt.Errorf("inflating: %v", err)
	}
	return meta, nil
}
