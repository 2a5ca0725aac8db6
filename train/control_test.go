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
	B := int32(bos)
	for _, tc := range []struct {
		off   int      // the window is toks[off:off+4]
		x0x1  [2]int32 // its first two inputs after prefix
		y0    int32    // its first target after prefix
		fixed bool     // left as it was
	}{
		{1, [2]int32{B, int32(ca)}, int32(ca), true},   // starts at <s>
		{0, [2]int32{0, B}, B, true},                   // <s> in the second slot
		{2, [2]int32{B, int32(ca)}, int32(ca), false},  // starts at the code: <s> put before it
		{3, [2]int32{B, int32(ca)}, int32(ca), false},  // mid-sequence
		{4, [2]int32{B, int32(ca)}, int32(ca), false},  // second slot is A's </s>
		{5, [2]int32{int32(eos), B}, B, true},          // <s> in the second slot
		{7, [2]int32{2, 2}, 2, true},                   // untagged sequence
		{8, [2]int32{2, int32(eos)}, int32(eos), true}, // second slot in the untagged sequence
		{9, [2]int32{int32(eos), B}, B, true},          // <s> in the second slot
		{11, [2]int32{B, int32(cb)}, int32(cb), false}, // mid B
	} {
		x, y := make([]int32, 4), make([]int32, 4)
		for i := range x {
			x[i] = int32(toks[min(tc.off+i, len(toks)-1)])
			y[i] = int32(toks[min(tc.off+i+1, len(toks)-1)])
		}
		x0, y0 := slices.Clone(x), slices.Clone(y)
		c.prefix(x, y, tc.off)
		if x[0] != tc.x0x1[0] || x[1] != tc.x0x1[1] || y[0] != tc.y0 || !slices.Equal(x[2:], x0[2:]) || !slices.Equal(y[1:], y0[1:]) {
			t.Errorf("window at %d: x %v y %v, want x starting %v, y[0] %d, the rest as in x %v y %v", tc.off, x, y, tc.x0x1, tc.y0, x0, y0)
		}
		if changed := !slices.Equal(x, x0) || !slices.Equal(y, y0); changed == tc.fixed {
			t.Errorf("window at %d: changed %v", tc.off, changed)
		}
	}
	if e := newControlIndex([]autoreg.Token{bos, 0, 1, eos}, v); len(e.starts) != 0 {
		t.Errorf("a stream without codes gives a non-empty index %+v", e)
	}
}

// TestControlWindows checks the batches themselves: with ControlWindows
// every window of a fully tagged stream starts with <s> and the code of its
// sequence (taking the place of its first two inputs, and of its first
// target), and otherwise equals the plain window (same seed, same offsets).
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
	ca, _ := v.Control("A")
	cb, _ := v.Control("B")
	bos := int32(v.BOS())
	T := 8
	for r := range len(ctl.xb) / T {
		x, y := ctl.xb[r*T:(r+1)*T], ctl.yb[r*T:(r+1)*T]
		px, py := plain.xb[r*T:(r+1)*T], plain.yb[r*T:(r+1)*T]
		if !slices.Equal(x[2:], px[2:]) || !slices.Equal(y[1:], py[1:]) {
			t.Fatalf("row %d: changed beyond the prefix: x %v y %v, plain x %v y %v", r, x, y, px, py)
		}
		if px[0] == bos || px[1] == bos {
			if !slices.Equal(x, px) || !slices.Equal(y, py) {
				t.Errorf("row %d has a sequence start in view but was changed: %v", r, x)
			}
			continue
		}
		// The code is that of the sequence of the second slot's token,
		// whose letters tell A (0, 1) from B (2, 3); a </s> there
		// belongs to the sequence of the first slot's letter.
		code := int32(ca)
		if l := px[1]; l == 2 || l == 3 || (l == int32(v.EOS()) && px[0] >= 2) {
			code = int32(cb)
		}
		if x[0] != bos || x[1] != code || y[0] != code {
			t.Errorf("row %d: x %v y %v (plain x %v), want <s> %d and target %d first", r, x, y, px, code, code)
		}
	}
}
