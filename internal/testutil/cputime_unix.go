//go:build unix

package testutil

import (
	"syscall"
	"time"
)

// ProcessCPU is the process's user+system CPU time: on a shared machine a
// steadier measure of work than the wall clock. Zero where unavailable.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
