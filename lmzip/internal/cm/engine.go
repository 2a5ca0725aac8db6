package cm

// Model is the content-aware context-mixing model: bit-history states in
// direct tables (orders 0..2) and in a hashed slot table (everything
// else), a StateMap per input, match models, a two-layer mixer and SSE
// stages. Which contexts feed the mixer depends on the kind of data being
// coded (SetKind): text, executable code, fixed-length records, generic
// binary. See docs/COMPRESSION.md.
type Model struct {
	cfg Config

	// Bit histories: order 0 at 0 (by c0), order 1 at o1 (c1<<8 | c0),
	// order 2 at o2 (c2<<16 | c1<<8 | c0), in one slice with no check;
	// hashed contexts in slots.
	direct []byte
	slots  slotTable

	// The kind of data and its contexts.
	kind  Kind
	ctxs  []ctxID         // the hashed contexts of the current kind
	hctx  [maxCtxs]uint32 // their hashes for the current byte
	slot  [maxCtxs]int    // their slots for the current nibble (offsets in slots.t)
	idx   []int           // every bit-history input's state for the current bit (direct: offset in direct; hashed: in slots.t)
	sms   []stateMap      // one per bit-history input, per kind (kinds × inputs)
	smt   []uint32        // the maps' tables, one after another (sms[i].t is smt[i*numStates:])
	smOff int             // the current kind's first map
	ndir  int             // direct inputs (orders 0..2)
	nctx  int             // hashed inputs (the most any kind has)

	mms []*matchModel
	mx  *mixer2
	sel []int // the first layer's selections

	apms []*apm2

	// History.
	hist []byte
	hm   uint32
	pos  uint32 // bytes seen, modulo 2^32
	c0   uint32 // the partial byte with a leading 1
	nib  uint32 // the partial nibble with a leading 1
	bpos int
	c4   uint32 // the last 4 bytes
	c8   uint64 // the last 8 bytes

	// Text state.
	word0, word1, word2 uint32 // hashes of the current and previous words
	lineStart           uint32 // position of the current line's first byte
	prevLineStart       uint32

	// Indirect contexts: the bytes that followed each 1- and 2-byte context.
	ind1 [256]uint16
	ind2 []uint16

	nets []Predictor

	pr    int32 // the final probability of a one, 16 bits
	touch byte  // lookup's early reads of its buckets
	skip1 bool  // the first SSE stage did not refine the last prediction

	// The fast profile's code path (fast.go), when fast is set.
	fast  bool
	fsm   *[(fastInputs - 2) * numStates]uint32 // the current kind's state maps (smt from smOff)
	fx    [fastInputs]int32                     // the mixer's inputs
	fidx  [fastInputs]int                       // the bit-history inputs' states, as idx
	fsel  int                                   // the mixer's weight set (offset in mx.w)
	fpr12 int32                                 // the mixer's output, 12 bits
}

// Kind is a kind of data, which selects the model's contexts.
type Kind uint8

// Kinds of data.
const (
	KindBinary     Kind = iota // anything: byte contexts, sparse and indirect ones
	KindText                   // words, columns
	KindExe                    // executable code (after the address transform)
	KindRecord                 // fixed-length records
	KindCompressed             // already compressed: orders 0-2 and the match models only (repeats)
	KindARM64                  // ARM64 code (after the address transform): contexts aligned to the 4-byte words (light profile)
	numKinds
)

type ctxID uint8

const (
	ctxO3 ctxID = iota
	ctxO4
	ctxO5
	ctxO6
	ctxO7
	ctxO8
	ctxWord0   // the current word (letters, case-folded) and the previous byte
	ctxWord1   // current and previous word
	ctxWord2   // current and the two previous words
	ctxWordSk  // current word and the one before the previous
	ctxColumn  // text column and the byte above
	ctxSparse2 // byte -2
	ctxSparse3 // byte -3
	ctxSparse23
	ctxSparse4
	ctxInd1 // byte -1 and the bytes that followed it before
	ctxInd2 // bytes -2..-1 and the bytes that followed them before
)

// Config is the model's configuration (lmzip's configuration text spells
// it out).
type Config struct {
	HashBits int   // log2 of the slot table's 64-byte buckets
	HistBits int   // log2 of the history buffer (match models)
	Match    []int // the match models' minimum lengths
	APM      int   // SSE stages, 0..3
	Limit    int   // the state maps' count limit
	LR, LR2  int   // the mixer's rates (first and second layer)
	// Light selects the light profile, for speed: three or four contexts
	// per kind (ARM64's aligned to the instruction words) and two
	// first-layer neurons (the partial byte, with ARM64's alignment; the
	// match state and bit position) instead of four.
	Light bool
	// Fast (with Light) selects the fast profile, for the default level's
	// speed: three contexts per kind, one neuron whose weight set is
	// chosen by the partial byte (with ARM64's alignment) and the match
	// state, no second layer, and a first SSE stage that refines only
	// the bits the match model predicts; with one match model and no
	// predictors it runs on a code path of its own (fast.go).
	Fast bool
}

var kindCtxs = [numKinds][]ctxID{
	KindBinary:     {ctxO3, ctxO4, ctxO6, ctxSparse2, ctxSparse3, ctxSparse23, ctxInd1, ctxInd2},
	KindText:       {ctxO3, ctxO4, ctxO5, ctxO6, ctxO8, ctxWord0, ctxWord1, ctxWord2, ctxColumn, ctxInd1},
	KindExe:        {ctxO3, ctxO4, ctxO6, ctxSparse2, ctxSparse3, ctxSparse23, ctxSparse4, ctxInd1, ctxInd2},
	KindRecord:     {ctxO3, ctxO4, ctxO6, ctxSparse2, ctxSparse3, ctxInd1},
	KindCompressed: {},
	KindARM64:      nil, // KindExe's
}

// kindCtxsLight are the light profile's contexts.
var kindCtxsLight = [numKinds][]ctxID{
	KindBinary:     {ctxO3, ctxO4, ctxSparse4, ctxInd1},
	KindText:       {ctxO3, ctxO4, ctxO6, ctxWord0},
	KindExe:        {ctxO3, ctxO4, ctxSparse23},
	KindRecord:     {ctxO3, ctxO4, ctxSparse4, ctxInd1},
	KindCompressed: {},
	KindARM64:      {ctxO3, ctxO4, ctxSparse23, ctxSparse4},
}

// kindCtxsFast are the fast profile's contexts: three per kind (but none
// for compressed data), which the fast path's unrolled code expects.
var kindCtxsFast = [numKinds][]ctxID{
	KindBinary:     {ctxO3, ctxSparse4, ctxInd1},
	KindText:       {ctxO3, ctxO5, ctxWord0},
	KindExe:        {ctxO3, ctxO4, ctxSparse23},
	KindRecord:     {ctxO3, ctxSparse4, ctxInd1},
	KindCompressed: {},
	KindARM64:      {ctxO3, ctxSparse23, ctxSparse4},
}

const maxCtxs = 12

// maxCtxs is the most hashed contexts any kind of the profile has.
func (c Config) maxCtxs() int {
	if !c.Light {
		return maxCtxs
	}
	kinds := &kindCtxsLight
	if c.Fast {
		kinds = &kindCtxsFast
	}
	n := 0
	for _, l := range kinds {
		n = max(n, len(l))
	}
	return n
}

// NewModel returns the model of cfg with the byte predictors nets as mixer
// inputs, ready to predict the first bit of binary data.
func NewModel(cfg Config, nets []Predictor) *Model {
	InitTables()
	m := &Model{cfg: cfg, nets: nets}
	m.direct = make([]byte, 256+1<<16+1<<24)
	m.slots = newSlotTable(cfg.HashBits)
	m.ndir = 3
	m.nctx = cfg.maxCtxs()
	ninputs := m.ndir + m.nctx
	m.sms = make([]stateMap, int(numKinds)*ninputs)
	m.smt = make([]uint32, len(m.sms)*numStates)
	for i := range m.sms {
		t := m.smt[i*numStates : (i+1)*numStates : (i+1)*numStates]
		for j := range t {
			t[j] = statePrior(j) << 10
		}
		m.sms[i] = stateMap{t: t, limit: uint32(cfg.Limit)}
	}
	m.idx = make([]int, ninputs)
	m.hist = make([]byte, 1<<cfg.HistBits)
	m.hm = 1<<cfg.HistBits - 1
	for _, l := range cfg.Match {
		m.mms = append(m.mms, newMatchModel(l, cfg.matchBits()))
	}
	m.ind2 = make([]uint16, 1<<16)
	nin := ninputs + len(m.mms) + len(nets) + 1
	// Selectors: partial byte; match state and bit position; previous
	// byte; kind and bit position.
	sets := []int{256, 32 * 8, 256, int(numKinds) * 8}
	if cfg.Light { // the partial byte (and ARM64's alignment); the match state
		sets = []int{256 * 4, 32 * 8}
	}
	if cfg.Fast { // the partial byte, ARM64's alignment and the match state
		sets = []int{256 * 4 * 4}
	}
	m.mx = newMixer2(nin, sets, 8, cfg.LR, cfg.LR2)
	m.sel = make([]int, len(sets))
	switch {
	case cfg.APM >= 1 && cfg.Fast: // by the match length and expected bit (refine)
		m.apms = append(m.apms, newAPM2(64, 7))
	case cfg.APM >= 1:
		m.apms = append(m.apms, newAPM2(256, 7))
	}
	if cfg.APM >= 2 {
		m.apms = append(m.apms, newAPM2(1<<16, 7))
	}
	if cfg.APM >= 3 {
		m.apms = append(m.apms, newAPM2(1<<16, 7))
	}
	m.fast = cfg.Fast && len(nets) == 0 && len(m.mms) == 1 && ninputs+2 == fastInputs
	m.c0, m.nib = 1, 1
	m.setKind(KindBinary)
	m.startByte()
	m.predict()
	return m
}

// Memory is the model's memory use in bytes without its predictors
// (address space: the order-2 table is touched only where contexts occur).
func (c Config) Memory() int64 {
	m := int64(256+1<<16+1<<24) + 64<<c.HashBits + 1<<c.HistBits + 2<<16
	m += int64(len(c.Match)) * 4 << c.matchBits()
	m += int64(numKinds) * int64(3+c.maxCtxs()) * numStates * 4
	if c.APM >= 1 {
		m += 256 * 33 * 2
	}
	if c.APM >= 2 {
		m += int64(c.APM-1) * 65536 * 33 * 2
	}
	return m
}

// matchBits is log2 of each match model's table.
func (c Config) matchBits() uint { return uint(min(22, c.HistBits-2)) }

// SetKind switches the contexts to those of kind k (KindBinary if k is not
// a kind) from the next byte on; call it between bytes.
func (m *Model) SetKind(k Kind) {
	if k >= numKinds {
		k = KindBinary
	}
	if k == m.kind || k == KindARM64 && m.kind == KindExe && !m.cfg.Light {
		return
	}
	m.setKind(k)
	m.startByte()
	m.predict()
}

func (m *Model) setKind(k Kind) {
	if k == KindARM64 && !m.cfg.Light { // the full profile codes ARM64 as other machine code
		k = KindExe
	}
	m.kind = k
	if m.cfg.Fast {
		m.ctxs = kindCtxsFast[k]
	} else if m.cfg.Light {
		m.ctxs = kindCtxsLight[k]
	} else {
		m.ctxs = kindCtxs[k]
	}
	m.smOff = int(k) * (m.ndir + m.nctx)
	if m.fast {
		m.fsm = (*[(fastInputs - 2) * numStates]uint32)(m.smt[m.smOff*numStates:])
	}
}

// startByte computes the contexts' hashes at a byte boundary and looks up
// their slots for the first nibble.
func (m *Model) startByte() {
	c4 := m.c4
	c8 := m.c8
	for i, id := range m.ctxs {
		var h uint32
		switch id {
		case ctxO3:
			h = Hash(c8&0xFFFFFF, 3)
		case ctxO4:
			h = Hash(c8&0xFFFFFFFF, 4)
		case ctxO5:
			h = Hash(c8&0xFFFFFFFFFF, 5)
		case ctxO6:
			h = Hash(c8&0xFFFFFFFFFFFF, 6)
		case ctxO7:
			h = Hash(c8&0xFFFFFFFFFFFFFF, 7)
		case ctxO8:
			h = Hash(c8, 8)
		case ctxWord0:
			h = Hash(uint64(m.word0)<<8|uint64(c4&0xFF), 20)
		case ctxWord1:
			h = Hash(uint64(m.word0)<<32|uint64(m.word1), 21)
		case ctxWord2:
			h = Hash(uint64(m.word0)<<32|uint64(m.word1), uint64(m.word2)<<8|22)
		case ctxWordSk:
			h = Hash(uint64(m.word0)<<32|uint64(m.word2), 23)
		case ctxColumn:
			col := m.pos - m.lineStart
			above := uint32(0)
			if m.lineStart-m.prevLineStart > col {
				above = uint32(m.hist[(m.prevLineStart+col)&m.hm])
			}
			h = Hash(uint64(min(col, 255))<<8|uint64(above), 24)
		case ctxSparse2:
			h = Hash(uint64(c4&0xFF00), 30)
		case ctxSparse3:
			h = Hash(uint64(c4&0xFF0000), 31)
		case ctxSparse23:
			h = Hash(uint64(c4&0xFFFF00), 32)
		case ctxSparse4:
			h = Hash(uint64(c4&0xFF000000), 33)
		case ctxInd1:
			h = Hash(uint64(c4&0xFF)<<16|uint64(m.ind1[c4&0xFF]), 40)
		case ctxInd2:
			h = Hash(uint64(c4&0xFFFF)<<16|uint64(m.ind2[c4&0xFFFF]), 41)
		}
		if m.kind == KindARM64 { // where in the instruction word the byte lies
			h = (h + (m.pos&3+1)*0x6F4F2A35) * 0x9E3779B1
			h ^= h >> 16
		}
		m.hctx[i] = h
	}
	m.lookup(0)
}

// lookup finds the slots of the nibble starting now (hi: the byte's high
// nibble with its leading 1, 0 for the first nibble).
func (m *Model) lookup(hi uint32) {
	var hs [maxCtxs]uint32
	n := len(m.ctxs)
	// First read a byte of every bucket, so that their cache misses
	// overlap instead of waiting for one another in find.
	var touch byte
	for i := range n {
		h := m.hctx[i]
		if hi != 0 {
			h = (h + hi*0x9E3779B1) * 0x85EBCA6B
			h ^= h >> 15
		}
		hs[i] = h
		touch += m.slots.t[int(h&m.slots.mask)<<6]
	}
	m.touch = touch
	for i := range n {
		m.slot[i] = m.slots.find(hs[i])
	}
}

// predict computes m.pr, the probability that the next bit is 1.
func (m *Model) predict() {
	if m.fast {
		m.predictFast()
		return
	}
	c0 := m.c0
	c1 := m.c4 & 0xFF
	idx := m.idx
	idx[0] = int(c0)
	idx[1] = 256 + int(c1<<8|c0)
	idx[2] = 256 + 1<<16 + int((m.c4&0xFFFF)<<8|c0)
	x := m.mx.x
	sms := m.sms[m.smOff:]
	for i := 0; i < m.ndir; i++ {
		x[i] = Stretch(sms[i].p12(int(m.direct[idx[i]])))
	}
	n := m.ndir
	nib := int(m.nib)
	st := m.slots.t
	for i := range m.ctxs {
		j := m.slot[i] + nib
		idx[n+i] = j
		x[n+i] = Stretch(sms[n+i].p12(int(st[j])))
	}
	n += len(m.ctxs)
	for ; n < m.ndir+m.nctx; n++ {
		x[n] = 0
	}
	mlen := 0
	for _, mm := range m.mms {
		x[n] = mm.predict(m.hist, m.hm, c0, m.bpos)
		if mm.bucket > mlen {
			mlen = mm.bucket
		}
		n++
	}
	for _, p := range m.nets {
		x[n] = Stretch(p.P12(c0))
		n++
	}
	x[n] = 256
	m.sel[0] = int(c0)
	if m.kind == KindARM64 { // the light profile's: where in the instruction word
		m.sel[0] |= int(m.pos&3) << 8
	}
	if m.cfg.Fast {
		m.sel[0] |= int(matchState[mlen]) << 10
	} else {
		m.sel[1] = mlen<<3 | m.bpos
	}
	if len(m.sel) > 2 {
		m.sel[2] = int(c1)
		m.sel[3] = int(m.kind)<<3 | m.bpos
	}
	p, d := m.mx.mix(m.sel, m.bpos)
	m.pr = m.refine(p, d)
}

// refine returns the final probability of a one from the mixer's output p
// (16 bits) and d (its logistic-domain value): the SSE stages' estimates
// averaged with it.
func (m *Model) refine(p, d int32) int32 {
	if len(m.apms) == 0 {
		return max(1, min(65535, p))
	}
	c0, c1 := m.c0, m.c4&0xFF
	var a int32
	m.skip1 = false
	switch mm := m.mms[0]; {
	case !m.cfg.Fast:
		a = m.apms[0].refine(d, int(c0))
	case mm.bucket == 0:
		// The fast profile's first stage refines only the bits the
		// match model predicts, by its length and expected bit.
		a, m.skip1 = p, true
	default:
		a = m.apms[0].refine(d, mm.bucket<<1|mm.ebit&1)
	}
	switch len(m.apms) {
	case 1:
		p = (p + 3*a) >> 2
	case 2:
		b := m.apms[1].refine(d, int(c0|c1<<8))
		p = (2*p + 3*a + 3*b) >> 3
	case 3:
		b := m.apms[1].refine(d, int(c0|c1<<8))
		h := (m.c4 & 0xFFFF) * 0x9E3779B1 >> 24
		c := m.apms[2].refine(d, int(c0|h<<8))
		p = (2*p + 2*a + 2*b + 2*c) >> 3
	}
	return max(1, min(65535, p))
}

// P returns P(next bit = 1) in 16 bits.
func (m *Model) P() uint32 { return uint32(m.pr) }

// Update learns the coded bit and prepares the next prediction.
func (m *Model) Update(bit int) {
	if m.fast {
		m.updateFast(bit)
		return
	}
	sms := m.sms[m.smOff:]
	for i := 0; i < m.ndir; i++ {
		j := m.idx[i]
		s := m.direct[j]
		sms[i].update(int(s), bit)
		m.direct[j] = stateNext[s][bit]
	}
	st := m.slots.t
	n := m.ndir
	for i := range m.ctxs {
		j := m.idx[n+i]
		s := st[j]
		sms[n+i].update(int(s), bit)
		st[j] = stateNext[s][bit]
	}
	for _, mm := range m.mms {
		mm.update(bit)
	}
	m.mx.update(bit)
	m.updateAPMs(bit)
	m.advance(bit)
}

// updateAPMs trains the SSE stages that refined the last prediction.
func (m *Model) updateAPMs(bit int) {
	for i, a := range m.apms {
		if i > 0 || !m.skip1 {
			a.update(bit)
		}
	}
}

// advance moves the partial byte past bit (and on to the next byte or
// nibble, looking up its contexts) and predicts the next bit.
func (m *Model) advance(bit int) {
	m.c0 = m.c0<<1 | uint32(bit)
	m.nib = m.nib<<1 | uint32(bit)
	m.bpos++
	if m.bpos == 8 {
		m.byteDone(byte(m.c0))
		m.c0, m.nib, m.bpos = 1, 1, 0
		m.startByte()
	} else if m.bpos == 4 {
		m.nib = 1
		m.lookup(m.c0)
	}
	m.predict()
}

func (m *Model) byteDone(c byte) {
	m.hist[m.pos&m.hm] = c
	m.pos++
	c1 := m.c4 & 0xFF
	m.ind1[c1] = m.ind1[c1]<<8 | uint16(c)
	c12 := m.c4 & 0xFFFF
	m.ind2[c12] = m.ind2[c12]<<8 | uint16(c)
	m.c4 = m.c4<<8 | uint32(c)
	m.c8 = m.c8<<8 | uint64(c)
	for _, mm := range m.mms {
		mm.byteDone(m.hist, m.hm, m.pos, c)
	}
	for _, p := range m.nets {
		p.Update(c)
	}
	lc := c
	if lc >= 'A' && lc <= 'Z' {
		lc += 'a' - 'A'
	}
	if lc >= 'a' && lc <= 'z' || lc >= 0x80 {
		m.word0 = (m.word0 + uint32(lc) + 1) * hashMul
	} else if m.word0 != 0 {
		m.word2, m.word1, m.word0 = m.word1, m.word0, 0
	}
	if c == '\n' {
		m.prevLineStart, m.lineStart = m.lineStart, m.pos
	}
}
