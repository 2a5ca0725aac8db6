package lmzip

import (
	"bytes"
	"fmt"
	"math"
	"runtime"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/arith"
	"github.com/autoreg/autoreg/internal/kernels"
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
// explicit conversions). lmzip then quantizes them on its integer path.
type BitExact interface {
	// BitExactLogProbs reports whether the promise holds for this model.
	BitExactLogProbs() bool
}

// Static names a trained model for the static mode.
type Static struct {
	// ID is the model's identity: the SHA-256 of its model file. The
	// decoder refuses a model with another identity.
	ID [32]byte
	// Model and Tokenizer are the model and its tokenizer.
	Model     autoreg.Model
	Tokenizer Tokenizer
	// AllowPlatformMismatch lets the decoder try a PathPlatform file
	// written on another platform (the checksums still catch a mismatch).
	AllowPlatformMismatch bool
	// Lines selects the lines convention of models trained in lines mode:
	// every line is a sequence, so a newline is coded as </s> and the model
	// starts the next line after <s> with an empty history, as autoreg eval
	// scores such a model. The header records it; the decoder follows the
	// header.
	Lines bool
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
	st := s.Model.NewState()
	if _, ok := st.(CDFer); ok {
		return PathCDF
	}
	if b, ok := s.Model.(BitExact); ok && b.BitExactLogProbs() {
		return PathExactLogProbs
	}
	return PathPlatform
}

// QuantizeLogProbs turns log-probabilities (nats; -Inf allowed) into a
// cumulative table for the arithmetic coder, len(cdf) = len(logp)+1, with
// integer-only arithmetic after one float32 subtraction and one exact
// scaling per entry: identical inputs give identical tables everywhere.
// Non-finite or NaN entries get only the floor; if none is finite the table
// is uniform. weights is scratch space of len(logp).
func QuantizeLogProbs(cdf []uint32, logp []float32, weights []uint64) {
	initTables()
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
			if q < float64(expMaxWhole)*65536 {
				w = expNegQ16(int64(q))
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
// (a flag and an order-0 byte model of its own), and where the tokenizer
// says <unk> the model codes <unk> first.
type staticCodec struct {
	s     *Static
	st    autoreg.State
	cdfer CDFer
	vocab autoreg.Vocab
	unk   autoreg.Token
	lines bool
	// The literal channel: before every item a flag (literal byte or model
	// token) and literal bytes, coded with small adaptive models of their
	// own, so bytes the tokenizer does not reproduce cost a few bits and
	// leave the language model's history alone.
	litFlag [2]uint32   // P(literal) by whether the previous item was a literal
	litByte [512]uint32 // order-0 bit tree by whether the previous item was a literal
	prevLit int         // whether the previous item was a literal
	litCtx  int         // prevLit before the current item's flag
	cdf     []uint32
	logp    []float32
	w       []uint64
	toks    []autoreg.Token
	tb      []byte
	tokBuf  []autoreg.Token
}

func newStaticCodec(s *Static, lines bool) *staticCodec {
	initTables()
	v := s.Model.Vocab()
	c := &staticCodec{s: s, st: s.Model.NewState(), vocab: v, unk: v.UNK(), lines: lines}
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
	eosMark = -257
	unkMark = -258
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
	for _, t := range c.tokenize(raw) {
		lit := t < 0 && t >= -256
		if enc != nil {
			c.codeFlag(enc, nil, lit)
		} else {
			c.learnFlag(lit)
		}
		switch {
		case lit:
			c.codeLiteral(enc, nil, byte(-1-t))
		case t == eosMark:
			if enc != nil {
				enc.EncodeSymbol(c.table(), int(c.vocab.EOS()))
			}
			c.newLine()
		default:
			tok := t
			if t == unkMark {
				tok = c.unk
			}
			if enc != nil {
				enc.EncodeSymbol(c.table(), int(tok))
			}
			c.st.Append(tok)
		}
	}
}

// codeFlag codes (enc != nil) or decodes (dec != nil) whether a literal
// byte comes next, and learns it.
func (c *staticCodec) codeFlag(enc *arith.Encoder, dec *arith.Decoder, lit bool) bool {
	ctr := &c.litFlag[c.prevLit]
	p := (*ctr ^ counterInit) >> 16
	if enc != nil {
		b := 0
		if lit {
			b = 1
		}
		enc.EncodeBit(b, p)
	} else {
		lit = dec.DecodeBit(p) == 1
	}
	c.learnFlag(lit)
	return lit
}

func (c *staticCodec) learnFlag(lit bool) {
	b := 0
	if lit {
		b = 1
	}
	counterUpdate(&c.litFlag[c.prevLit], b, 255)
	c.litCtx, c.prevLit = c.prevLit, b
}

// codeLiteral codes (or, with enc and dec nil, learns) a literal byte with
// an order-0 bit tree; with dec set it decodes one.
func (c *staticCodec) codeLiteral(enc *arith.Encoder, dec *arith.Decoder, v byte) byte {
	tree := c.litByte[256*c.litCtx:]
	node := 1
	for i := 7; i >= 0; i-- {
		ctr := &tree[node]
		p := (*ctr ^ counterInit) >> 16
		var b int
		switch {
		case dec != nil:
			b = dec.DecodeBit(p)
		default:
			b = int(v>>uint(i)) & 1
			if enc != nil {
				enc.EncodeBit(b, p)
			}
		}
		counterUpdate(ctr, b, 255)
		node = node<<1 | b
	}
	return byte(node)
}

func (c *staticCodec) decode(dec *arith.Decoder, dst []byte) error {
	n := 0
	for n < len(dst) {
		if c.codeFlag(nil, dec, false) {
			dst[n] = c.codeLiteral(nil, dec, 0)
			n++
			continue
		}
		t := autoreg.Token(dec.DecodeSymbol(c.table()))
		switch {
		case c.lines && t == c.vocab.EOS():
			dst[n] = '\n'
			n++
			c.newLine()
			continue
		case t == c.unk:
		default:
			var ok bool
			c.tb, ok = c.s.Tokenizer.AppendBytes(c.tb[:0], t)
			if !ok || len(c.tb) == 0 || c.vocab.IsSpecial(t) {
				return fmt.Errorf("token %d has no bytes", t)
			}
			if n+len(c.tb) > len(dst) {
				return fmt.Errorf("token %d runs past the block end", t)
			}
			n += copy(dst[n:], c.tb)
		}
		c.st.Append(t)
	}
	return nil
}
