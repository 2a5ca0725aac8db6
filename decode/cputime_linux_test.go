package decode

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time consumed by the calling OS thread
// (RUSAGE_THREAD), which, unlike wall time, does not grow when other
// processes compete for the cores. Callers lock the goroutine to its thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
