package ngram

import "math/bits"

// Query-time storage: one open-addressing table per order n ≥ 2, probed
// linearly, in the spirit of KenLM's "probing" data structure (Heafield 2011).
//
// KenLM keys its tables with a 64-bit hash of the n-gram's words and accepts
// the (tiny) chance of a false match. We key an n-gram w1..wn by the pair
// (slot of its context w1..wn-1 in the table of order n-1, wn): the pair
// identifies the n-gram exactly, so there are no false matches, and the words
// of every stored n-gram can be recovered by following context slots down to
// the unigrams (ARPA export needs that). A query State keeps the slots of its
// context suffixes, so the keys of all orders are known before any probe.
//
// Tables have len = count + count/2 + 1 slots (KenLM's default probing
// multiplier of 1.5), so at least one slot is always free and every probe
// sequence ends.

// emptyWord marks a free slot: no vocabulary has 2^32-1 tokens.
const emptyWord = ^uint32(0)

// midEntry is an n-gram of an order that has a higher order above it.
type midEntry struct {
	ctx  uint32  // slot of the context in the table one order down (a token id for bigrams)
	word uint32  // last token of the n-gram; emptyWord marks a free slot
	prob float32 // log10 P(word | context)
	bo   float32 // log10 backoff weight of this n-gram as a context
}

// topEntry is an n-gram of the highest order: no backoff.
type topEntry struct {
	ctx  uint32
	word uint32
	prob float32
}

// slotHash mixes a (context, word) key (mix64).
func slotHash(ctx, word uint32) uint64 { return mix64(uint64(ctx)<<32 | uint64(word)) }

// home maps a hash to a slot in [0, n) without a division (Lemire's
// multiply-shift range reduction).
func home(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// tableLen is the number of slots for count entries.

func tableLen(count int) int { return count + count/2 + 1 }

func newMidTable(count int) []midEntry {
	t := make([]midEntry, tableLen(count))
	for i := range t {
		t[i].word = emptyWord
	}
	return t
}

func newTopTable(count int) []topEntry {
	t := make([]topEntry, tableLen(count))
	for i := range t {
		t[i].word = emptyWord
	}
	return t
}

// findMid returns the slot of (ctx, word) or -1.
func findMid(t []midEntry, ctx, word uint32) int {
	return probeMid(t, ctx, word, home(slotHash(ctx, word), len(t)))
}

// probeMid is findMid starting from the home slot i.
func probeMid(t []midEntry, ctx, word uint32, i int) int {
	n := len(t)
	for {
		e := &t[i]
		if e.word == word && e.ctx == ctx {
			return i
		}
		if e.word == emptyWord {
			return -1
		}
		i++
		if i == n {
			i = 0
		}
	}
}

// findTop returns the slot of (ctx, word) or -1.
func findTop(t []topEntry, ctx, word uint32) int {
	return probeTop(t, ctx, word, home(slotHash(ctx, word), len(t)))
}

// probeTop is findTop starting from the home slot i.
func probeTop(t []topEntry, ctx, word uint32, i int) int {
	n := len(t)
	for {
		e := &t[i]
		if e.word == word && e.ctx == ctx {
			return i
		}
		if e.word == emptyWord {
			return -1
		}
		i++
		if i == n {
			i = 0
		}
	}
}

// insertMid stores an entry and returns its slot; dup reports that the key
// was already present (the table is unchanged then). steps counts probes, so
// that a reader of untrusted input can bound the work a crafted file causes.
// The caller guarantees a free slot remains.
func insertMid(t []midEntry, e midEntry, steps *int) (slot int, dup bool) {
	n := len(t)
	i := home(slotHash(e.ctx, e.word), n)
	for {
		*steps++
		s := &t[i]
		if s.word == emptyWord {
			*s = e
			return i, false
		}
		if s.word == e.word && s.ctx == e.ctx {
			return i, true
		}
		i++
		if i == n {
			i = 0
		}
	}
}

// insertTop is insertMid for the highest order.
func insertTop(t []topEntry, e topEntry, steps *int) (slot int, dup bool) {
	n := len(t)
	i := home(slotHash(e.ctx, e.word), n)
	for {
		*steps++
		s := &t[i]
		if s.word == emptyWord {
			*s = e
			return i, false
		}
		if s.word == e.word && s.ctx == e.ctx {
			return i, true
		}
		i++
		if i == n {
			i = 0
		}
	}
}

// fillBatch is the number of entries whose home slots are touched together
// before they are inserted: their cache misses then overlap instead of
// queueing one behind the other.
const fillBatch = 64

// insertMidBatch inserts es (at most fillBatch entries) and writes their
// slots to out. It returns the index of the first duplicate, or -1.
func insertMidBatch(t []midEntry, es []midEntry, out []uint32, steps *int) int {
	var homes [fillBatch]int
	var sink uint32
	n := len(t)
	for i := range es {
		h := home(slotHash(es[i].ctx, es[i].word), n)
		homes[i] = h
		sink += t[h].word
	}
	for i := range es {
		j := homes[i]
		for {
			*steps++
			s := &t[j]
			if s.word == emptyWord {
				*s = es[i]
				out[i] = uint32(j)
				break
			}
			if s.word == es[i].word && s.ctx == es[i].ctx {
				return i
			}
			j++
			if j == n {
				j = 0
			}
		}
	}
	if sink == 0x9e3779b9 { // keeps the touching loads alive
		*steps++
	}
	return -1
}

// insertTopBatch is insertMidBatch for the highest order.
func insertTopBatch(t []topEntry, es []topEntry, steps *int) int {
	var homes [fillBatch]int
	var sink uint32
	n := len(t)
	for i := range es {
		h := home(slotHash(es[i].ctx, es[i].word), n)
		homes[i] = h
		sink += t[h].word
	}
	for i := range es {
		j := homes[i]
		for {
			*steps++
			s := &t[j]
			if s.word == emptyWord {
				*s = es[i]
				break
			}
			if s.word == es[i].word && s.ctx == es[i].ctx {
				return i
			}
			j++
			if j == n {
				j = 0
			}
		}
	}
	if sink == 0x9e3779b9 {
		*steps++
	}
	return -1
}
