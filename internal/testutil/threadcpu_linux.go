package testutil

import (
	"syscall"
	"time"
)

// ThreadCPU is the CPU time of the calling OS thread (Linux RUSAGE_THREAD;
// callers lock their goroutine to its thread): time spent descheduled by a
// busy machine does not count. Zero where unavailable.
func ThreadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
