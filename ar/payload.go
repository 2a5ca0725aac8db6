package ar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The model file's family payload for "ar" (docs/FORMATS.md), all
// little-endian:
//
//	0   8   magic "ARGAR\0\0\0"
//	8   4   version (u32) = 1
//	12  4   dimension (u32) = 1
//	16  4   order p (u32, ≤ MaxOrder)
//	20  4   mixture components K (u32, 0 = Gaussian innovations, ≤ MaxMixture)
//	24  4   flags (u32): bit 0 = standardized; other bits 0
//	28  4   reserved (u32) = 0
//	32  8   mean (f64), the training values' mean
//	40  8   scale (f64, > 0), their population standard deviation
//	48  8   intercept c (f64)
//	56  8   σ² (f64, > 0), the Gaussian innovation variance
//	64  8p  φ_1 … φ_p (f64)
//	    8K  mixture weights (f64, > 0, summing to 1 within 1e-9)
//	    8K  mixture means (f64)
//	    8K  mixture variances (f64, > 0)
//
// c, σ², φ and the mixture are in the working units (standardized when
// bit 0 is set). Every float is finite; the payload is exactly 64 + 8p +
// 24K bytes. A layout change bumps the version.
const (
	payloadMagic   = "ARGAR\x00\x00\x00"
	payloadVersion = 1
	headerSize     = 64
	flagStd        = 1
)

// WriteTo writes the model's payload.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	le := binary.LittleEndian
	k := 0
	if m.Mix != nil {
		k = m.Mix.K()
	}
	b := make([]byte, 0, headerSize+8*len(m.Coef)+24*k)
	b = append(b, payloadMagic...)
	b = le.AppendUint32(b, payloadVersion)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, uint32(len(m.Coef)))
	b = le.AppendUint32(b, uint32(k))
	var flags uint32
	if m.Standardized {
		flags |= flagStd
	}
	b = le.AppendUint32(b, flags)
	b = le.AppendUint32(b, 0)
	for _, v := range []float64{m.Mean, m.Scale, m.Intercept, m.Sigma2} {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	put := func(xs []float64) {
		for _, v := range xs {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	}
	put(m.Coef)
	if m.Mix != nil {
		put(m.Mix.Weights)
		put(m.Mix.Means)
		put(m.Mix.Vars)
	}
	n, err := w.Write(b)
	return int64(n), err
}

// Read reads a payload of exactly size bytes.
func Read(r io.Reader, size int64) (*Model, error) {
	le := binary.LittleEndian
	if size < headerSize {
		return nil, fmt.Errorf("ar: payload of %d bytes, shorter than its header", size)
	}
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, errors.New("ar: truncated payload header")
	}
	if string(h[:8]) != payloadMagic {
		return nil, errors.New("ar: bad payload magic")
	}
	if v := le.Uint32(h[8:]); v != payloadVersion {
		return nil, fmt.Errorf("ar: payload version %d, this build reads %d", v, payloadVersion)
	}
	if d := le.Uint32(h[12:]); d != 1 {
		return nil, fmt.Errorf("ar: dimension %d: this build has univariate models only", d)
	}
	p, k := int64(le.Uint32(h[16:])), int64(le.Uint32(h[20:]))
	flags := le.Uint32(h[24:])
	switch {
	case p > MaxOrder:
		return nil, fmt.Errorf("ar: order %d above %d", p, MaxOrder)
	case k > MaxMixture:
		return nil, fmt.Errorf("ar: %d mixture components, at most %d", k, MaxMixture)
	case flags&^flagStd != 0 || le.Uint32(h[28:]) != 0:
		return nil, fmt.Errorf("ar: unknown flags %#x", flags)
	case size != headerSize+8*p+24*k:
		return nil, fmt.Errorf("ar: payload of %d bytes, order %d and %d components need %d", size, p, k, headerSize+8*p+24*k)
	}
	f := func(off int) float64 { return math.Float64frombits(le.Uint64(h[off:])) }
	m := &Model{Mean: f(32), Scale: f(40), Intercept: f(48), Sigma2: f(56), Standardized: flags&flagStd != 0}
	rest := make([]byte, 8*(p+3*k))
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, errors.New("ar: truncated payload")
	}
	vals := make([]float64, p+3*k)
	for i := range vals {
		vals[i] = math.Float64frombits(le.Uint64(rest[8*i:]))
	}
	m.Coef = vals[:p:p]
	if k > 0 {
		m.Mix = &Mixture{Weights: vals[p : p+k : p+k], Means: vals[p+k : p+2*k : p+2*k], Vars: vals[p+2*k:]}
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// check validates a model's numbers.
func (m *Model) check() error {
	finite := func(xs ...float64) bool {
		for _, v := range xs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case !finite(m.Mean, m.Scale, m.Intercept, m.Sigma2) || !finite(m.Coef...):
		return errors.New("ar: the model holds NaN or infinite numbers")
	case !(m.Scale > 0) || !(m.Sigma2 > 0):
		return errors.New("ar: the scale and the innovation variance must be positive")
	}
	if m.Mix == nil {
		return nil
	}
	var sum float64
	for c, w := range m.Mix.Weights {
		if !finite(w, m.Mix.Means[c], m.Mix.Vars[c]) || !(w > 0) || !(m.Mix.Vars[c] > 0) {
			return errors.New("ar: mixture weights and variances must be positive and finite")
		}
		sum += w
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("ar: mixture weights sum to %g, not 1", sum)
	}
	return nil
}
