package lmzip

import (
	"encoding/binary"
	"unicode/utf8"
)

// Content kinds: what the content-aware engine (configurations spelled
// "cm2") recognizes in each block, choosing the model's contexts and a
// transform for it. The encoder decides from the block's bytes with
// integer arithmetic only (analyze), and codes the kind at the head of the
// block's payload; a stored block's kind is computed again from its bytes
// by the decoder, since the model learns from stored blocks too.
const (
	contentBinary     = 0 // anything else: byte, sparse and indirect contexts
	contentText       = 1 // mostly printable ASCII or valid UTF-8: words, columns
	contentX86        = 2 // x86 machine code: E8/E9 targets made absolute
	contentARM64      = 3 // ARM64 machine code: BL targets made absolute
	contentCompressed = 4 // no redundancy in byte frequencies: only long repeats are modelled
	numContents       = 5
)

// contentNames are the kinds' names for reports.
var contentNames = [numContents]string{"binary", "text", "x86", "arm64", "compressed"}

// analyze returns the content kind of block b.
func analyze(b []byte) byte {
	n := len(b)
	if n == 0 {
		return contentBinary
	}
	var hist [256]int
	for _, c := range b {
		hist[c]++
	}
	// Compressed data: the byte frequencies are as even as those of
	// random bytes. Σ count² is n²/256 (+ n) for an even spread; text and
	// code stay well above it.
	if n >= 4096 {
		var sq uint64
		for _, c := range hist {
			sq += uint64(c) * uint64(c)
		}
		nn := uint64(n)
		if sq*256 <= nn*nn+nn*nn/32+256*2*nn {
			return contentCompressed
		}
	}
	// Text: printable ASCII, tabs and line ends, and valid UTF-8; NUL
	// bytes (the padding of a tar archive of text files) up to a quarter.
	txt := 0
	for c := 0x20; c < 0x7F; c++ {
		txt += hist[c]
	}
	txt += hist['\t'] + hist['\n'] + hist['\r']
	if hist[0x80]+txt < n { // any bytes ≥ 0x80: count the valid UTF-8 sequences
		for i := 0; i < n; {
			if b[i] < 0x80 {
				i++
				continue
			}
			r, size := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError || size > 1 {
				txt += size
			}
			i += size
		}
	}
	if z := hist[0]; z*4 <= n && txt*20 >= (n-z)*19 {
		return contentText
	}
	// ARM64: BL instructions (top six bits 100101) on aligned words, a few
	// percent of all instructions, and RET or NOP words.
	words := n / 4
	bl, ret := 0, 0
	for i := 0; i+4 <= n; i += 4 {
		w := binary.LittleEndian.Uint32(b[i:])
		switch {
		case w>>26 == 0x25:
			bl++
		case w == 0xD65F03C0 || w == 0xD503201F:
			ret++
		}
	}
	if bl*40 >= words && ret*1000 >= words {
		return contentARM64
	}
	// x86: E8/E9 followed by a displacement within ±16 MiB, far more often
	// than by any other.
	near, far := 0, 0
	for i := 0; i+5 <= n; i++ {
		if b[i]&0xFE == 0xE8 {
			if t := b[i+4]; t == 0 || t == 0xFF {
				near++
			} else {
				far++
			}
		}
	}
	if near*512 >= n && near >= 2*far {
		return contentX86
	}
	return contentBinary
}
