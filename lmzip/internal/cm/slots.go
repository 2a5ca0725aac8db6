package cm

// The hashed contexts' bit histories live in one table of 64-byte buckets
// (a cache line), each holding four 16-byte slots. A slot serves one
// context for one nibble of the next byte: a check byte (from the hash,
// never 0, so an empty slot never matches) and the 15 states of the
// nibble's bit tree (node 1 for its first bit, 2..3 for the second, ...).
// A context therefore costs one memory access per nibble. On a miss the
// slot whose first node has seen the fewest bits is taken over.

const slotSize = 16

// slotTable is the hashed contexts' memory.
type slotTable struct {
	t    []byte
	mask uint32 // bucket index mask
}

func newSlotTable(bits int) slotTable {
	return slotTable{t: make([]byte, 64<<bits), mask: 1<<bits - 1}
}

// slotCount: the evidence of a slot's first node, for replacement.
var slotCount [numStates]uint8

func init() {
	for s := range slotCount {
		slotCount[s] = stateN0[s] + stateN1[s]
	}
}

// find returns the offset in t of the slot of hash h, claiming (and
// clearing) one if the context is not there.
func (s *slotTable) find(h uint32) int {
	b := int(h&s.mask) << 6
	chk := byte(h >> 24)
	if chk == 0 {
		chk = 1
	}
	t := s.t[b : b+64 : b+64]
	switch chk {
	case t[0]:
		return b
	case t[16]:
		return b + 16
	case t[32]:
		return b + 32
	case t[48]:
		return b + 48
	}
	v := 0
	lo := slotCount[t[1]]
	for i := 16; i < 64; i += 16 {
		if c := slotCount[t[i+1]]; c < lo {
			v, lo = i, c
		}
	}
	clear(t[v : v+16])
	t[v] = chk
	return b + v
}
