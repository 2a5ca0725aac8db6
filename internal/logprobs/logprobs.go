// Package logprobs is the prediction cache of the neural families' States:
// the plumbing behind autoreg.State's LogProbs and LogProb that rnn, vae,
// wavenet, gpt and seq2seq share.
//
// A State keeps the logits of its next token and their log-softmax. The
// logits are computed when first asked for (or set by the family as it
// appends, for the Transformers, whose forward pass ends with them); the
// log-softmax is computed once, by LogProbs, and reused until the history
// changes. LogProb of a fresh state scores the one token from the logits
// (nn.LogProbRow) without the whole log-softmax: the scoring fast path.
// The empty history predicts the uniform distribution, −ln V.
//
// On the bit-exact path (a state made by NewExactState, which lmzip codes
// with) the log-softmax is internal/exact's and −ln V uses
// kernels.ExactLog, and LogProb reads the whole log-softmax too, so that
// LogProb and LogProbs give the same bits on every platform.
package logprobs

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/nn"
)

// Cache is one State's prediction of its next token. Its zero value is not
// usable: make it with New. CopyTo copies it into the cache of another
// state of the same model.
type Cache struct {
	// Logits are the next token's logits (V floats), current once the
	// family has filled them (the fill argument of LogProbs and LogProb,
	// or SetLogits).
	Logits []float32
	// Scratch is V floats free between calls: a family may use it for
	// its own row log-softmaxes (nn.LogProbRow).
	Scratch []float32
	logp    []float32 // (V) log-softmax(Logits) when haveLp
	pkg     string    // the family, which prefixes the panics' messages
	exact   bool      // the bit-exact path
	fresh   bool      // Logits are the current history's
	haveLp  bool      // logp is their log-softmax
}

// New returns the cache of a vocabulary of V tokens for a State of the
// family pkg (the prefix of its panics), on the bit-exact path if exact.
func New(pkg string, V int, exact bool) Cache {
	return Cache{Logits: make([]float32, V), Scratch: make([]float32, V), logp: make([]float32, V),
		pkg: pkg, exact: exact}
}

// Stale marks the prediction out of date: the history changed.
func (c *Cache) Stale() { c.fresh, c.haveLp = false, false }

// SetLogits records that the caller has written the current history's
// logits into Logits.
func (c *Cache) SetLogits() { c.fresh, c.haveLp = true, false }

// CopyTo copies the prediction into d, the cache of a state of the same
// model and path.
func (c *Cache) CopyTo(d *Cache) {
	copy(d.Logits, c.Logits)
	copy(d.logp, c.logp)
	d.fresh, d.haveLp = c.fresh, c.haveLp
}

// Uniform is the empty history's log-probability of every token, −ln V
// (with kernels.ExactLog on the exact path).
func (c *Cache) Uniform() float64 {
	V := len(c.Logits)
	if c.exact {
		return float64(-kernels.ExactLog(float32(V)))
	}
	return -math.Log(float64(V))
}

// CheckToken panics unless x is in the vocabulary; fn names the method
// in the message.
func (c *Cache) CheckToken(fn string, x autoreg.Token) {
	if V := len(c.Logits); x < 0 || int(x) >= V {
		panic(fmt.Sprintf("%s: %s: token %d outside the vocabulary of %d", c.pkg, fn, x, V))
	}
}

// LogProbs writes log P(next | history) for every token into dst
// (autoreg.State.LogProbs): the uniform distribution if empty (the
// history holds no token), else the log-softmax of the logits, which fill
// computes if they are not current (fill may be nil for a family that
// always sets them with SetLogits).
func (c *Cache) LogProbs(dst []float32, empty bool, fill func(logits []float32)) {
	if V := len(c.Logits); len(dst) != V {
		panic(fmt.Sprintf("%s: LogProbs: dst of length %d, vocabulary of %d", c.pkg, len(dst), V))
	}
	if empty {
		u := float32(c.Uniform())
		for i := range dst {
			dst[i] = u
		}
		return
	}
	c.logSoftmax(fill)
	copy(dst, c.logp)
}

// LogProb returns log P(next = x | history) (autoreg.State.LogProb), with
// empty and fill as for LogProbs. Unless the log-softmax is at hand (or
// the path is exact), it scores x alone from the logits.
func (c *Cache) LogProb(x autoreg.Token, empty bool, fill func(logits []float32)) float64 {
	c.CheckToken("LogProb", x)
	if empty {
		return c.Uniform()
	}
	if c.exact {
		c.logSoftmax(fill)
	}
	if c.haveLp {
		return float64(c.logp[x])
	}
	c.logits(fill)
	return nn.LogProbRow(c.Logits, int(x), c.Scratch)
}

// logits makes the logits current.
func (c *Cache) logits(fill func([]float32)) {
	if !c.fresh {
		fill(c.Logits)
		c.fresh = true
	}
}

// logSoftmax makes the log-softmax current.
func (c *Cache) logSoftmax(fill func([]float32)) {
	if c.haveLp {
		return
	}
	c.logits(fill)
	if c.exact {
		exact.LogSoftmax(c.logp, c.Logits)
	} else {
		nn.LogSoftmaxRow(c.logp, c.Logits, c.Scratch)
	}
	c.haveLp = true
}
