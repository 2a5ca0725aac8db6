//go:build !linux

package kernels

import "runtime"

// osYield lets other goroutines run (no portable thread yield outside
// Linux).
func osYield() { runtime.Gosched() }
