package wavfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Ints returns the samples of the data chunk as integers, interleaved
// (frame by frame, channel by channel), appended to dst: PCM samples as
// signed values of their width (8-bit samples minus 128, so silence is 0),
// A-law and μ-law decoded to 16-bit linear values. Floating-point samples
// have no integer form: they are an error.
func (f *File) Ints(dst []int32) ([]int32, error) {
	d := f.Data()
	ff := f.Format
	n := len(d) / max(1, ff.Bits/8)
	dst = grow(dst, n)
	switch {
	case ff.Encoding == PCM && ff.Bits == 8:
		for _, b := range d {
			dst = append(dst, int32(b)-128)
		}
	case ff.Encoding == PCM && ff.Bits == 16:
		for i := 0; i+1 < len(d); i += 2 {
			dst = append(dst, int32(int16(binary.LittleEndian.Uint16(d[i:]))))
		}
	case ff.Encoding == PCM && ff.Bits == 24:
		for i := 0; i+2 < len(d); i += 3 {
			dst = append(dst, int32(uint32(d[i])<<8|uint32(d[i+1])<<16|uint32(d[i+2])<<24)>>8)
		}
	case ff.Encoding == PCM && ff.Bits == 32:
		for i := 0; i+3 < len(d); i += 4 {
			dst = append(dst, int32(binary.LittleEndian.Uint32(d[i:])))
		}
	case ff.Encoding == MuLaw:
		for _, b := range d {
			dst = append(dst, int32(MuLawToLinear(b)))
		}
	case ff.Encoding == ALaw:
		for _, b := range d {
			dst = append(dst, int32(ALawToLinear(b)))
		}
	default:
		return dst, fmt.Errorf("wavfile: %d-bit %s samples have no integer form", ff.Bits, ff.Encoding)
	}
	return dst, nil
}

// Floats returns the samples of the data chunk scaled to [−1, 1),
// interleaved, appended to dst: integer PCM divided by 2^(Bits−1) (a
// 16-bit sample by 32768), A-law and μ-law decoded to 16-bit values and
// divided by 32768, floating-point samples as they are (64-bit ones
// rounded to float32).
func (f *File) Floats(dst []float32) []float32 {
	ff := f.Format
	if ff.Encoding == Float {
		d := f.Data()
		if ff.Bits == 32 {
			dst = grow(dst, len(d)/4)
			for i := 0; i+3 < len(d); i += 4 {
				dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(d[i:])))
			}
		} else {
			dst = grow(dst, len(d)/8)
			for i := 0; i+7 < len(d); i += 8 {
				dst = append(dst, float32(math.Float64frombits(binary.LittleEndian.Uint64(d[i:]))))
			}
		}
		return dst
	}
	ints, _ := f.Ints(nil) // every other encoding is an integer one
	scale := float32(1) / 32768
	if ff.Encoding == PCM {
		scale = float32(math.Ldexp(1, 1-ff.Bits))
	}
	dst = grow(dst, len(ints))
	for _, v := range ints {
		dst = append(dst, float32(v)*scale)
	}
	return dst
}

// grow makes room for n more elements.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) < n {
		t := make([]T, len(s), len(s)+n)
		copy(t, s)
		return t
	}
	return s
}

// ErrRange reports a sample outside the range of its encoding.
var ErrRange = errors.New("sample out of range")

// EncodeInts returns the data of interleaved integer samples in format f:
// PCM samples must fit the sample width (as Ints returns them: 8-bit ones
// centred on 0); A-law and μ-law are encoded from 16-bit linear values
// (a lossy step: each code stands for an interval). Floating point is an
// error; len(samples) must be a whole number of frames.
func EncodeInts(f Format, samples []int32) ([]byte, error) {
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("wavfile: %v", err)
	}
	if len(samples)%f.Channels != 0 {
		return nil, fmt.Errorf("wavfile: %d samples are not a whole number of %d-channel frames", len(samples), f.Channels)
	}
	if f.Encoding == Float {
		return nil, fmt.Errorf("wavfile: integer samples cannot be written as %s", f.Encoding)
	}
	lo, hi := int64(-1)<<(f.Bits-1), int64(1)<<(f.Bits-1)-1
	if f.Encoding != PCM {
		lo, hi = math.MinInt16, math.MaxInt16
	}
	b := make([]byte, 0, len(samples)*f.Bits/8)
	for i, v := range samples {
		if int64(v) < lo || int64(v) > hi {
			return nil, fmt.Errorf("wavfile: sample %d = %d: %w of %d-bit %s [%d, %d]", i, v, ErrRange, f.Bits, f.Encoding, lo, hi)
		}
		switch {
		case f.Encoding == MuLaw:
			b = append(b, LinearToMuLaw(int16(v)))
		case f.Encoding == ALaw:
			b = append(b, LinearToALaw(int16(v)))
		case f.Bits == 8:
			b = append(b, byte(v+128))
		case f.Bits == 16:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case f.Bits == 24:
			b = append(b, byte(v), byte(v>>8), byte(v>>16))
		default:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	}
	return b, nil
}
