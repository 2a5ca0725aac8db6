package logprobs

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
)

// filler hands out a fixed row of logits and counts the calls.
type filler struct {
	row   []float32
	calls int
}

func (f *filler) fill(dst []float32) {
	f.calls++
	copy(dst, f.row)
}

func randomRow(V int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0))
	row := make([]float32, V)
	for i := range row {
		row[i] = float32(r.NormFloat64() * 3)
	}
	return row
}

// TestAgainstRows checks every answer against the row functions it
// stands for, on both paths, and that the logits are computed once per
// history.
func TestAgainstRows(t *testing.T) {
	const V = 37
	for _, ex := range []bool{false, true} {
		f := &filler{row: randomRow(V, 1)}
		c := New("fam", V, ex)
		want := make([]float32, V)
		if ex {
			exact.LogSoftmax(want, f.row)
		} else {
			nn.LogSoftmaxRow(want, f.row, make([]float32, V))
		}
		// LogProb before the log-softmax is at hand: the one-row path.
		got := c.LogProb(5, false, f.fill)
		if w := nn.LogProbRow(f.row, 5, make([]float32, V)); !ex && got != w {
			t.Errorf("fast LogProb = %v, want LogProbRow's %v", got, w)
		}
		if ex && got != float64(want[5]) {
			t.Errorf("exact LogProb = %v, want exact.LogSoftmax's %v", got, want[5])
		}
		dst := make([]float32, V)
		c.LogProbs(dst, false, f.fill)
		for i := range dst {
			if dst[i] != want[i] {
				t.Fatalf("exact=%v: LogProbs[%d] = %v, want %v", ex, i, dst[i], want[i])
			}
		}
		if got := c.LogProb(9, false, f.fill); got != float64(want[9]) {
			t.Errorf("LogProb after LogProbs = %v, want %v", got, want[9])
		}
		if f.calls != 1 {
			t.Errorf("exact=%v: fill called %d times for one history", ex, f.calls)
		}
		// A copy answers the same without computing anything.
		d := New("fam", V, ex)
		c.CopyTo(&d)
		d.LogProbs(dst, false, nil)
		if dst[3] != want[3] {
			t.Errorf("copy: LogProbs[3] = %v, want %v", dst[3], want[3])
		}
		// A changed history computes again.
		c.Stale()
		f.row = randomRow(V, 2)
		c.LogProbs(dst, false, f.fill)
		if f.calls != 2 {
			t.Errorf("exact=%v: fill called %d times after Stale, want 2", ex, f.calls)
		}
		// Logits set by the caller are used as they are.
		copy(c.Logits, randomRow(V, 3))
		c.SetLogits()
		if got, w := c.LogProb(0, false, nil), nn.LogProbRow(c.Logits, 0, make([]float32, V)); !ex && got != w {
			t.Errorf("after SetLogits: LogProb = %v, want %v", got, w)
		}
	}
}

func TestUniform(t *testing.T) {
	const V = 300
	for _, ex := range []bool{false, true} {
		c := New("fam", V, ex)
		want := -math.Log(V)
		if ex {
			want = float64(-kernels.ExactLog(V))
		}
		if got := c.LogProb(7, true, nil); got != want {
			t.Errorf("exact=%v: empty LogProb = %v, want %v", ex, got, want)
		}
		dst := make([]float32, V)
		c.LogProbs(dst, true, nil)
		for _, v := range dst {
			if v != float32(want) {
				t.Fatalf("exact=%v: empty LogProbs holds %v, want %v", ex, v, float32(want))
			}
		}
	}
}

func TestPanics(t *testing.T) {
	c := New("fam", 4, false)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"token", "fam: LogProb: token 4 outside the vocabulary of 4", func() { c.LogProb(4, true, nil) }},
		{"negative", "fam: Append: token -1 outside the vocabulary of 4", func() { c.CheckToken("Append", -1) }},
		{"dst", "fam: LogProbs: dst of length 3, vocabulary of 4", func() { c.LogProbs(make([]float32, 3), true, nil) }},
	} {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, tc.want) {
					t.Errorf("%s: panic %q, want %q", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestNoAllocation(t *testing.T) {
	const V = 50
	f := &filler{row: randomRow(V, 4)}
	c := New("fam", V, false)
	dst := make([]float32, V)
	allocs := testing.AllocsPerRun(100, func() {
		c.Stale()
		_ = c.LogProb(autoreg.Token(3), false, f.fill)
		c.LogProbs(dst, false, f.fill)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per prediction", allocs)
	}
}
