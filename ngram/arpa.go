package ngram

// ARPA text format, as KenLM's lmplz writes and reads it:
//
//	\data\
//	ngram 1=68
//	ngram 2=1382
//
//	\1-grams:
//	-2.991151	<unk>	0
//	0	<s>	-0.43766558
//	...
//	\2-grams:
//	-0.19528356	<s> F	-0.3209884
//	...
//	\end\
//
// Each entry is log10 p, the n-gram's words separated by single spaces, and
// (below the highest order) log10 of its backoff weight. lmplz writes p(<s>)
// as 0 (log10 1: "<s> is always there"; older tools write -99); <unk> gets
// its probability and backoff 0. Words are whitespace-free strings chosen by
// the caller's word function; this package only checks that they are
// non-empty, free of whitespace and unique.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/autoreg/autoreg"
)

// WriteARPA writes the model in ARPA format. word names the ordinary tokens
// (ids below Vocab().Base); specials are written <s>, </s>, <unk> and
// <ctl:TAG>. Unigrams follow token id order, so ReadARPA gives back the same
// ids; higher orders are sorted by their token ids.
func (m *Model) WriteARPA(w io.Writer, word func(autoreg.Token) string) error {
	names, err := m.arpaNames(word)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "\\data\\\n")
	for n, c := range m.counts {
		fmt.Fprintf(bw, "ngram %d=%d\n", n+1, c)
	}
	var buf []byte
	line := func(prob float32, ws []uint32, bo float32, hasBo bool) {
		buf = buf[:0]
		buf = appendLog(buf, prob)
		for i, x := range ws {
			if i == 0 {
				buf = append(buf, '\t')
			} else {
				buf = append(buf, ' ')
			}
			buf = append(buf, names[x]...)
		}
		if hasBo {
			buf = append(buf, '\t')
			buf = appendLog(buf, bo)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	fmt.Fprintf(bw, "\n\\1-grams:\n")
	for x := range m.uniProb {
		line(m.uniProb[x], []uint32{uint32(x)}, m.uniBo[x], m.order > 1)
	}
	m.forEachSorted(func(n int, ws []uint32, prob, bo float32) {
		if ws == nil {
			fmt.Fprintf(bw, "\n\\%d-grams:\n", n)
			return
		}
		line(prob, ws, bo, n < m.order)
	})
	fmt.Fprintf(bw, "\n\\end\\\n")
	return bw.Flush()
}

// appendLog formats a log10 value as the shortest decimal that reads back as
// the same float32; log 0 is written -99 as SRILM and KenLM do.
func appendLog(b []byte, v float32) []byte {
	if math.IsInf(float64(v), -1) {
		return append(b, "-99"...)
	}
	return strconv.AppendFloat(b, float64(v), 'g', -1, 32)
}

func (m *Model) arpaNames(word func(autoreg.Token) string) ([]string, error) {
	v := m.vocab
	names := make([]string, v.Size())
	seen := make(map[string]autoreg.Token, len(names))
	for i := range names {
		t := autoreg.Token(i)
		s := v.SpecialName(t)
		if s == "" {
			s = word(t)
			if s == "" || strings.ContainsFunc(s, isARPASpace) {
				return nil, fmt.Errorf("ngram: ARPA word %q for token %d is empty or contains whitespace", s, t)
			}
		}
		if o, dup := seen[s]; dup {
			return nil, fmt.Errorf("ngram: tokens %d and %d have the same ARPA word %q", o, t, s)
		}
		seen[s] = t
		names[i] = s
	}
	return names, nil
}

// isARPASpace reports the bytes that separate ARPA fields and lines.
func isARPASpace(r rune) bool {
	return r == '\n' || strings.ContainsRune(arpaSpaces, r)
}

// forEachSorted visits the n-grams of orders ≥ 2, order by order, sorted by
// their token ids. At the start of each order it calls f(n, nil, 0, 0).
func (m *Model) forEachSorted(f func(n int, ws []uint32, prob, bo float32)) {
	type item struct {
		key  uint64
		slot uint32
	}
	var rankLow []uint32 // rank of each slot of order n-1 (nil: unigrams, rank = token)
	ws := make([]uint32, m.order)
	for n := 2; n <= m.order; n++ {
		f(n, nil, 0, 0)
		var items []item
		if n < m.order {
			for i, e := range m.mid[n-2] {
				if e.word != emptyWord {
					items = append(items, item{uint64(rankOf(rankLow, e.ctx))<<32 | uint64(e.word), uint32(i)})
				}
			}
		} else {
			for i, e := range m.top {
				if e.word != emptyWord {
					items = append(items, item{uint64(rankOf(rankLow, e.ctx))<<32 | uint64(e.word), uint32(i)})
				}
			}
		}
		slices.SortFunc(items, func(a, b item) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return 0
		})
		var rank []uint32
		if n < m.order {
			rank = make([]uint32, len(m.mid[n-2]))
		}
		for r, it := range items {
			var prob, bo float32
			if n < m.order {
				e := m.mid[n-2][it.slot]
				prob, bo = e.prob, e.bo
				rank[it.slot] = uint32(r)
			} else {
				prob = m.top[it.slot].prob
			}
			m.words(n, it.slot, ws[:n])
			f(n, ws[:n], prob, bo)
		}
		rankLow = rank
	}
}

func rankOf(rank []uint32, slot uint32) uint32 {
	if rank == nil {
		return slot
	}
	return rank[slot]
}

// words fills ws (length n) with the tokens of the n-gram at slot of order n.
func (m *Model) words(n int, slot uint32, ws []uint32) {
	for ; n >= 2; n-- {
		var ctx, w uint32
		if n == m.order {
			e := &m.top[slot]
			ctx, w = e.ctx, e.word
		} else {
			e := &m.mid[n-2][slot]
			ctx, w = e.ctx, e.word
		}
		ws[n-1] = w
		slot = ctx
	}
	ws[0] = slot
}

// lookup returns the slot of the n-gram ws (a token for unigrams).
func (m *Model) lookup(ws []uint32) (uint32, bool) {
	s := ws[0]
	for j := 1; j < len(ws); j++ {
		var i int
		if j+1 < m.order {
			i = findMid(m.mid[j-1], s, ws[j])
		} else {
			i = findTop(m.top, s, ws[j])
		}
		if i < 0 {
			return 0, false
		}
		s = uint32(i)
	}
	return s, true
}

// entry returns log10 p and log10 b of a stored n-gram.
func (m *Model) entry(n int, slot uint32) (prob, bo float32) {
	switch {
	case n == 1:
		return m.uniProb[slot], m.uniBo[slot]
	case n == m.order:
		return m.top[slot].prob, 0
	}
	e := &m.mid[n-2][slot]
	return e.prob, e.bo
}

// backoffLog10 is log10 p(w | h) for ws = h w computed from the n-grams
// shorter than len(ws): the value a query gives when ws itself is not stored.
func (m *Model) backoffLog10(ws []uint32) float32 {
	n := len(ws)
	h := ws[:n-1]
	var bo float64
	for l := n - 1; l >= 1; l-- {
		if l < n-1 {
			if s, ok := m.lookup(ws[n-1-l:]); ok {
				p, _ := m.entry(l+1, s)
				return float32(float64(p) + bo)
			}
		}
		if s, ok := m.lookup(h[n-1-l:]); ok {
			_, b := m.entry(l, s)
			bo += float64(b)
		}
	}
	return float32(float64(m.uniProb[ws[n-1]]) + bo)
}

// ReadARPA reads an ARPA model (plain or gzip-compressed, detected by its
// magic bytes). name is used in error messages. warn, if not nil, receives
// warnings (a missing special, a positive log probability set to 0).
//
// Token ids: the ordinary words get ids 0.. in the order of the unigram
// section; <s>, </s>, <unk> and <ctl:TAG> words become the specials and
// control codes of the returned vocabulary. words[id] is the ARPA word of
// every id. A missing <s>, </s> or <unk> is added with log10 p = -100.
// n-grams whose context or suffix is missing are completed with entries that
// carry the backed-off probability and no backoff, so queries are unchanged.
func ReadARPA(r io.Reader, name string, warn func(msg string)) (m *Model, words []string, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, &FormatError{Name: name, Line: 1, Msg: "gzip: " + err.Error()}
		}
		defer gz.Close()
		br = bufio.NewReaderSize(gz, 1<<16)
	}
	p := &arpaParser{br: br, name: name, warn: warn}
	return p.parse()
}

type arpaParser struct {
	br     *bufio.Reader
	name   string
	warn   func(string)
	line   int
	peeked []byte
	havePk bool
	long   []byte

	voc autoreg.Vocab     // known after the unigram section
	ids map[string]uint32 // ARPA word -> token id
}

// maxARPALine bounds one line, so garbage without newlines cannot exhaust
// memory.
const maxARPALine = 1 << 20

func (p *arpaParser) errf(format string, args ...any) error {
	return &FormatError{Name: p.name, Line: max(p.line, 1), Msg: fmt.Sprintf(format, args...)}
}

func (p *arpaParser) warnf(format string, args ...any) {
	if p.warn != nil {
		p.warn(fmt.Sprintf("ngram: %s: line %d: ", p.name, p.line) + fmt.Sprintf(format, args...))
	}
}

// next returns the next line without its line ending; io.EOF at the end.
func (p *arpaParser) next() ([]byte, error) {
	if p.havePk {
		p.havePk = false
		p.line++
		return p.peeked, nil
	}
	b, err := p.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], b...)
		for err == bufio.ErrBufferFull && len(p.long) <= maxARPALine {
			b, err = p.br.ReadSlice('\n')
			p.long = append(p.long, b...)
		}
		if len(p.long) > maxARPALine {
			p.line++
			return nil, p.errf("line longer than %d bytes", maxARPALine)
		}
		b = p.long
	}
	if err != nil && err != io.EOF {
		p.line++
		return nil, p.errf("read: %v", err)
	}
	if err == io.EOF && len(b) == 0 {
		return nil, io.EOF
	}
	p.line++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, nil
}

func (p *arpaParser) unread(b []byte) {
	p.peeked, p.havePk = b, true
	p.line--
}

// nextNonBlank skips blank lines; io.EOF is reported as an error naming what
// was expected.
func (p *arpaParser) nextNonBlank(expect string) ([]byte, error) {
	for {
		b, err := p.next()
		if err == io.EOF {
			return nil, p.errf("unexpected end of file, expected %s", expect)
		}
		if err != nil {
			return nil, err
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			return t, nil
		}
	}
}

// arpaOrder holds the parsed entries of one order.
type arpaOrder struct {
	ids  []uint32 // n per entry
	prob []float32
	bo   []float32
	line []uint32 // source line; 0 for completed (blank) entries
}

func (p *arpaParser) parse() (*Model, []string, error) {
	// Anything before \data\ (comments, a verbose header) is skipped.
	for {
		b, err := p.next()
		if err == io.EOF {
			return nil, nil, p.errf("no \\data\\ header")
		}
		if err != nil {
			return nil, nil, err
		}
		if string(bytes.TrimSpace(b)) == `\data\` {
			break
		}
	}
	var counts []int
	for {
		b, err := p.nextNonBlank(`"ngram N=count" or \1-grams:`)
		if err != nil {
			return nil, nil, err
		}
		if !bytes.HasPrefix(b, []byte("ngram ")) {
			p.unread(b)
			break
		}
		spec := strings.TrimSpace(string(b[len("ngram "):]))
		ns, cs, ok := strings.Cut(spec, "=")
		n, err1 := strconv.Atoi(strings.TrimSpace(ns))
		c, err2 := strconv.ParseInt(strings.TrimSpace(cs), 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, nil, p.errf("malformed count line %q", b)
		}
		if n != len(counts)+1 {
			return nil, nil, p.errf("count line for order %d, expected order %d", n, len(counts)+1)
		}
		if n > MaxOrder {
			return nil, nil, p.errf("order %d exceeds the maximum %d", n, MaxOrder)
		}
		if c < 0 || c > math.MaxInt32 || (n == 1 && c == 0) {
			return nil, nil, p.errf("bad n-gram count %d for order %d", c, n)
		}
		counts = append(counts, int(c))
	}
	if len(counts) == 0 {
		return nil, nil, p.errf("no \"ngram N=count\" lines after \\data\\")
	}
	N := len(counts)
	orders := make([]arpaOrder, N+1)
	var uniNames []string
	for n := 1; n <= N; n++ {
		b, err := p.nextNonBlank(fmt.Sprintf(`\%d-grams:`, n))
		if err != nil {
			return nil, nil, err
		}
		if string(b) != fmt.Sprintf(`\%d-grams:`, n) {
			return nil, nil, p.errf("expected \\%d-grams:, got %q", n, truncate(b))
		}
		o := &orders[n]
		// Preallocate modestly: the header count is not trusted.
		pre := min(counts[n-1], 1<<16)
		o.prob = make([]float32, 0, pre)
		o.bo = make([]float32, 0, pre)
		o.line = make([]uint32, 0, pre)
		if n > 1 {
			o.ids = make([]uint32, 0, pre*n)
		}
		for i := 0; i < counts[n-1]; i++ {
			b, err := p.next()
			if err == io.EOF {
				return nil, nil, p.errf("unexpected end of file in the %d-gram section: %d of %d entries", n, i, counts[n-1])
			}
			if err != nil {
				return nil, nil, err
			}
			if err := p.entry(n, N, b, o, &uniNames, i, counts[n-1]); err != nil {
				return nil, nil, err
			}
		}
		if n == 1 {
			var err error
			if orders[1], uniNames, err = p.vocab(orders[1], uniNames); err != nil {
				return nil, nil, err
			}
		}
	}
	if b, err := p.nextNonBlank(`\end\`); err != nil {
		return nil, nil, err
	} else if string(b) != `\end\` {
		return nil, nil, p.errf("expected \\end\\ after %d %d-grams, got %q", counts[N-1], N, truncate(b))
	}
	return p.build(orders, uniNames)
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}

// arpaSpaces separate the fields of an entry; words never contain them.
const arpaSpaces = " \t\r\v\f\x00"

// fields splits an entry into at most len(dst) fields.
func fields(b []byte, dst [][]byte) int {
	n := 0
	for {
		for len(b) > 0 && strings.IndexByte(arpaSpaces, b[0]) >= 0 {
			b = b[1:]
		}
		if len(b) == 0 {
			return n
		}
		i := bytes.IndexAny(b, arpaSpaces)
		if i < 0 {
			i = len(b)
		}
		if n == len(dst) {
			return n + 1
		}
		dst[n] = b[:i]
		n++
		b = b[i:]
	}
}

func (p *arpaParser) entry(n, N int, b []byte, o *arpaOrder, uniNames *[]string, i, count int) error {
	var buf [MaxOrder + 3][]byte
	nf := fields(b, buf[:])
	if nf == 0 || b[0] == '\\' {
		return p.errf("expected %d %d-grams, found %d", count, n, i)
	}
	if nf < n+1 || nf > n+2 {
		return p.errf("%d-gram entry has %d fields, want log10 probability, %d words and an optional backoff", n, nf, n)
	}
	if nf == n+2 && n == N {
		return p.errf("backoff given for a %d-gram, the highest order", n)
	}
	prob, err := strconv.ParseFloat(string(buf[0]), 32)
	if err != nil || math.IsNaN(prob) || math.IsInf(prob, 1) {
		return p.errf("bad log10 probability %q", truncate(buf[0]))
	}
	if prob > 0 {
		p.warnf("positive log10 probability %g set to 0", prob)
		prob = 0
	}
	bo := 0.0
	if nf == n+2 {
		bo, err = strconv.ParseFloat(string(buf[n+1]), 32)
		if err != nil || math.IsNaN(bo) || math.IsInf(bo, 0) {
			return p.errf("bad log10 backoff %q", truncate(buf[n+1]))
		}
	}
	o.prob = append(o.prob, float32(prob))
	o.bo = append(o.bo, float32(bo))
	o.line = append(o.line, uint32(p.line))
	if n == 1 {
		*uniNames = append(*uniNames, string(buf[1]))
		return nil
	}
	for k := 1; k <= n; k++ {
		id, ok := p.ids[string(buf[k])]
		if !ok {
			return p.errf("word %q is not in the unigram section", truncate(buf[k]))
		}
		o.ids = append(o.ids, id)
	}
	return nil
}

// vocab turns the unigram section into the token layout of autoreg.Vocab and
// reorders the unigram entries by token id.
func (p *arpaParser) vocab(o arpaOrder, names []string) (arpaOrder, []string, error) {
	index := make(map[string]int, len(names))
	var base int
	var controls []string
	for i, s := range names {
		if j, dup := index[s]; dup {
			p.line = int(o.line[i])
			return o, nil, p.errf("unigram %q repeated (first on line %d)", truncate([]byte(s)), o.line[j])
		}
		index[s] = i
		switch {
		case s == autoreg.NameBOS || s == autoreg.NameEOS || s == autoreg.NameUNK:
		case strings.HasPrefix(s, "<ctl:") && strings.HasSuffix(s, ">") && len(s) > len("<ctl:>"):
			controls = append(controls, s[len("<ctl:"):len(s)-1])
		default:
			base++
		}
	}
	if base == 0 {
		return o, nil, p.errf("the unigram section has no ordinary words")
	}
	voc := autoreg.Vocab{Base: base, Controls: controls}
	if err := voc.Check(); err != nil {
		return o, nil, p.errf("%v", err)
	}
	V := voc.Size()
	out := arpaOrder{prob: make([]float32, V), bo: make([]float32, V), line: make([]uint32, V)}
	words := make([]string, V)
	ids := make(map[string]uint32, V)
	next, ctl := 0, 0
	for i, s := range names {
		var id int
		switch s {
		case autoreg.NameBOS:
			id = int(voc.BOS())
		case autoreg.NameEOS:
			id = int(voc.EOS())
		case autoreg.NameUNK:
			id = int(voc.UNK())
		default:
			if strings.HasPrefix(s, "<ctl:") && strings.HasSuffix(s, ">") && len(s) > len("<ctl:>") {
				id = base + autoreg.NumReserved + ctl
				ctl++
			} else {
				id = next
				next++
			}
		}
		out.prob[id], out.bo[id], out.line[id] = o.prob[i], o.bo[i], o.line[i]
		words[id] = s
		ids[s] = uint32(id)
	}
	for _, s := range []string{autoreg.NameUNK, autoreg.NameBOS, autoreg.NameEOS} {
		if _, ok := ids[s]; !ok {
			id := map[string]autoreg.Token{autoreg.NameBOS: voc.BOS(), autoreg.NameEOS: voc.EOS(), autoreg.NameUNK: voc.UNK()}[s]
			out.prob[id] = -100
			words[id] = s
			ids[s] = uint32(id)
			p.warnf("the unigram section has no %s; added with log10 probability -100", s)
		}
	}
	p.voc, p.ids = voc, ids
	return out, words, nil
}

// build fills the query tables order by order, completing missing contexts
// and suffixes (see ReadARPA).
func (p *arpaParser) build(orders []arpaOrder, words []string) (*Model, []string, error) {
	N := len(orders) - 1
	m := &Model{
		vocab:   p.voc,
		order:   N,
		bos:     p.voc.BOS(),
		uniProb: orders[1].prob,
		uniBo:   orders[1].bo,
		counts:  make([]int, N),
	}
	m.counts[0] = p.voc.Size()
	if N >= 3 {
		m.mid = make([][]midEntry, N-2)
	}
	completed := 0
	steps := 0
	for from := 2; from <= N; {
		restart := false
		for n := from; n <= N; n++ {
			o := &orders[n]
			cnt := len(o.prob)
			var mid []midEntry
			var top []topEntry
			if n < N {
				mid = newMidTable(cnt)
			} else {
				top = newTopTable(cnt)
			}
			var missing map[[MaxOrder]uint32]bool
			need := func(ws []uint32) {
				if missing == nil {
					missing = make(map[[MaxOrder]uint32]bool)
				}
				var k [MaxOrder]uint32
				copy(k[:], ws)
				missing[k] = true
			}
			for i := 0; i < cnt; i++ {
				ws := o.ids[i*n : (i+1)*n]
				ctx, ok := m.lookup(ws[:n-1])
				if !ok {
					need(ws[:n-1])
					continue
				}
				if n > 2 {
					if _, ok := m.lookup(ws[1:]); !ok {
						need(ws[1:])
					}
				}
				prob, bo := o.prob[i], o.bo[i]
				if o.line[i] == 0 {
					// A pathological file (backoffs > 1) could give p > 1.
					prob, bo = min(0, m.backoffLog10(ws)), 0
				}
				var dup bool
				if n < N {
					_, dup = insertMid(mid, midEntry{ctx: ctx, word: ws[n-1], prob: prob, bo: bo}, &steps)
				} else {
					_, dup = insertTop(top, topEntry{ctx: ctx, word: ws[n-1], prob: prob}, &steps)
				}
				if dup {
					p.line = int(o.line[i])
					parts := make([]string, n)
					for k, x := range ws {
						parts[k] = words[x]
					}
					return nil, nil, p.errf("%d-gram %q repeated", n, truncate([]byte(strings.Join(parts, " "))))
				}
			}
			if n < N {
				m.mid[n-2] = mid
			} else {
				m.top = top
			}
			m.counts[n-1] = cnt
			if missing != nil {
				keys := make([][MaxOrder]uint32, 0, len(missing))
				for k := range missing {
					keys = append(keys, k)
				}
				slices.SortFunc(keys, func(a, b [MaxOrder]uint32) int { return slices.Compare(a[:], b[:]) })
				low := &orders[n-1]
				for _, k := range keys {
					low.ids = append(low.ids, k[:n-1]...)
					low.prob = append(low.prob, 0)
					low.bo = append(low.bo, 0)
					low.line = append(low.line, 0)
				}
				completed += len(keys)
				from, restart = n-1, true
				break
			}
		}
		if !restart {
			break
		}
	}
	if completed > 0 {
		p.line = 0
		if p.warn != nil {
			p.warn(fmt.Sprintf("ngram: %s: added %d n-grams missing as a context or suffix of a listed n-gram", p.name, completed))
		}
	}
	return m, words, nil
}
