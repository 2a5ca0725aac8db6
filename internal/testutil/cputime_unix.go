//go:build unix

package testutil

import (
	"syscall"
	"time"
)

// ProcessCPU returns the CPU time (user + system) the process has used so
// far. Unlike wall time it does not grow while other processes hold the
// cores, so benchmarks on a shared machine report it beside wall-clock
// rates. It returns 0 where the platform offers no such clock; callers
// report a CPU-time figure only when the difference of two readings is
// positive.
func ProcessCPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

// rusageCPU returns the user + system time getrusage reports for who (0
// on error).
func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
