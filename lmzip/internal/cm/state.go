package cm

import "sort"

// Bit histories: a context's record of the bits seen in it, in one byte (a
// nonstationary counter state in the sense of Mahoney's PAQ7/8). A state
// stands for counts (n0, n1) of zeros and ones, bounded so that the table
// fits in a byte, and, while the counts are small, the last bit. When a bit
// is seen its count grows and the other count, if above 2, is discounted
// to about half: old evidence fades, so a context that changes its habits
// is followed quickly. A StateMap then learns what probability each state
// stands for in each kind of context (an indirect estimate), which is
// better than trusting the counts.
//
// The table is generated at start-up by the integer code below (breadth
// first from the empty state, then sorted), so it is the same on every
// platform; TestStatesGolden pins it.

// numStates bounds the states; state 0 is the empty history (n0 = n1 = 0).
const numStates = 256

var (
	stateNext  [numStates][2]uint8 // the state after a 0 or a 1
	stateN0    [numStates]uint8    // the zeros it stands for
	stateN1    [numStates]uint8    // the ones it stands for
	stateLast  [numStates]int8     // the last bit, or -1 if forgotten
	statesUsed int                 // states in use (≤ numStates)
)

// countLimit is the largest count of one bit given the count of the other
// (index 0..7; beyond, both are discounted).
var countLimit = [8]int{48, 32, 20, 14, 11, 9, 8, 8}

// lastKept: the last bit is kept while both counts are positive and
// neither exceeds this.
const lastKept = 5

// limitGiven is the largest count of one bit when the other has count o.
func limitGiven(o int) int {
	if o < len(countLimit) {
		return countLimit[o]
	}
	return o
}

type history struct{ n0, n1, last int }

func discount(n int) int {
	if n <= 2 {
		return n
	}
	return n/2 + 1
}

func (h history) norm() history {
	for {
		lo := min(h.n0, h.n1)
		switch {
		case lo >= len(countLimit):
			h.n0, h.n1 = discount(h.n0), discount(h.n1)
			continue
		case h.n0 > limitGiven(h.n1):
			h.n0 = limitGiven(h.n1)
			continue
		case h.n1 > limitGiven(h.n0):
			h.n1 = limitGiven(h.n0)
			continue
		}
		break
	}
	switch {
	case h.n0 == 0 && h.n1 == 0:
		h.last = -1
	case h.n0 == 0:
		h.last = 1
	case h.n1 == 0:
		h.last = 0
	case max(h.n0, h.n1) > lastKept:
		h.last = -1
	}
	return h
}

func (h history) next(bit int) history {
	if bit == 1 {
		h.n1++
		h.n0 = discount(h.n0)
	} else {
		h.n0++
		h.n1 = discount(h.n1)
	}
	h.last = bit
	return h.norm()
}

func init() {
	start := history{last: -1}
	seen := map[history]bool{start: true}
	list := []history{start}
	for i := 0; i < len(list); i++ {
		for bit := 0; bit < 2; bit++ {
			if n := list[i].next(bit); !seen[n] {
				seen[n] = true
				list = append(list, n)
			}
		}
	}
	if len(list) > numStates {
		panic("cm: too many bit-history states")
	}
	// A canonical order: by total count, then zeros, then the last bit.
	sort.Slice(list, func(a, b int) bool {
		x, y := list[a], list[b]
		if x.n0+x.n1 != y.n0+y.n1 {
			return x.n0+x.n1 < y.n0+y.n1
		}
		if x.n0 != y.n0 {
			return x.n0 < y.n0
		}
		return x.last < y.last
	})
	index := map[history]int{}
	for i, h := range list {
		index[h] = i
	}
	statesUsed = len(list)
	for i, h := range list {
		stateN0[i], stateN1[i], stateLast[i] = uint8(h.n0), uint8(h.n1), int8(h.last)
		stateNext[i][0] = uint8(index[h.next(0)])
		stateNext[i][1] = uint8(index[h.next(1)])
	}
	// Unused states (never reached from a valid history, but a corrupt
	// stream cannot reach them either) behave as the empty one.
	for i := len(list); i < numStates; i++ {
		stateNext[i] = stateNext[0]
	}
}

// statePrior is a state's initial probability of a one in 22 bits: (n1 +
// 1/2) / (n0 + n1 + 1), nudged toward the last bit.
func statePrior(s int) uint32 {
	n0, n1 := uint32(stateN0[s]), uint32(stateN1[s])
	p := ((2*n1 + 1) << 22) / (2*(n0+n1) + 2)
	switch stateLast[s] {
	case 1:
		p += (1<<22 - p) / 8
	case 0:
		p -= p / 8
	}
	return p
}
