package legacy

import "github.com/autoreg/autoreg/lmzip/internal/cm"

// The context-mixing model of configurations in the original spelling
// ("cm o=... w=... m=... h=... l=... r=... x=... a=..."): bitwise context
// mixing with 22-bit probability counters per context, one or three
// mixers with a second layer, and up to two SSE stages (docs/COMPRESSION.md,
// "Adaptive mode"). Every adaptive file written before the content-aware
// engine used it, and its presets' bytes are pinned by
// testdata/adaptive-{ngram,mix}.golden in lmzip.

// CMConfig is the context-mixing part of an adaptive configuration; lmzip's
// AdaptiveConfig documents and checks the fields.
type CMConfig struct {
	Orders   []int // byte-context orders besides 0: 1 direct, 2..8 hashed
	Word     bool  // two word contexts
	Match    int   // the match model's minimum length (0 = none)
	HashBits int   // log2 of the 64-byte buckets per hashed context
	Limit    int   // the counters' count limit
	LR       int   // the mixers' learning rate
	Mixers   int   // 1 or 3
	APM      int   // SSE stages, 0..2
}

// Memory is the model's approximate memory use in bytes without its
// predictors (address space; the order-2 table is touched only where
// contexts occur).
func (c CMConfig) Memory() int64 {
	nh := 0
	var m int64 = (256 + 1<<17) * 4
	for _, o := range c.Orders {
		if o >= 2 {
			nh++
		}
	}
	if c.Word {
		nh += 2
	}
	m += int64(nh) * 64 << c.HashBits
	if c.Match > 0 {
		m += 1<<matchBufBits + 4<<matchTabBits
	}
	if c.APM >= 2 {
		m += 65536 * 33 * 2
	}
	return m
}

// Model is the adaptive predictor: P(next bit = 1) from the bytes and bits
// seen so far, updated after every bit.
type Model struct {
	cfg   CMConfig
	limit uint32

	// All counters live in one slice: order 0 (indexed by the partial byte
	// c0) at 0, order 1 at 256 (a direct table laid out by nibble:
	// ((c1<<5 | nibctx)<<4) | nib, nibctx 0 for the high nibble and 16+hi
	// for the low one, so each nibble's 15 nodes share a cache line), then
	// one table per hashed context (orders ≥ 2, then word contexts) of
	// 16-slot buckets: slot 0 a check value, slots 1..15 the nodes of a
	// nibble's bit tree.
	t      []uint32
	toff   []int // offset of each hashed table in t (a multiple of 32)
	hmask  uint32
	orders []int
	hashes []uint32 // per hashed context, its hash for the current byte
	bkt    []int    // per hashed context, the bucket of the current nibble (absolute)

	x   []int32 // mixer inputs
	ptr []int   // the counter behind each counter input (index into t)

	mixers []*cm.Mixer
	final  *cm.Mixer
	xf     []int32
	apms   []*cm.APM

	c0  uint32 // the partial byte with a leading 1
	nib uint32 // the partial nibble with a leading 1
	// nibctx selects the direct tables' nibble row: 0 for the high nibble,
	// 16 + the high nibble for the low one
	nibctx int
	bpos   int
	c8     uint64 // the last 8 bytes

	word, word1 uint32

	// match model
	mbuf  []byte
	mmask uint32
	mpos  uint32 // bytes seen, modulo 2^32 (the same on 32- and 64-bit platforms)
	mtab  []uint32
	mlen  int
	mptr  uint32
	mmiss bool
	msm   []uint32 // counters by (length bucket, expected bit)
	mslot int

	nets []cm.Predictor // the online neural predictors

	pr int32 // the final probability, 16-bit
}

const (
	matchBufBits = 22
	matchTabBits = 20
)

// NewCM returns the model of configuration cfg (checked by the caller) with
// the byte predictors nets as mixer inputs, ready to predict the first bit.
func NewCM(cfg CMConfig, nets []cm.Predictor) *Model {
	cm.InitTables()
	m := &Model{cfg: cfg, limit: uint32(cfg.Limit), nets: nets}
	base := 256 + 1<<17
	for _, o := range cfg.Orders {
		if o >= 2 {
			m.orders = append(m.orders, o)
		}
	}
	nh := len(m.orders)
	if cfg.Word {
		nh += 2
	}
	m.hmask = 1<<cfg.HashBits - 1
	m.t = make([]uint32, base+nh*16<<cfg.HashBits)
	for i := 0; i < nh; i++ {
		m.toff = append(m.toff, base+i*16<<cfg.HashBits)
	}
	m.hashes = make([]uint32, nh)
	m.bkt = make([]int, nh)
	nd := 2            // direct tables
	nin := nd + nh + 1 // direct, hashed, bias
	if cfg.Match > 0 {
		nin++
		m.mbuf = make([]byte, 1<<matchBufBits)
		m.mmask = 1<<matchBufBits - 1
		m.mtab = make([]uint32, 1<<matchTabBits)
		m.msm = make([]uint32, 64*2)
	}
	nin += len(m.nets)
	m.x = make([]int32, nin)
	m.ptr = make([]int, nd+nh)
	m.mixers = append(m.mixers, cm.NewMixer(nin, 256, cfg.LR, 1<<14))
	if cfg.Mixers == 3 {
		m.mixers = append(m.mixers, cm.NewMixer(nin, 64*8, cfg.LR, 1<<14), cm.NewMixer(nin, 256, cfg.LR, 1<<14))
		m.final = cm.NewMixer(3, 8, 2, 1<<16/3)
		m.xf = make([]int32, 3)
	}
	if cfg.APM >= 1 {
		m.apms = append(m.apms, cm.NewAPM(256, 7))
	}
	if cfg.APM >= 2 {
		m.apms = append(m.apms, cm.NewAPM(65536, 7))
	}
	m.c0, m.nib = 1, 1
	m.startByte()
	m.predict()
	return m
}

// startByte computes the contexts' hashes after a byte boundary.
func (m *Model) startByte() {
	for i, o := range m.orders {
		ctx := m.c8
		if o < 8 {
			ctx &= 1<<(8*uint(o)) - 1
		}
		m.hashes[i] = cm.Hash(ctx, uint64(o))
	}
	if m.cfg.Word {
		n := len(m.orders)
		m.hashes[n] = cm.Hash(uint64(m.word)<<8|m.c8&0xFF, 100)
		m.hashes[n+1] = cm.Hash(uint64(m.word)<<32|uint64(m.word1), 101)
	}
	m.lookup(0)
}

// lookup selects the buckets for the nibble starting now (hi = the high
// nibble of the byte with its leading 1, or 0 for the first nibble). Two
// adjacent buckets are probed; a miss replaces the less used one.
func (m *Model) lookup(hi uint32) {
	t := m.t
	// First pass: compute every bucket and load its check, so the cache
	// misses of all contexts overlap instead of queueing behind branches.
	var chk, got [16]uint32
	for i, h := range m.hashes {
		if hi != 0 {
			h = cm.Hash(uint64(h), uint64(hi))
		}
		chk[i] = h | 1 // never 0, which marks an empty bucket
		b := m.toff[i] + int(h>>8&m.hmask)<<4
		m.bkt[i] = b
		got[i] = t[b]
	}
	for i := range m.hashes {
		b := m.bkt[i]
		c := chk[i]
		switch {
		case got[i] == c:
		case t[b^16] == c: // toff is a multiple of 32 slots
			b ^= 16
		default:
			// Replace the bucket whose first node has seen fewer bits.
			if t[b^16+1]&1023 < t[b+1]&1023 {
				b ^= 16
			}
			t[b] = c
			clear(t[b+1 : b+16])
		}
		m.bkt[i] = b
	}
}

// predict computes m.pr, the probability that the next bit is 1.
func (m *Model) predict() {
	x := m.x
	ptr := m.ptr
	ptr[0] = int(m.c0)
	nib := int(m.nib)
	nctx := m.nibctx
	ptr[1] = 256 + (int(m.c8&0xFF)<<5|nctx)<<4 | nib
	k := 2
	for i, b := range m.bkt {
		ptr[k+i] = b + nib
	}
	t := m.t
	x = x[:len(x):len(x)]
	for i, p := range ptr {
		x[i] = cm.Stretch(cm.CounterP12(t[p]))
	}
	k = len(m.ptr)
	x[k] = 256
	k++
	mctx := 0
	if m.cfg.Match > 0 {
		x[k] = 0
		if m.mlen > 0 && !m.mmiss {
			exp := uint32(m.mbuf[m.mptr&m.mmask]) | 256
			if exp>>(8-uint(m.bpos)) == m.c0 {
				ebit := int(exp>>(7-uint(m.bpos))) & 1
				l := m.mlen
				if l > 15 {
					l = 15 + (l-15)/8
					if l > 31 {
						l = 31
					}
				}
				m.mslot = l<<1 | ebit
				x[k] = cm.Stretch(cm.CounterP12(m.msm[m.mslot]))
				mctx = l + 1
			} else {
				m.mmiss = true
			}
		}
		if mctx == 0 {
			m.mslot = -1
		}
		k++
	}
	for _, n := range m.nets {
		x[k] = cm.Stretch(n.P12(m.c0))
		k++
	}
	var d int32
	if m.final == nil {
		d = m.mixers[0].Mix(x, int(m.c0))
	} else {
		m.xf[0] = m.mixers[0].Mix(x, int(m.c0))
		if mctx > 31 {
			mctx = 31
		}
		m.xf[1] = m.mixers[1].Mix(x, mctx<<3|m.bpos)
		m.xf[2] = m.mixers[2].Mix(x, int(m.c8&0xFF))
		d = m.final.Mix(m.xf, m.bpos)
	}
	p := cm.Squash(d)
	switch len(m.apms) {
	case 1:
		p = (p + 3*m.apms[0].Refine(d, int(m.c0))) >> 2
	case 2:
		a := m.apms[0].Refine(d, int(m.c0))
		b := m.apms[1].Refine(d, int(m.c0|uint32(m.c8&0xFF)<<8))
		p = (2*p + 3*a + 3*b) >> 3
	}
	if p < 1 {
		p = 1
	}
	if p > 65535 {
		p = 65535
	}
	m.pr = p
}

// P returns P(next bit = 1) in 16 bits.
func (m *Model) P() uint32 { return uint32(m.pr) }

// Update learns the coded bit and prepares the next prediction.
func (m *Model) Update(bit int) {
	t := m.t
	for _, p := range m.ptr {
		cm.CounterUpdate(&t[p], bit, m.limit)
	}
	if m.cfg.Match > 0 && m.mslot >= 0 {
		cm.CounterUpdate(&m.msm[m.mslot], bit, 1023)
	}
	for _, mx := range m.mixers {
		mx.Update(m.x, bit)
	}
	if m.final != nil {
		m.final.Update(m.xf, bit)
	}
	for _, a := range m.apms {
		a.Update(bit)
	}
	m.c0 = m.c0<<1 | uint32(bit)
	m.nib = m.nib<<1 | uint32(bit)
	m.bpos++
	if m.bpos == 8 {
		m.endByte(byte(m.c0))
		m.c0, m.nib, m.bpos, m.nibctx = 1, 1, 0, 0
		m.startByte()
	} else if m.bpos == 4 {
		m.nib = 1
		m.nibctx = int(m.c0)
		m.lookup(m.c0)
	}
	m.predict()
}

func (m *Model) endByte(c byte) {
	m.c8 = m.c8<<8 | uint64(c)
	for _, n := range m.nets {
		n.Update(c)
	}
	if m.cfg.Word {
		lc := c
		if lc >= 'A' && lc <= 'Z' {
			lc += 'a' - 'A'
		}
		if lc >= 'a' && lc <= 'z' || lc >= 0x80 {
			m.word = (m.word + uint32(lc) + 1) * 0x2F0B4C27
		} else if m.word != 0 {
			m.word1, m.word = m.word, 0
		}
	}
	if m.cfg.Match > 0 {
		if m.mlen > 0 && !m.mmiss && m.mbuf[m.mptr&m.mmask] == c {
			if m.mlen < 65535 {
				m.mlen++
			}
			m.mptr++
		} else {
			m.mlen = 0
		}
		m.mmiss = false
		m.mbuf[m.mpos&m.mmask] = c
		m.mpos++
		if m.mpos >= uint32(m.cfg.Match) {
			ml := uint(m.cfg.Match)
			ctx := m.c8
			if ml < 8 {
				ctx &= 1<<(8*ml) - 1
			}
			h := cm.Hash(ctx, 7777) >> (32 - matchTabBits)
			if m.mlen == 0 {
				cand := m.mtab[h]
				if cand > 0 && m.mpos-cand < uint32(len(m.mbuf)-16) {
					// Count how far back the match goes (capped).
					n := uint32(0)
					for n < 64 && n < cand && m.mbuf[(cand-1-n)&m.mmask] == m.mbuf[(m.mpos-1-n)&m.mmask] {
						n++
					}
					if n >= uint32(m.cfg.Match) {
						m.mlen, m.mptr = int(n), cand
					}
				}
			}
			m.mtab[h] = m.mpos
		}
	}
}
