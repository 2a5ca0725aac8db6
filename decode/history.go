package decode

import "github.com/autoreg/autoreg"

// History is the token sequence a step conditions on — the prompt followed by
// every token generated so far — with occurrence counts over its most recent
// Window tokens, which is what the repetition, presence and frequency
// penalties and DRY look at. Pushing a token is O(1) and allocation-free
// once the backing array has room.
type History struct {
	// Tokens is the whole sequence, oldest first. Read-only for processors.
	Tokens []autoreg.Token
	// window is the number of recent tokens the penalties see (0: all).
	window int
	counts []int32 // occurrences of each token inside the window
}

// NewHistory returns an empty history over a vocabulary of n tokens whose
// penalty window is the last window tokens (0 or less: the whole sequence).
func NewHistory(n, window int) *History {
	return &History{window: max(window, 0), counts: make([]int32, n)}
}

// Reset replaces the sequence by tokens (copied), reserving room for extra
// more tokens so that Push does not allocate.
func (h *History) Reset(tokens []autoreg.Token, extra int) {
	for _, t := range h.Recent() {
		h.counts[t] = 0
	}
	if cap(h.Tokens) < len(tokens)+extra {
		h.Tokens = make([]autoreg.Token, 0, len(tokens)+extra)
	}
	h.Tokens = append(h.Tokens[:0], tokens...)
	for _, t := range h.Recent() {
		h.counts[t]++
	}
}

// Push appends t, sliding the window.
func (h *History) Push(t autoreg.Token) {
	h.Tokens = append(h.Tokens, t)
	h.counts[t]++
	if h.window > 0 && len(h.Tokens) > h.window {
		h.counts[h.Tokens[len(h.Tokens)-1-h.window]]--
	}
}

// Window is the penalty window (0: the whole sequence).
func (h *History) Window() int { return h.window }

// Recent returns the tokens inside the penalty window, oldest first.
func (h *History) Recent() []autoreg.Token {
	if h.window > 0 && len(h.Tokens) > h.window {
		return h.Tokens[len(h.Tokens)-h.window:]
	}
	return h.Tokens
}

// Count returns how often t occurs inside the penalty window.
func (h *History) Count(t autoreg.Token) int { return int(h.counts[t]) }

// EachRecent calls fn once for every distinct token inside the penalty
// window, with its count, in order of first occurrence. (Counts are negated
// while visited to mark them, then restored: no extra memory.)
func (h *History) EachRecent(fn func(t autoreg.Token, count int)) {
	recent := h.Recent()
	for _, t := range recent {
		if n := h.counts[t]; n > 0 {
			fn(t, int(n))
			h.counts[t] = -n
		}
	}
	for _, t := range recent {
		if n := h.counts[t]; n < 0 {
			h.counts[t] = -n
		}
	}
}
