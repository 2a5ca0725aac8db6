package ngram

// gram is one distinct n-gram of order n ≥ 2 met while counting. Its id is
// its index in the order's slice (order of first appearance).
type gram struct {
	key uint64 // id of the (n-1)-gram prefix << 32 | last token: exact, fits any order
	cnt uint32 // raw count
	suf uint32 // id of the (n-1)-gram suffix (a token for n = 2)
}

func (g *gram) prefix() uint32 { return uint32(g.key >> 32) }
func (g *gram) word() uint32   { return uint32(g.key) }

// gramStore holds the grams of one order in fixed pages, so that growing
// never copies (append's growth would copy and page-fault several times the
// final size).
type gramStore struct {
	pages [][]gram
	n     int
}

const (
	gramPageBits = 16
	gramPageLen  = 1 << gramPageBits
)

func (s *gramStore) len() int { return s.n }

func (s *gramStore) at(id uint32) *gram {
	return &s.pages[id>>gramPageBits][id&(gramPageLen-1)]
}

// add appends a gram and returns its id.
func (s *gramStore) add(key uint64) uint32 {
	if s.n&(gramPageLen-1) == 0 {
		s.pages = append(s.pages, make([]gram, gramPageLen))
	}
	id := uint32(s.n)
	s.n++
	*s.at(id) = gram{key: key}
	return id
}

// countTable maps gram keys to ids: open addressing with linear probing over
// 2^bits slots, doubling at 75% load. A slot holds id+1 in its low half (0 =
// free) and the top 32 bits of the key's hash in its high half. Probing
// compares those fingerprints inside the table and touches a gram (a cache
// miss) only on a fingerprint match. The home slot is the top bits of the
// hash, so the fingerprint also gives the home in a doubled table: growing
// never reads the grams, and writes the new table in order.
type countTable struct {
	slots []uint64
	bits  uint
}

const countTableMinBits = 10

func newCountTable() countTable {
	return countTable{slots: make([]uint64, 1<<countTableMinBits), bits: countTableMinBits}
}

// mix64 is the murmur3 64-bit finalizer: every bit of h affects every
// bit of the result.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// home is the first slot probed for hash h.
func (t *countTable) home(h uint64) uint64 { return h >> (64 - t.bits) }

// candidate returns the first slot on h's probe sequence that is free or
// holds h's fingerprint.
func (t *countTable) candidate(h uint64) uint64 {
	fp := h >> 32
	mask := uint64(len(t.slots) - 1)
	for i := t.home(h); ; i = (i + 1) & mask {
		if s := t.slots[i]; s == 0 || s>>32 == fp {
			return i
		}
	}
}

// getOrInsert returns the id of key, adding a new gram to gs if it is new;
// h = mix64(key).
func (t *countTable) getOrInsert(gs *gramStore, key, h uint64) (id uint32, isNew bool) {
	fp := h >> 32
	mask := uint64(len(t.slots) - 1)
	i := t.home(h)
	for {
		s := t.slots[i]
		if s == 0 {
			break
		}
		if s>>32 == fp && gs.at(uint32(s)-1).key == key {
			return uint32(s) - 1, false
		}
		i = (i + 1) & mask
	}
	id = gs.add(key)
	t.slots[i] = fp<<32 | uint64(id+1)
	if uint64(gs.len())*4 > uint64(len(t.slots))*3 {
		t.grow()
	}
	return id, true
}

// grow doubles the table.
func (t *countTable) grow() {
	old := t.slots
	t.bits++
	t.slots = make([]uint64, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	// Scan from a free slot so that clusters wrapping around the end of the
	// old table are moved in probe order.
	start := 0
	for old[start] != 0 {
		start++
	}
	for k := range old {
		s := old[(start+k)&(len(old)-1)]
		if s == 0 {
			continue
		}
		i := (s >> 32) >> (32 - t.bits)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
