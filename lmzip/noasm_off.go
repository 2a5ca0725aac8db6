//go:build !noasm

package lmzip

// noasm records the build tag that selects the portable kernels, part of
// the platform tag of PathPlatform files.
const noasm = false
