//go:build !linux

package kernels

import "time"

// processCPU is unavailable here: the CPU-time metric is skipped.
func processCPU() time.Duration { return 0 }
