package wavfile

// ITU-T G.711 companding. A code's magnitude is a 3-bit segment e and a
// 4-bit step m within it; a segment doubles the step size of the one
// below. μ-law biases the magnitude by 33 (in 14-bit units) so that the
// segments are exact powers of two: |x| + 33 = (2m + 33)·2^e, and stores
// the code with every bit inverted. A-law (13-bit units) has a linear
// first segment and stores the code with its even bits inverted (XOR
// 0x55). Linear values here are on the 16-bit scale: μ-law's reach
// ±32,124, A-law's ±32,256.

// MuLawToLinear decodes a G.711 μ-law byte to a 16-bit linear sample.
// 0xFF and 0x7F are the two zeros.
func MuLawToLinear(b byte) int16 {
	u := ^b
	e, m := uint(u>>4&7), int32(u&15)
	mag := ((2*m+33)<<e - 33) * 4
	if u&0x80 != 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// LinearToMuLaw encodes a 16-bit linear sample as G.711 μ-law: the code
// whose interval holds it (the two least significant bits are below
// μ-law's resolution), magnitudes past the last segment clipped to it.
// Zero is 0xFF.
func LinearToMuLaw(v int16) byte {
	x := int32(v) >> 2 // 14-bit, rounding toward −∞ as the standard's tables do
	sign := byte(0)
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x+33, 1<<13-1) // the top of segment 7: larger magnitudes clip
	e := byte(0)
	for x >= 64<<e && e < 7 {
		e++
	}
	m := byte(x>>(e+1)) & 15
	return ^(sign | e<<4 | m)
}

// ALawToLinear decodes a G.711 A-law byte to a 16-bit linear sample.
func ALawToLinear(b byte) int16 {
	a := b ^ 0x55
	e, m := uint(a>>4&7), int32(a&15)
	var mag int32
	if e == 0 {
		mag = 2*m + 1
	} else {
		mag = (2*m + 33) << (e - 1)
	}
	mag *= 8
	if a&0x80 != 0 {
		return int16(mag)
	}
	return int16(-mag)
}

// LinearToALaw encodes a 16-bit linear sample as G.711 A-law: the code
// whose interval holds it (three bits below A-law's resolution),
// magnitudes past the last segment clipped to it.
func LinearToALaw(v int16) byte {
	x := int32(v) >> 3 // 13-bit
	sign := byte(0x80)
	if x < 0 {
		x, sign = -x-1, 0 // the negative side is the positive one shifted by one step
	}
	x = min(x, 4095)
	e := byte(0)
	for x >= 32<<e && e < 7 {
		e++
	}
	var m byte
	if e == 0 {
		m = byte(x>>1) & 15
	} else {
		m = byte(x>>e) & 15
	}
	return (sign | e<<4 | m) ^ 0x55
}
