// Package legacy holds, frozen, math that files already written depend on
// and that must never change:
//
//   - engine 1 of the adaptive mode (cm.go), the context-mixing model of
//     configurations spelled "cm o=...": every adaptive file before
//     engine 2, and still what the ngram, lstm and gpt presets write;
//   - revision 1 of the adaptive mode's online networks (an adaptive
//     configuration with n= or g= and no v=, written before the networks
//     were rebuilt on internal/exact; docs/COMPRESSION.md, "Versions"),
//     decoded only;
//   - the static mode's original literal coding (streams without the
//     token-first flag, literals.go), decoded only.
//
// New models go elsewhere (engine 2 is package cm's Model); only the
// writer's engine-1 presets, lmzip's reader and test-only switches of the
// writer (which reproduce the old golden files) call this package.
//
// Do not change a bit of it. Its arithmetic is that of the files already
// written; testdata/adaptive-{ngram,mix-cm1}.golden, adaptive-*-rev1.golden
// and *-oldlit.golden in lmzip pin it. It shares with the current code only
// what both compute identically: package online's parameters, Adam step and
// sum tree, package cm's counters, Mixer, APM and tables, and
// internal/kernels' exact primitives, all pinned by golden files and hashes
// of their own.
package legacy

import (
	"math"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/lmzip/internal/online"
)

// softmaxTree sets p to the softmax of logits (max subtracted, sums in
// index order) and tree to its sum tree.
func softmaxTree(p, logits []float32, tree *online.Tree) {
	mx := float32(math.Inf(-1))
	for _, l := range logits {
		if l > mx {
			mx = l
		}
	}
	for k, l := range logits {
		p[k] = l - mx
	}
	kernels.ExactExpSlice(p, p)
	var sum float32
	for _, v := range p {
		sum += v
	}
	for k := range p {
		p[k] /= sum
	}
	tree.Set(p)
}
