// Package exefilter holds lmzip's reversible transforms of machine code:
// relative branch targets rewritten as absolute addresses, so that every
// call to the same function carries the same bytes and a context model
// sees the repeats. This is the idea of the "BCJ" filters of xz and of the
// executable transforms of the PAQ family; the spelling here is lmzip's
// own and is fixed by the format (docs/COMPRESSION.md, "Content kinds").
//
// Each transform is a bijection on blocks: Decode(Encode(b)) = b for every
// byte string b and position. Only fields the decoder can find again in
// the transformed data are rewritten, and each rewrite is a bijection on
// the set of values that qualify, so the decoder recognizes exactly the
// fields the encoder changed.
package exefilter

import "encoding/binary"

// x86 near calls (E8) and jumps (E9) carry a 32-bit displacement from the
// end of the instruction. Displacements within ±2^24 (the top byte 00 or
// FF, as in any program under 16 MiB) are replaced by the target address
// modulo 2^25, written back as a 25-bit signed value, which again has the
// top byte 00 or FF. An E8 or E9 byte always takes the four bytes after it
// as its field, qualifying or not: then a field is changed only by its own
// opcode, the scan visits the same positions in the original and the
// transformed data, and decoding finds what encoding changed.

const (
	x86Bits = 25
	x86Mask = 1<<x86Bits - 1
)

// x86Field reports whether the 32-bit field v qualifies (its value is a
// signed 25-bit number).
func x86Field(v uint32) bool { return v>>24 == 0 || v>>24 == 0xFF }

// signExtend25 maps v mod 2^25 to the 32-bit word of the same 25-bit
// signed value.
func signExtend25(v uint32) uint32 { return uint32(int32(v<<7) >> 7) }

// X86Encode rewrites in place the displacements of the E8/E9 instructions
// of b, whose first byte sits at stream position pos.
func X86Encode(b []byte, pos uint32) { x86(b, pos, 1) }

// X86Decode undoes X86Encode.
func X86Decode(b []byte, pos uint32) { x86(b, pos, ^uint32(0)) }

// x86 adds sign·(address of the next instruction) to each qualifying
// field, modulo 2^25.
func x86(b []byte, pos uint32, sign uint32) {
	for i := 0; i+5 <= len(b); i++ {
		if b[i]&0xFE != 0xE8 {
			continue
		}
		if v := binary.LittleEndian.Uint32(b[i+1:]); x86Field(v) {
			next := pos + uint32(i) + 5
			binary.LittleEndian.PutUint32(b[i+1:], signExtend25((v+sign*next)&x86Mask))
		}
		i += 4
	}
}

// ARM64 BL instructions (top six bits 100101) carry a 26-bit word offset
// from their own address. On aligned words the offset becomes the target
// word address modulo 2^26.

// ARM64Encode rewrites in place the BL instructions of b (at stream
// positions that are multiples of 4; b starts at position pos).
func ARM64Encode(b []byte, pos uint32) { arm64(b, pos, 1) }

// ARM64Decode undoes ARM64Encode.
func ARM64Decode(b []byte, pos uint32) { arm64(b, pos, ^uint32(0)) }

func arm64(b []byte, pos uint32, sign uint32) {
	i := int(-pos & 3) // the first aligned word
	for ; i+4 <= len(b); i += 4 {
		w := binary.LittleEndian.Uint32(b[i:])
		if w>>26 != 0x25 {
			continue
		}
		pc := (pos + uint32(i)) >> 2
		w = 0x25<<26 | (w+sign*pc)&(1<<26-1)
		binary.LittleEndian.PutUint32(b[i:], w)
	}
}
