// Package legacy holds, frozen, the math of files that lmzip no longer
// writes but must still decode: revision 1 of the adaptive mode's online
// networks (an adaptive configuration with n= or g= and no v=, written
// before the networks were rebuilt on internal/exact; docs/COMPRESSION.md,
// "Versions"). Nothing new calls it: the writer codes the current revision
// with package online, and only lmzip's reader (and a test-only switch of
// its writer, which reproduces the old golden files) builds these
// networks.
//
// Do not change a bit of it. Its arithmetic is that of the files already
// written; testdata/adaptive-*-rev1.golden in lmzip pins it. It shares with
// the current networks only what both revisions compute identically:
// package online's parameters, Adam step and sum tree, and internal/kernels'
// exact primitives, all pinned by golden files and hashes of their own.
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
