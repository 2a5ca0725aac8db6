// Package window holds the sliding-window policy of the families whose
// decoders see a bounded number of positions with learned absolute
// position embeddings (package gpt, package seq2seq): when the window of
// T positions is full and another token comes, the oldest half is dropped
// and the newest T/2 tokens are re-encoded from position 0, since such a
// cache cannot simply be shifted.
package window

import "github.com/autoreg/autoreg"

// Append returns, in dst, the window that appending xs one token at a
// time to a window holding hist (len(hist) ≤ T) would end with, for xs
// that overflow it (len(hist)+len(xs) > T): a long append then encodes
// only that window, in one batched pass.
func Append(dst, hist, xs []autoreg.Token, T int) []autoreg.Token {
	pos := len(hist)
	p := Final(pos, len(xs), T)
	dst = dst[:0]
	if p > len(xs) {
		dst = append(dst, hist[pos-(p-len(xs)):]...)
		return append(dst, xs...)
	}
	return append(dst, xs[len(xs)-p:]...)
}

// Final returns how many positions a window of capacity T holding pos
// positions holds after n more are appended one at a time, the oldest
// half dropped whenever a full window takes another.
func Final(pos, n, T int) int {
	p := pos
	for n > 0 {
		if p == T {
			p = T / 2
		}
		c := min(n, T-p)
		p += c
		n -= c
	}
	return p
}
