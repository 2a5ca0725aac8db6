package exact

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/testutil"
)

// The golden hashes pin the bits of the exact kernels and of every piece
// over fixed inputs. They were computed on linux/amd64; the -tags noasm
// build and the arm64 and ARMv7 runs under qemu
// (scripts/test-lmzip-crossarch.sh) must reproduce them.

var goldenSizes = []int{1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 128, 200, 256, 257, 1024}

type hasher struct{ hash.Hash }

func (h hasher) put(v ...float32) {
	for _, f := range v {
		binary.Write(h, binary.LittleEndian, math.Float32bits(f))
	}
}

func gelu1(x float32) float32 {
	d := []float32{x}
	GELU(d, nil, d)
	return d[0]
}

// goldenKernels hashes the exact kernels' outputs and the row pieces that
// lived beside them in internal/kernels (LayerNorm, Softmax, LogSoftmax,
// GELU): the same calls in the same order as that package's golden test
// made, so its hash still holds and the bits of the static exact path
// (rnn's and gpt's NewExactState) are unchanged.
func goldenKernels() string {
	h := hasher{sha256.New()}
	r := rand.New(rand.NewPCG(2026, 11))
	for x := float32(-110); x <= 100; x += 0.0173 {
		h.put(kernels.ExactExp(x), kernels.ExactSigmoid(x), kernels.ExactTanh(x), gelu1(x), kernels.ExactLog(x), kernels.ExactLog(kernels.ExactExp(x)))
	}
	for i := uint32(0); i < 1<<31; i += 1<<31/50000 + 3 { // every binade
		h.put(kernels.ExactLog(math.Float32frombits(i)))
	}
	for _, n := range goldenSizes {
		x, y := testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n)
		h.put(kernels.ExactDot(x, y))
		w := testutil.SpreadFloats(r, 3*n)
		mv := make([]float32, 3)
		kernels.ExactMatVec(mv, w, x)
		h.put(mv...)
		kernels.ExactAxpy(0.731, x, y)
		h.put(y...)
		g := testutil.SpreadFloats(r, 3)
		kernels.ExactOuterSum(w, testutil.SpreadFloats(r, 2*3), testutil.SpreadFloats(r, 2*n), 2)
		h.put(w...)
		kernels.ExactMatTVecAdd(y, w, g)
		h.put(y...)
		p, m, v, gr := testutil.SpreadFloats(r, n), testutil.SpreadFloats(r, n), make([]float32, n), testutil.SpreadFloats(r, n)
		for i := 0; i < 3; i++ {
			kernels.ExactAdam(p, gr, m, v, 0.9, 0.1, 0.999, 0.001, 0.002, 1e-8, 1)
			copy(gr, x)
		}
		h.put(p...)
		h.put(m...)
		h.put(v...)
		ln := make([]float32, n)
		LayerNorm(ln, nil, x, m, p, 1e-5)
		h.put(ln...)
		LogSoftmax(ln, y)
		h.put(ln...)
		Softmax(y)
		h.put(y...)
		h.put(kernels.ExactSum(x))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goldenKernelsHash is goldenKernels() on linux/amd64.
const goldenKernelsHash = "06c024b46c8bcd9ebadf65c3b97f6778ac3acd7c33809b64475bb3b19480dad4"

// goldenPieces hashes every piece's forward and backward outputs.
func goldenPieces() string {
	h := hasher{sha256.New()}
	r := rand.New(rand.NewPCG(2027, 12))
	in := func(n int) []float32 { return testutil.SpreadFloats(r, n) }
	for _, H := range []int{1, 7, 32, 33, 100} {
		// Linear, 3 rows.
		C, OC := H+2, 2*H+1
		x, w, b := in(3*C), in(OC*C), in(OC)
		out := make([]float32, 3*OC)
		Linear(out, x, w, b, 3, C, OC)
		h.put(out...)
		dy, dx, dw, db := in(3*OC), in(3*C), make([]float32, OC*C), in(OC)
		LinearBackwardInput(dx, dy, w, 3, C, OC)
		LinearBackwardParams(dw, db, dy, x, 3, C, OC)
		h.put(dx...)
		h.put(dw...)
		h.put(db...)

		// LSTM cell.
		gates, cPrev := in(4*H), in(H)
		hh, c, tc := make([]float32, H), make([]float32, H), make([]float32, H)
		LSTMCell(hh, c, tc, gates, cPrev)
		h.put(gates...)
		h.put(hh...)
		h.put(c...)
		h.put(tc...)
		dgates, dcPrev := make([]float32, 4*H), make([]float32, H)
		LSTMCellBackward(dgates, dcPrev, in(H), in(H), gates, cPrev, tc)
		h.put(dgates...)
		h.put(dcPrev...)

		// GRU cell.
		xg, hg, hPrev := in(3*H), in(3*H), in(H)
		gg := make([]float32, 3*H)
		GRUCell(hh, gg, xg, hg, hPrev)
		h.put(gg...)
		h.put(hh...)
		dxg, dhg, dhPrev := make([]float32, 3*H), make([]float32, 3*H), make([]float32, H)
		GRUCellBackward(dxg, dhg, dhPrev, in(H), gg, hg, hPrev)
		h.put(dxg...)
		h.put(dhg...)
		h.put(dhPrev...)

		// LayerNorm with its backward.
		x, w, b = in(H), in(H), in(H)
		xhat, ln := make([]float32, H), make([]float32, H)
		rstd := LayerNorm(ln, xhat, x, w, b, 1e-5)
		h.put(rstd)
		h.put(ln...)
		h.put(xhat...)
		dx, dw, db = in(H), in(H), in(H)
		LayerNormBackward(dx, dw, db, in(H), xhat, w, rstd, make([]float32, H))
		h.put(dx...)
		h.put(dw...)
		h.put(db...)

		// GELU and the gated unit.
		x, sig, y := in(H), make([]float32, H), make([]float32, H)
		GELU(y, sig, x)
		h.put(y...)
		h.put(sig...)
		GELUBackward(dx, in(H), x, sig)
		h.put(dx...)
		a, bb, th, sg := in(H), in(H), make([]float32, H), make([]float32, H)
		GatedTanh(y, th, sg, a, bb)
		h.put(y...)
		da, dbb := make([]float32, H), make([]float32, H)
		GatedTanhBackward(da, dbb, in(H), th, sg)
		h.put(da...)
		h.put(dbb...)

		// Softmax gradients.
		p := in(H)
		Softmax(p)
		dp := in(H)
		SoftmaxBackward(dx, p, dp)
		h.put(dx...)
		CrossEntropyBackward(dx, p, H/2)
		h.put(dx...)

		// Attention: 5 positions, stride 2·hs.
		hs, n := H, 5
		q, k, v := in(hs), in(n*2*hs), in(n*2*hs)
		ya, pa := make([]float32, hs), make([]float32, n)
		AttentionStep(ya, pa, q, k, v, 2*hs, 0.25)
		h.put(ya...)
		h.put(pa...)
		dq, dk, dv := in(hs), in(n*2*hs), in(n*2*hs)
		AttentionStepBackward(dq, dk, dv, make([]float32, n), in(hs), pa, q, k, v, 2*hs, 0.25)
		h.put(dq...)
		h.put(dk...)
		h.put(dv...)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goldenPiecesHash is goldenPieces() on linux/amd64.
const goldenPiecesHash = "01fc9114123e4a0f70e373a9ed08677b870cceb0bd50a4f5044af2066934abdd"

func TestGolden(t *testing.T) {
	if got := goldenKernels(); got != goldenKernelsHash {
		t.Errorf("the exact kernels and row pieces hash to %s, want %s (platform or code changed the bits)", got, goldenKernelsHash)
	}
	if got := goldenPieces(); got != goldenPiecesHash {
		t.Errorf("the pieces hash to %s, want %s (platform or code changed the bits)", got, goldenPiecesHash)
	}
}
