package lmzip

import (
	"bytes"
	"fmt"
	"math"
	"runtime"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/cm"
	"github.com/autoreg/autoreg/lmzip/internal/legacy"
)

// Tokenizer is what the static mode needs from a model's tokenizer: bytes to
// tokens, and each ordinary token back to the bytes it stands for. Any
// tokenizer works, lossy or not: lmzip checks every token against the input
// and escapes what a token does not reproduce exactly.
type Tokenizer interface {
	// Encode appends the tokens of text to dst.
	Encode(dst []autoreg.Token, text []byte) []autoreg.Token
	// AppendBytes appends the bytes token t stands for to dst; ok is false
	// for tokens without bytes (specials, control codes, unknown ids).
	AppendBytes(dst []byte, t autoreg.Token) (out []byte, ok bool)
}

// CDFer is an optional interface of an autoreg.State for families that can
// produce the next-token distribution as an exact integer table, identical
// on every platform and build (integer arithmetic, or a fully specified
// float path). lmzip prefers it to LogProbs.
type CDFer interface {
	// CDF writes cumulative frequencies into dst, of length
	// Vocab().Size()+1: dst[0] = 0, dst[k+1] > dst[k] (every token
	// codable) and dst[Size] ≤ arith.MaxTotal.
	CDF(dst []uint32)
}

// BitExact is an optional interface of an autoreg.Model whose LogProbs are
// bit-identical on every platform, build tag and GOMAXPROCS (for example an
// n-gram model that only adds stored float32 values in a fixed order, with
// explicit conversions), or of the states an ExactStater model's
// NewExactState returns. lmzip then quantizes them on its integer path.
type BitExact interface {
	// BitExactLogProbs reports whether the promise holds for this model.
	BitExactLogProbs() bool
}

// ExactStater is an optional interface of an autoreg.Model that has, besides
// NewState's fast float path, a bit-exact inference path (the gpt and rnn
// families). lmzip codes new static streams with its states on
// PathExactLogProbs, and decodes PathPlatform streams written before (or
// with Static's platform-floats switch) with NewState's, as they were coded.
type ExactStater interface {
	// NewExactState returns an empty history whose state implements
	// BitExact, BitExactLogProbs() == true.
	NewExactState() autoreg.State
}

// Static names a trained model for the static mode.
type Static struct {
	// ID is the model's identity: the SHA-256 of its model file. The
	// decoder refuses a model with another identity.
	ID [32]byte
	// Model and Tokenizer are the model and its tokenizer.
	Model     autoreg.Model
	Tokenizer Tokenizer
	// Real, instead of Model and Tokenizer, is a real-valued model of
	// integer samples, with a bit-exact state (ExactRealStater) whose
	// frequencies code them (IntCDFer): the input must be a WAV file of
	// integer PCM samples with one channel per dimension of the model; its
	// samples are coded with the model, its other bytes with the adaptive
	// byte model (ngram). The path is PathCDF.
	Real autoreg.RealModel
	// AllowPlatformMismatch lets the decoder try a PathPlatform file
	// written on another platform (the checksums still catch a mismatch).
	AllowPlatformMismatch bool
	// Lines selects the lines convention of models trained in lines mode:
	// every line is a sequence, so a newline is coded as </s> and the model
	// starts the next line after <s> with an empty history, as autoreg eval
	// scores such a model. The header records it; the decoder follows the
	// header.
	Lines bool
	// originalLiterals makes the writer use the literal channel's original
	// coding (streams without flagTokenFirst): for tests of the reader.
	originalLiterals bool
	// platformFloats makes the writer code an ExactStater model with its
	// fast state on PathPlatform, as writers before the exact states did:
	// for tests of the reader.
	platformFloats bool
}

// platformTag names what float log-probabilities may depend on: the
// architecture (Go fuses a*x+y on arm64, not on amd64), the kernels'
// instruction-set path (AVX-512, AVX2 with FMA, or portable Go) and the
// noasm build tag.
func platformTag() string {
	t := runtime.GOARCH + "/" + kernels.Features()
	if noasm {
		t += "+noasm"
	}
	return t
}

// numericPath reports how s's model will be coded.
func (s *Static) numericPath() byte {
	if s.Real != nil {
		return PathCDF
	}
	st := s.Model.NewState()
	if _, ok := st.(CDFer); ok {
		return PathCDF
	}
	if b, ok := s.Model.(BitExact); ok && b.BitExactLogProbs() {
		return PathExactLogProbs
	}
	if s.hasExactState() && !s.platformFloats {
		return PathExactLogProbs
	}
	return PathPlatform
}

// hasExactState reports whether s's model has a bit-exact state besides
// its fast one (ExactStater).
func (s *Static) hasExactState() bool {
	e, ok := s.Model.(ExactStater)
	if !ok {
		return false
	}
	b, ok := e.NewExactState().(BitExact)
	return ok && b.BitExactLogProbs()
}

// accepts reports whether s can decode a stream coded on path: its own
// path, or PathPlatform with the fast state of a model that now takes
// PathExactLogProbs with its exact state.
func (s *Static) accepts(path byte) bool {
	p := s.numericPath()
	if s.Real != nil {
		return path == p
	}
	return p == path || path == PathPlatform && p == PathExactLogProbs && s.hasExactState()
}

// newState returns the empty history a stream on path is coded with.
func (s *Static) newState(path byte) autoreg.State {
	if path == PathExactLogProbs {
		if e, ok := s.Model.(ExactStater); ok && s.hasExactState() {
			return e.NewExactState()
		}
	}
	return s.Model.NewState()
}

// QuantizeLogProbs turns log-probabilities (nats; -Inf allowed) into a
// cumulative table for the arithmetic coder, len(cdf) = len(logp)+1, with
// integer-only arithmetic after one float32 subtraction and one exact
// scaling per entry: identical inputs give identical tables everywhere.
// Non-finite or NaN entries get only the floor; if none is finite the table
// is uniform. weights is scratch space of len(logp).
func QuantizeLogProbs(cdf []uint32, logp []float32, weights []uint64) {
	cm.InitTables()
	max := float32(math.Inf(-1))
	for _, v := range logp {
		if v > max && !math.IsInf(float64(v), 1) {
			max = v
		}
	}
	finite := !math.IsInf(float64(max), -1)
	for i, v := range logp {
		w := uint64(0)
		if finite && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			d := float32(max - v) // ≥ 0, exactly rounded
			// d·2^16 is exact in float64, so is adding 1/2 (q < 2^23);
			// the conversion truncates: round to nearest.
			q := float64(d)*65536 + 0.5
			if q < float64(cm.ExpMaxWhole)*65536 {
				w = cm.ExpNegQ16(int64(q))
			}
		}
		weights[i] = w
	}
	arith.BuildCDF(cdf, weights)
}

// staticCodec codes a block as tokens of a static model, whose history runs
// on from block to block (the stream is one sequence started with <s>, or
// one per line in lines mode). An ordinary token whose bytes match the input
// is coded with the model; any other byte goes through the literal channel
// (small adaptive models of its own), and where the tokenizer says <unk> the
// model codes <unk> first.
//
// The literal channel has two codings, chosen by the header's flags:
// token-first (flagTokenFirst, what the writer produces) codes each model
// token and then the run of literal bytes that precedes it, with the
// token's kind as context (see literalModel); the original coding (streams
// without the flag, package legacy) codes a flag before every item.
type staticCodec struct {
	s          *Static
	st         autoreg.State
	cdfer      CDFer
	vocab      autoreg.Vocab
	unk        autoreg.Token
	lines      bool
	tokenFirst bool
	lit        literalModel // the token-first coding
	// The original coding (package legacy): before every item a flag
	// (literal byte or model token) and literal bytes.
	orig   legacy.OriginalLiterals
	cdf    []uint32
	logp   []float32
	w      []uint64
	toks   []autoreg.Token
	tb     []byte
	run    []byte // a decoded run of literal bytes
	encRun []byte // the run the encoder codes
	tokBuf []autoreg.Token
}

func newStaticCodec(s *Static, flags, path byte) *staticCodec {
	cm.InitTables()
	v := s.Model.Vocab()
	c := &staticCodec{s: s, st: s.newState(path), vocab: v, unk: v.UNK(),
		lines: flags&flagLines != 0, tokenFirst: flags&flagTokenFirst != 0}
	c.lit.prevClass = classEOS // the stream starts as a line does
	// A stream is one sequence: it starts after <s>, as in training and
	// in autoreg eval (its end needs no </s>: the block lengths tell).
	c.st.Append(v.BOS())
	c.cdfer, _ = c.st.(CDFer)
	n := v.Size()
	c.cdf = make([]uint32, n+1)
	if c.cdfer == nil {
		c.logp = make([]float32, n)
		c.w = make([]uint64, n)
	}
	return c
}

func (c *staticCodec) table() []uint32 {
	if c.cdfer != nil {
		c.cdfer.CDF(c.cdf)
	} else {
		c.st.LogProbs(c.logp)
		QuantizeLogProbs(c.cdf, c.logp, c.w)
	}
	return c.cdf
}

// Tokenization works on windows of the block: up to maxWindow bytes, and
// tokens ending in the last eighth of a window (unless it reaches the end of
// the block) are retokenized with more right context. After an escape the
// window shrinks to minWindow and doubles on every clean window, so input
// the tokenizer cannot represent costs O(minWindow) work per byte, not
// O(maxWindow).
const (
	minWindow = 64
	maxWindow = 4096
)

// Items of tokenize's output besides ordinary tokens: -1-b is the literal
// byte b, eosMark a line end in lines mode, unkMark the model's <unk>.
const (
	eosMark = legacy.ItemEOS
	unkMark = legacy.ItemUNK
)

// tokenize returns the items the encoder codes for raw: ordinary tokens,
// literal bytes, <unk> and line ends (see eosMark).
// It depends only on raw and the tokenizer, so the decoder can replay it
// over a stored block.
func (c *staticCodec) tokenize(raw []byte) []autoreg.Token {
	out := c.toks[:0]
	if !c.lines {
		out = c.tokenizeSpan(out, raw)
	} else {
		for len(raw) > 0 {
			i := bytes.IndexByte(raw, '\n')
			if i < 0 {
				out = c.tokenizeSpan(out, raw)
				break
			}
			out = append(c.tokenizeSpan(out, raw[:i]), eosMark)
			raw = raw[i+1:]
		}
	}
	c.toks = out
	return out
}

// tokenizeSpan appends the tokens of raw (one line in lines mode) to out.
func (c *staticCodec) tokenizeSpan(out []autoreg.Token, raw []byte) []autoreg.Token {
	pos := 0
	win := maxWindow
	for pos < len(raw) {
		end := min(pos+win, len(raw))
		limit := end
		if end < len(raw) {
			limit = end - win/8
		}
		c.tokBuf = c.s.Tokenizer.Encode(c.tokBuf[:0], raw[pos:end])
		progressed, escaped := false, false
		for _, t := range c.tokBuf {
			var ok bool
			c.tb, ok = c.s.Tokenizer.AppendBytes(c.tb[:0], t)
			good := ok && len(c.tb) > 0 && t != c.unk && c.vocab.Valid(t) && !c.vocab.IsSpecial(t) &&
				bytes.HasPrefix(raw[pos:], c.tb)
			if good && pos+len(c.tb) > limit && progressed {
				break // retokenize from here with more context
			}
			if !good {
				// Where the tokenizer itself says <unk>, the model sees
				// <unk> (once per unknown stretch, as autoreg eval would);
				// the bytes go through the literal channel.
				if t == c.unk && (len(out) == 0 || out[len(out)-1] >= 0 || out[len(out)-1] == eosMark) {
					out = append(out, unkMark)
				}
				out = append(out, -1-autoreg.Token(raw[pos]))
				pos++
				progressed, escaped = true, true
				break // retokenize after the escape
			}
			out = append(out, t)
			pos += len(c.tb)
			progressed = true
		}
		if !progressed { // an empty token list: escape one byte
			out = append(out, -1-autoreg.Token(raw[pos]))
			pos++
			escaped = true
		}
		if escaped {
			win = minWindow
		} else if win < maxWindow {
			win *= 2
		}
	}
	return out
}

// newLine ends a sequence in lines mode: the next starts after <s>.
func (c *staticCodec) newLine() {
	c.st.Reset()
	c.st.Append(c.vocab.BOS())
}

func (c *staticCodec) encode(enc *arith.Encoder, raw []byte) {
	if c.tokenFirst {
		c.encodeTokenFirst(enc, raw)
	} else {
		c.orig.Encode(enc, origStream{c}, c.tokenize(raw))
	}
}

func (c *staticCodec) decode(dec *arith.Decoder, dst []byte) error {
	if c.tokenFirst {
		return c.decodeTokenFirst(dec, dst)
	}
	return c.orig.Decode(dec, origStream{c}, dst)
}

// advance moves the model past a coded token: a line end starts the next
// line, anything else is appended to the history.
func (c *staticCodec) advance(tok autoreg.Token) {
	if c.lines && tok == c.vocab.EOS() {
		c.newLine()
	} else {
		c.st.Append(tok)
	}
}

// codeBit codes bit with the adaptive counter ctr (enc set), decodes one
// (dec set), or with both nil only learns bit; it returns the bit.
func codeBit(enc *arith.Encoder, dec *arith.Decoder, ctr *uint32, bit int) int {
	return cm.CodeBit(enc, dec, ctr, bit)
}

// codeByte codes (or decodes, or learns) a byte with the bit tree tree
// (256 counters), most significant bit first.
func codeByte(enc *arith.Encoder, dec *arith.Decoder, tree []uint32, v byte) byte {
	node := 1
	for i := 7; i >= 0; i-- {
		b := codeBit(enc, dec, &tree[node], int(v>>uint(i))&1)
		node = node<<1 | b
	}
	return byte(node)
}

// Kinds of model tokens in the token-first literal channel; classTail
// stands for the end of a block reached by literal bytes.
const (
	classToken = iota // an ordinary token
	classEOS          // a line end (lines mode) or the start of the stream
	classUNK          // <unk>
	classTail         // no token: literal bytes up to the end of the block
)

// literalModel is the token-first literal channel. A block is a sequence
// of model tokens, each preceded by a possibly empty run of literal bytes,
// and possibly a final run of literal bytes with no token after it. For
// every token, while bytes remain: a tail bit (1: only literal bytes remain,
// all of them coded as such), the token with the model, a flag "literal
// bytes precede it", and the run: bytes, each but the last followed by a
// "more" bit. The flag's context includes the token's kind, which the
// decoder knows by then: a word tokenizer's space before every line end
// (every line of the Penn Treebank ends " \n") costs almost nothing, where
// a flag coded before the token would pay for it on every line.
//
// What is implied is not coded: a run has at most the bytes the block has
// left before the token's own (no flag when there are none, no more bit
// once the run has them all), a tail's length is what is left of the
// block, and a run always follows <unk> (the bytes <unk> stands for), so
// it needs no flag there.
type literalModel struct {
	tail  uint32              // P(only literal bytes remain in the block)
	pre   [3 * 2 * 2]uint32   // P(literal bytes precede the token): kind, previous kind is classEOS, previous token had a run
	more  [3 * 3]uint32       // P(another byte in the run): kind, run length so far (1, 2, ≥ 3)
	bytes [4 * 2 * 256]uint32 // bit trees: kind (classTail for the final run), first byte of the run or a later one
	// The previous token's kind and whether a run preceded it; afterUNK:
	// the previous token was <unk> and no literal byte has been coded since.
	prevClass int
	prevRun   bool
	afterUNK  bool
}

// codeRun codes (or decodes into c.run, or learns) the run of literal bytes
// preceding a token of kind class; room is the most bytes it can have.
func (c *staticCodec) codeRun(enc *arith.Encoder, dec *arith.Decoder, class int, run []byte, room int) []byte {
	l := &c.lit
	has := 0
	if len(run) > 0 {
		has = 1
	}
	switch {
	case room == 0:
		has = 0
	case l.afterUNK:
		has = 1
	default:
		ctx := class*4 + bool01(l.prevClass == classEOS)*2 + bool01(l.prevRun)
		has = codeBit(enc, dec, &l.pre[ctx], has)
	}
	l.prevClass, l.prevRun, l.afterUNK = class, has == 1, class == classUNK
	out := c.run[:0]
	if has == 0 {
		return out
	}
	for k := 0; ; k++ {
		v := byte(0)
		if k < len(run) {
			v = run[k]
		}
		tree := l.bytes[(class*2+bool01(k > 0))*256:]
		out = append(out, codeByte(enc, dec, tree, v))
		if k+1 == room {
			break
		}
		if codeBit(enc, dec, &l.more[class*3+min(k, 2)], bool01(k+1 < len(run))) == 0 {
			break
		}
	}
	c.run = out
	return out
}

// codeTail codes (or decodes, or learns) the final run of literal bytes of
// a block, into or from run.
func (c *staticCodec) codeTail(enc *arith.Encoder, dec *arith.Decoder, run []byte) {
	for k := range run {
		run[k] = codeByte(enc, dec, c.lit.bytes[(classTail*2+bool01(k > 0))*256:], run[k])
	}
	c.lit.afterUNK = false
}

func bool01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encodeTokenFirst codes raw in the token-first coding (enc nil: only
// advances the models, as the decoder does over a stored block).
func (c *staticCodec) encodeTokenFirst(enc *arith.Encoder, raw []byte) {
	items := c.tokenize(raw)
	pos := 0 // bytes of raw coded so far
	for i := 0; i < len(items); {
		run := c.encRun[:0]
		for ; i < len(items) && items[i] < 0 && items[i] >= -256; i++ {
			run = append(run, byte(-1-items[i]))
		}
		c.encRun = run
		if i == len(items) {
			codeBit(enc, nil, &c.lit.tail, 1)
			c.codeTail(enc, nil, run)
			return
		}
		codeBit(enc, nil, &c.lit.tail, 0)
		tok, class, n := items[i], classToken, 0
		switch tok {
		case eosMark:
			tok, class, n = c.vocab.EOS(), classEOS, 1
		case unkMark:
			tok, class = c.unk, classUNK
		default:
			c.tb, _ = c.s.Tokenizer.AppendBytes(c.tb[:0], tok)
			n = len(c.tb)
		}
		if enc != nil {
			enc.EncodeSymbol(c.table(), int(tok))
		}
		c.codeRun(enc, nil, class, run, len(raw)-pos-n)
		pos += len(run) + n
		c.advance(tok)
		i++
	}
}

func (c *staticCodec) decodeTokenFirst(dec *arith.Decoder, dst []byte) error {
	n := 0
	for n < len(dst) {
		if codeBit(nil, dec, &c.lit.tail, 0) == 1 {
			c.codeTail(nil, dec, dst[n:])
			return nil
		}
		t := autoreg.Token(dec.DecodeSymbol(c.table()))
		class := classToken
		c.tb = c.tb[:0]
		switch {
		case c.lines && t == c.vocab.EOS():
			class = classEOS
			c.tb = append(c.tb, '\n')
		case t == c.unk:
			class = classUNK
		default:
			var ok bool
			c.tb, ok = c.s.Tokenizer.AppendBytes(c.tb, t)
			if !ok || len(c.tb) == 0 || c.vocab.IsSpecial(t) {
				return fmt.Errorf("token %d has no bytes", t)
			}
		}
		room := len(dst) - n - len(c.tb)
		if room < 0 {
			return fmt.Errorf("token %d runs past the block end", t)
		}
		if room == 0 && c.lit.afterUNK {
			// The encoder always codes the bytes <unk> stands for, so a
			// stream cannot decode to <unk> after <unk> without bytes.
			return fmt.Errorf("<unk> without bytes")
		}
		n += copy(dst[n:], c.codeRun(nil, dec, class, nil, room))
		n += copy(dst[n:], c.tb)
		c.advance(t)
	}
	return nil
}

// origStream is the static codec as the original literal coding
// (package legacy) sees it.
type origStream struct{ c *staticCodec }

func (o origStream) CodeToken(enc *arith.Encoder, tok autoreg.Token) {
	if enc != nil {
		enc.EncodeSymbol(o.c.table(), int(tok))
	}
}

func (o origStream) DecodeToken(dec *arith.Decoder) autoreg.Token {
	return autoreg.Token(dec.DecodeSymbol(o.c.table()))
}

func (o origStream) Append(tok autoreg.Token) { o.c.st.Append(tok) }
func (o origStream) NewLine()                 { o.c.newLine() }
func (o origStream) Lines() bool              { return o.c.lines }
func (o origStream) EOS() autoreg.Token       { return o.c.vocab.EOS() }
func (o origStream) UNK() autoreg.Token       { return o.c.unk }

func (o origStream) TokenBytes(dst []byte, tok autoreg.Token) ([]byte, bool) {
	if o.c.vocab.IsSpecial(tok) {
		return dst, false
	}
	return o.c.s.Tokenizer.AppendBytes(dst, tok)
}
