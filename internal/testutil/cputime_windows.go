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
func ProcessCPU() time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var created, exited, kernel, user syscall.Filetime
	if syscall.GetProcessTimes(h, &created, &exited, &kernel, &user) != nil {
		return 0
	}
	return filetimeSpan(kernel) + filetimeSpan(user)
}

// filetimeSpan converts a FILETIME holding a span (not a date) to a
// duration: it counts 100 ns intervals.
func filetimeSpan(f syscall.Filetime) time.Duration {
	return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
}
