package train

import (
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
)

// ctlVocab: letters a..d (0..3), then <s> </s> <unk>, then codes A and B.
var ctlVocab = autoreg.Vocab{Base: 4, Controls: []string{"A", "B"}}

func TestControlIndex(t *testing.T) {
	v := ctlVocab
	bos, eos := v.BOS(), v.EOS()
	ca, _ := v.Control("A")
	cb, _ := v.Control("B")
	// pos: 0  1    2   3  4  5    6    7  8  9    10   11  12 13
	toks := []autoreg.Token{0, bos, ca, 1, 1, eos, bos, 2, 2, eos, bos, cb, 3, eos}
	c := newControlIndex(toks, v)
	want := []int32{-1, int32(ca), int32(ca), int32(ca), int32(ca), int32(ca), -1, -1, -1, -1, int32(cb), int32(cb), int32(cb), int32(cb)}
	for p, w := range want {
		if got := c.code(p); got != w {
			t.Errorf("code(%d) = %d, want %d", p, got, w)
		}
	}
	for _, tc := range []struct {
		off  int   // the window is toks[off:off+4], its first target at off+1
		want int32 // x[0] after prefix
	}{
		{1, int32(bos)}, // starts at <s>: unchanged
		{2, int32(ca)},  // starts at the code itself
		{3, int32(ca)},  // mid-sequence: the code comes first
		{4, int32(ca)},  // last text token of A, first target </s>
		{5, int32(eos)}, // first target is the next <s>: that sequence has no code
		{7, 2},          // untagged sequence: unchanged
		{9, int32(cb)},  // first target <s> of B (ignored), the rest is B's
		{11, int32(cb)}, // mid B
		{0, int32(ca)},  // first target <s> of A: x[0] becomes A's code
	} {
		x := make([]int32, 4)
		for i := range x {
			x[i] = int32(toks[min(tc.off+i, len(toks)-1)])
		}
		rest := slices.Clone(x[1:])
		c.prefix(x, tc.off+1)
		if x[0] != tc.want || !slices.Equal(x[1:], rest) {
			t.Errorf("window at %d: %v, want x[0] = %d and the rest %v", tc.off, x, tc.want, rest)
		}
	}
	if e := newControlIndex([]autoreg.Token{bos, 0, 1, eos}, v); len(e.starts) != 0 {
		t.Errorf("a stream without codes gives a non-empty index %+v", e)
	}
}

// TestControlWindows checks the batches themselves: with ControlWindows
// every window of a fully tagged stream starts with <s> or with the code
// of its first target's sequence, and differs from the plain window (same
// seed, same offsets) in that first input only.
func TestControlWindows(t *testing.T) {
	v := ctlVocab
	var toks []autoreg.Token
	for i := range 40 { // sequences of 30 letters: A uses a and b, B uses c and d
		code, _ := v.Control([]string{"A", "B"}[i%2])
		toks = append(toks, v.BOS(), code)
		for j := range 30 {
			toks = append(toks, autoreg.Token(2*(i%2)+(i*7+j*3)%2))
		}
		toks = append(toks, v.EOS())
	}
	run := func(on bool) *Trainer {
		m, err := gpt.New(gpt.Config{Layers: 1, Dim: 8, Heads: 1, Context: 8}, v, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(m, Options{Batch: 16, Context: 8, Steps: 1, LR: 1e-3, Seed: 3, ControlWindows: on})
		if err != nil {
			t.Fatal(err)
		}
		if on {
			tr.ctl = newControlIndex(toks, v)
		}
		for range 20 {
			tr.fillBatch(toks)
		}
		return tr
	}
	plain, ctl := run(false), run(true)
	if !slices.Equal(plain.yb, ctl.yb) {
		t.Fatal("ControlWindows changes the targets")
	}
	ca, _ := v.Control("A")
	cb, _ := v.Control("B")
	T := 8
	for r := range len(ctl.xb) / T {
		x, px, y := ctl.xb[r*T:(r+1)*T], plain.xb[r*T:(r+1)*T], ctl.yb[r*T:(r+1)*T]
		if !slices.Equal(x[1:], px[1:]) {
			t.Fatalf("row %d: inputs after the first differ: %v vs %v", r, x, px)
		}
		switch {
		case px[0] == int32(v.BOS()):
			if x[0] != px[0] {
				t.Errorf("row %d starts at <s> but was changed: %v", r, x)
			}
		case y[0] == 0 || y[0] == 1:
			if x[0] != int32(ca) {
				t.Errorf("row %d: first target %d is A's, first input %d", r, y[0], x[0])
			}
		case y[0] == 2 || y[0] == 3:
			if x[0] != int32(cb) {
				t.Errorf("row %d: first target %d is B's, first input %d", r, y[0], x[0])
			}
		default:
			if x[0] != int32(ca) && x[0] != int32(cb) {
				t.Errorf("row %d: first input %d is not a code: %v", r, x[0], x)
			}
		}
	}
}
