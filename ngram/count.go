package ngram

// countTable assigns dense ids to the n-grams of one order while counting.
// An n-gram w1..wn is keyed by (id of w1..wn-1 at order n-1) << 32 | wn, so a
// key is exact and packs into one uint64 for any order. Open addressing with
// linear probing over a power-of-two table that doubles at 70% load; no
// allocation per n-gram.
type countTable struct {
	slots []countSlot
	mask  uint64
	n     int
}

type countSlot struct {
	key uint64
	id  uint32 // id+1; 0 marks a free slot
}

func newCountTable(size int) countTable {
	n := 1024
	for n < size {
		n <<= 1
	}
	return countTable{slots: make([]countSlot, n), mask: uint64(n - 1)}
}

func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// getOrInsert returns the id of key, giving it the next id if it is new.
func (t *countTable) getOrInsert(key uint64) (id uint32, isNew bool) {
	i := mix64(key) & t.mask
	for {
		s := &t.slots[i]
		if s.id == 0 {
			break
		}
		if s.key == key {
			return s.id - 1, false
		}
		i = (i + 1) & t.mask
	}
	id = uint32(t.n)
	t.n++
	t.slots[i] = countSlot{key: key, id: id + 1}
	if uint64(t.n)*10 > uint64(len(t.slots))*7 {
		t.grow()
	}
	return id, true
}

func (t *countTable) grow() {
	old := t.slots
	t.slots = make([]countSlot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := mix64(s.key) & t.mask
		for t.slots[i].id != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}
