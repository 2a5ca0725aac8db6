//go:build !unix && !windows

package testutil

import "time"

// ProcessCPU would return the CPU time the process has used; this platform
// offers no such clock, so it returns 0 and callers leave out their
// CPU-time figures.
func ProcessCPU() time.Duration { return 0 }
