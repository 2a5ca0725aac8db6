package testutil

import (
	"runtime"
	"testing"
	"time"
)

// The CPU clocks advance while the calling thread computes (on the
// platforms that have them: the process clock on Unix and Windows, the
// thread clock on Linux).
func TestCPUClocks(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := ProcessCPU(), ThreadCPU()
	x := 1.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		for range 1000 {
			x = x*1.0000001 + 1e-9
		}
	}
	p1, t1 := ProcessCPU(), ThreadCPU()
	if x == 0 {
		t.Log(x) // keeps the loop
	}
	switch runtime.GOOS {
	case "linux":
		if t1 <= t0 {
			t.Errorf("ThreadCPU did not advance: %v then %v", t0, t1)
		}
		fallthrough
	case "windows", "darwin", "freebsd", "netbsd", "openbsd":
		if p1 <= p0 {
			t.Errorf("ProcessCPU did not advance: %v then %v", p0, p1)
		}
	}
	if t1 > 0 && p1 < t1 {
		t.Errorf("the process used less CPU (%v) than one of its threads (%v)", p1, t1)
	}
}
