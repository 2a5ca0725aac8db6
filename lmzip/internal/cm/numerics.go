package cm

import (
	"math/big"
	"math/bits"
	"sync"
)

// The coding path's numerics. Everything that decides a probability handed
// to the arithmetic coder, in the adaptive model and in the static mode's
// quantization of log-probabilities, is integer arithmetic on tables built
// here from integer arithmetic (math/big, which is exact on every
// platform), so the encoder and the decoder compute the same bits on
// amd64, arm64, with or without assembly, at any GOMAXPROCS. See
// docs/COMPRESSION.md.

var tabsOnce sync.Once

var (
	// expWhole[k] = e^-k, expMid[j] = e^(-j/256), expLow[i] = e^(-i/65536),
	// all rounded to Q62 fixed point.
	expWhole [ExpMaxWhole]uint64
	expMid   [256]uint64
	expLow   [256]uint64

	// squashTab[x+2047] = 2^16 / (1 + e^(-x/256)), clamped to [1, 2^16-1].
	squashTab [4095]uint16
	// stretchTab[p] = the x in [-2047, 2047] whose squash is nearest p·16+8:
	// the inverse of squash on 12-bit probabilities.
	stretchTab [4096]int16
)

// ExpMaxWhole bounds ExpNegQ16's argument: e^-48 < 2^-69, below that a
// weight is zero.
const ExpMaxWhole = 48

// bigExp returns e^(-num/den) rounded to Q62, computed with a Taylor series
// in 192-bit binary floating point.
func bigExp(num, den int64) uint64 {
	const prec = 192
	x := new(big.Float).SetPrec(prec).Quo(
		new(big.Float).SetPrec(prec).SetInt64(num),
		new(big.Float).SetPrec(prec).SetInt64(den))
	// e^x by squaring: e^x = (e^(x/2^s))^(2^s) with x/2^s < 2^-8.
	s := 0
	for x.Cmp(big.NewFloat(1.0/256)) > 0 {
		x.Quo(x, big.NewFloat(2))
		s++
	}
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 40; n++ {
		term.Mul(term, x)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(n))
		sum.Add(sum, term)
	}
	for ; s > 0; s-- {
		sum.Mul(sum, sum)
	}
	// e^-x = 1/e^x, in Q62.
	inv := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), sum)
	inv.Mul(inv, new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), 62))
	inv.Add(inv, big.NewFloat(0.5))
	v, _ := inv.Uint64()
	return v
}

// InitTables builds the tables (once); call it before ExpNegQ16. New does.
func InitTables() {
	tabsOnce.Do(func() {
		for k := range expWhole {
			expWhole[k] = bigExp(int64(k), 1)
		}
		for j := range expMid {
			expMid[j] = bigExp(int64(j), 256)
		}
		for i := range expLow {
			expLow[i] = bigExp(int64(i), 65536)
		}
		for x := -2047; x <= 2047; x++ {
			squashTab[x+2047] = squashCalc(x)
		}
		// stretch: for each 12-bit probability, the x whose squash is
		// closest (ties to the smaller |x|, by scanning upward).
		x := -2047
		for p := 0; p < 4096; p++ {
			target := int32(p*16 + 8)
			for x < 2047 && abs32(int32(squashTab[x+1+2047])-target) <= abs32(int32(squashTab[x+2047])-target) {
				x++
			}
			stretchTab[p] = int16(x)
		}
	})
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func mulQ62(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	// (a·b + 2^61) >> 62, rounded to nearest.
	lo, c := bits.Add64(lo, 1<<61, 0)
	hi += c
	return hi<<2 | lo>>62
}

// ExpNegQ16 returns e^(-y/65536) in Q32 (so 1.0 is 2^32), for y ≥ 0, by
// three table lookups and two rounded 128-bit products.
func ExpNegQ16(y int64) uint64 {
	if y <= 0 {
		return 1 << 32
	}
	w := y >> 16
	if w >= ExpMaxWhole {
		return 0
	}
	v := mulQ62(mulQ62(expWhole[w], expMid[(y>>8)&255]), expLow[y&255])
	return (v + 1<<29) >> 30
}

func squashCalc(x int) uint16 {
	neg := x < 0
	if neg {
		x = -x
	}
	e := ExpNegQ16(int64(x) * 256) // e^(-x/256) in Q32
	// 2^16 · 2^32 / (2^32 + e), rounded.
	den := uint64(1)<<32 + e
	hi, lo := bits.Mul64(1<<48, 1)
	lo, c := bits.Add64(lo, den/2, 0)
	hi += c
	q, _ := bits.Div64(hi, lo, den)
	if neg {
		q = 1<<16 - q
	}
	if q < 1 {
		q = 1
	}
	if q > 1<<16-1 {
		q = 1<<16 - 1
	}
	return uint16(q)
}

// Squash maps the logistic domain (x/256 nats, clamped to ±2047) to a 16-bit
// probability.
func Squash(x int32) int32 {
	if x > 2047 {
		x = 2047
	}
	if x < -2047 {
		x = -2047
	}
	return int32(squashTab[x+2047])
}

// Stretch maps a 12-bit probability to the logistic domain: ln(p/(1-p))·256.
func Stretch(p12 uint32) int32 { return int32(stretchTab[p12&4095]) }
