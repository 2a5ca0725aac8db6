//go:build noasm

package lmzip

const noasm = true
