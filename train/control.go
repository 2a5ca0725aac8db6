package train

import (
	"sort"

	"github.com/autoreg/autoreg"
)

// Control codes in training windows (Options.ControlWindows).
//
// A tagged sequence in the token stream reads <s> <ctl:TAG> x₁ … xₙ </s>. A
// feed-forward model trained on random windows of Context tokens sees the
// code only in windows that reach back to a sequence's start: a fraction
// of about Context/(2·n) of its predictions, a few percent for source files
// a few thousand characters long, so it barely learns to obey the code.
// CTRL (Keskar et al. 2019) avoids this by starting every training sequence
// with its domain's control code. We do the same in our layout: a window
// that does not start at its sequence's <s> gets <s> <ctl:TAG> in its
// first two input slots (TAG: the sequence of the second slot's token), so
// every window begins the way generation does (decode puts the code right
// after <s>) and every prediction in it is conditioned on the code. The
// target after <s> becomes the code, as at a real sequence start.

// controlIndex finds the control code of the sequence holding a position
// of a token stream.
type controlIndex struct {
	starts []int   // positions of BOS tokens, increasing
	codes  []int32 // the control code after each BOS, or -1
	bos    int32
}

// newControlIndex indexes the sequences of tokens. It returns an empty
// index when no sequence has a control code.
func newControlIndex(tokens []autoreg.Token, v autoreg.Vocab) controlIndex {
	c := controlIndex{bos: int32(v.BOS())}
	lo, hi := autoreg.Token(v.Base+autoreg.NumReserved), autoreg.Token(v.Size())
	tagged := false
	for i, t := range tokens {
		if t != v.BOS() {
			continue
		}
		code := int32(-1)
		if i+1 < len(tokens) && tokens[i+1] >= lo && tokens[i+1] < hi {
			code, tagged = int32(tokens[i+1]), true
		}
		c.starts = append(c.starts, i)
		c.codes = append(c.codes, code)
	}
	if !tagged {
		return controlIndex{}
	}
	return c
}

// code returns the control code of the sequence holding position p, or -1
// (no code, or p comes before the stream's first <s>).
func (c controlIndex) code(p int) int32 {
	j := sort.SearchInts(c.starts, p+1) - 1 // last start ≤ p
	if j < 0 {
		return -1
	}
	return c.codes[j]
}

// prefix gives one window (inputs x, targets y, x[0] at position p of the
// stream) the layout <s> <ctl:TAG> …: unless the window is shorter than 3,
// starts at a <s> or has one in its second slot (a sequence start is in
// view), or its second slot's sequence has no code.
func (c controlIndex) prefix(x, y []int32, p int) {
	if len(c.starts) == 0 || len(x) < 3 || x[0] == c.bos || x[1] == c.bos {
		return
	}
	if code := c.code(p + 1); code >= 0 {
		x[0], x[1], y[0] = c.bos, code, code
	}
}
