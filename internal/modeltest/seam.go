package modeltest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// seam adapts one kind of state to the checks every element type shares:
// S is the state type (autoreg.State for tokens; a real-valued state for
// time series), H a history of elements (a token slice; a slice of steps).
// A suite for another element type builds a seam and reuses walk,
// checkAppendCalls, checkCopy, checkReset, checkProcs, checkSame and
// checkAllocs, adding only the checks that belong to its distributions.
type seam[S any, H any] struct {
	unit     string // what one element is called in messages ("token")
	newState func() S
	steps    func(H) int              // elements in a history
	append   func(s S, h H, i, j int) // elements i..j of h, in one call
	copyTo   func(src, dst S)
	reset    func(S)
	len      func(S) int
	// predict writes the fingerprint of the state's prediction, width
	// values, into dst: whatever the checks compare bit for bit or within a
	// tolerance (a token state's log-probabilities).
	predict func(s S, dst []float64)
	width   int
}

// walk appends h one element at a time to a new state and returns the
// prediction after every prefix: fp[i] after i elements.
func (sm *seam[S, H]) walk(h H) [][]float64 {
	return sm.walkFrom(sm.newState(), h, 0)
}

// walkFrom continues st, which holds h[:from], one element at a time and
// returns the predictions after prefixes from..steps(h).
func (sm *seam[S, H]) walkFrom(st S, h H, from int) [][]float64 {
	n := sm.steps(h)
	fp := make([][]float64, 0, n-from+1)
	for i := from; ; i++ {
		fp = append(fp, sm.prediction(st))
		if i == n {
			return fp
		}
		sm.append(st, h, i, i+1)
	}
}

// paths returns, in one slice, the predictions after every prefix of h
// appended one element at a time, then the prediction after all of h
// appended in one call: the part of checkProcs' run every suite shares.
func (sm *seam[S, H]) paths(h H) []float64 {
	var out []float64
	for _, fp := range sm.walk(h) {
		out = append(out, fp...)
	}
	st := sm.newState()
	sm.append(st, h, 0, sm.steps(h))
	return append(out, sm.prediction(st)...)
}

// prediction returns a new slice holding st's fingerprint.
func (sm *seam[S, H]) prediction(st S) []float64 {
	dst := make([]float64, sm.width)
	sm.predict(st, dst)
	return dst
}

// stepwise returns a new state holding h[:n], appended one element at a
// time.
func (sm *seam[S, H]) stepwise(h H, n int) S {
	st := sm.newState()
	for i := range n {
		sm.append(st, h, i, i+1)
	}
	return st
}

// same compares a prediction with its reference.
func (sm *seam[S, H]) same(m *meter, what string, got, want []float64, tol Tol) error {
	if k := m.firstDiff(got, want, tol); k >= 0 {
		return fmt.Errorf("%s: entry %d is %v, want %v", what, k, got[k], want[k])
	}
	return nil
}

// follow checks that st, holding h[:from], continues along ref (the
// reference predictions of every prefix of h) one element at a time.
func (sm *seam[S, H]) follow(m *meter, what string, st S, h H, from int, ref [][]float64, tol Tol) error {
	for i, got := range sm.walkFrom(st, h, from) {
		if err := sm.same(m, fmt.Sprintf("%s, after %d %ss", what, from+i, sm.unit), got, ref[from+i], tol); err != nil {
			return err
		}
	}
	return nil
}

// checkLen: Len counts the elements appended one at a time and in one
// call, an empty Append adds none, Reset returns it to zero and CopyTo
// copies it. other is a second history.
func checkLen[S, H any](sm *seam[S, H], h, other H) error {
	n := sm.steps(h)
	st := sm.newState()
	if got := sm.len(st); got != 0 {
		return fmt.Errorf("a new state: Len %d, want 0", got)
	}
	for i := range n {
		sm.append(st, h, i, i+1)
		if got := sm.len(st); got != i+1 {
			return fmt.Errorf("after appending %d %ss one at a time: Len %d", i+1, sm.unit, got)
		}
	}
	sm.append(st, h, n, n)
	if got := sm.len(st); got != n {
		return fmt.Errorf("an empty Append changed Len from %d to %d", n, got)
	}
	one := sm.newState()
	sm.append(one, h, 0, n)
	if got := sm.len(one); got != n {
		return fmt.Errorf("after appending %d %ss in one call: Len %d", n, sm.unit, got)
	}
	sm.append(one, other, 0, sm.steps(other))
	if got, want := sm.len(one), n+sm.steps(other); got != want {
		return fmt.Errorf("after two calls of Append: Len %d, want %d", got, want)
	}
	sm.copyTo(st, one)
	if got := sm.len(one); got != n {
		return fmt.Errorf("a copy of a state of Len %d has Len %d", n, got)
	}
	sm.reset(one)
	if got := sm.len(one); got != 0 {
		return fmt.Errorf("after Reset: Len %d", got)
	}
	if got := sm.len(st); got != n {
		return fmt.Errorf("resetting a copy changed its source's Len to %d", got)
	}
	return nil
}

// checkAppendCalls: appending h in one call, in a few long calls, and with
// an empty call between, gives the predictions of appending it one element
// at a time (ref), within tol.
func checkAppendCalls[S, H any](sm *seam[S, H], m *meter, h H, ref [][]float64, tol Tol) error {
	n := sm.steps(h)
	if n == 0 {
		return nil
	}
	for _, cuts := range [][]int{{0, n}, {0, n / 3, n}, {0, 1, n / 2, n / 2, n}} {
		st := sm.newState()
		for k := 1; k < len(cuts); k++ {
			a, b := cuts[k-1], cuts[k]
			sm.append(st, h, a, b)
			what := fmt.Sprintf("appending %ss %d..%d in one call", sm.unit, a, b)
			if a == b {
				what = fmt.Sprintf("an empty Append after %d %ss", a, sm.unit)
			}
			if err := sm.same(m, what, sm.prediction(st), ref[b], tol); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCopy: a copy reproduces its source's prediction bit for bit and
// continues along ref; changing the source afterwards does not change the
// copy, and changing the copy does not change the source; a copy of an
// empty state is an empty history. Copies go into states that hold another
// history (other) first.
func checkCopy[S, H any](sm *seam[S, H], h, other H, ref [][]float64) error {
	var m meter
	n, p := sm.steps(h), sm.steps(h)/2
	dirty := func() S {
		d := sm.newState()
		sm.append(d, other, 0, sm.steps(other))
		sm.prediction(d)
		return d
	}
	junk := min(sm.steps(other), 5)

	// The source, its prediction computed, moves on after the copy.
	src, dst := sm.stepwise(h, p), dirty()
	sm.prediction(src)
	sm.copyTo(src, dst)
	sm.append(src, other, 0, junk)
	if err := sm.follow(&m, "a copy whose source moved on", dst, h, p, ref, 0); err != nil {
		return err
	}
	// The copy moves on; the source, its prediction not yet computed, must
	// not.
	src, dst = sm.stepwise(h, p), dirty()
	sm.copyTo(src, dst)
	sm.append(dst, other, 0, junk)
	sm.prediction(dst)
	if err := sm.follow(&m, "a source whose copy moved on", src, h, p, ref, 0); err != nil {
		return err
	}
	// The empty history, and a copy of the whole history.
	dst = dirty()
	sm.copyTo(sm.newState(), dst)
	if err := sm.follow(&m, "a copy of an empty state", dst, h, 0, ref, 0); err != nil {
		return err
	}
	src = sm.stepwise(h, n)
	sm.copyTo(src, dst)
	return sm.same(&m, fmt.Sprintf("a copy after %d %ss", n, sm.unit), sm.prediction(dst), ref[n], 0)
}

// checkReset: a state reset after other histories (and after receiving a
// copy) predicts what a new state does and continues along ref, bit for
// bit.
func checkReset[S, H any](sm *seam[S, H], h, other H, ref [][]float64) error {
	var m meter
	st := sm.newState()
	sm.append(st, other, 0, sm.steps(other))
	sm.prediction(st)
	sm.append(st, h, 0, sm.steps(h)/2)
	sm.reset(st)
	if err := sm.follow(&m, "a reset state", st, h, 0, ref, 0); err != nil {
		return err
	}
	src := sm.stepwise(other, sm.steps(other))
	sm.copyTo(src, st)
	sm.reset(st)
	return sm.follow(&m, "a state reset after a copy", st, h, 0, ref, 0)
}

// checkProcs: fingerprint, which runs every path of the suite and returns
// all it computed, gives the same bits under each GOMAXPROCS as under the
// current setting.
func checkProcs(procs []int, fingerprint func() []float64) error {
	want := fingerprint()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		got := fingerprint()
		if len(got) != len(want) {
			return fmt.Errorf("GOMAXPROCS=%d: %d values, %d under GOMAXPROCS=%d", p, len(got), len(want), runtime.GOMAXPROCS(0))
		}
		for k := range want {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				return fmt.Errorf("GOMAXPROCS=%d: value %d of the run is %v, %v by default", p, k, got[k], want[k])
			}
		}
	}
	return nil
}

// checkSame compares the predictions got along a history with ref, within
// tol, labelling a failure with what.
func checkSame[S, H any](sm *seam[S, H], m *meter, what string, got, ref [][]float64, tol Tol) error {
	for i := range ref {
		if err := sm.same(m, fmt.Sprintf("%s, after %d %ss", what, i, sm.unit), got[i], ref[i], tol); err != nil {
			return err
		}
	}
	return nil
}

// checkAllocs: step, one step of the allocation-free paths, allocates
// nothing in steady state under each GOMAXPROCS of procs. After a garbage
// collection and runs untimed steps, one of up to maxAllocWindows windows
// of runs steps must allocate fewer than runs/maxAllocShare objects. The
// collector is off while counting, so that no collection empties the
// sync.Pools of the kernels. An allocation per step fails every window;
// a pool whose per-P caches fill only as the scheduler moves goroutines
// between Ps (a few allocations per window, falling) passes.
// testing.AllocsPerRun is not used: it runs under GOMAXPROCS=1, where the
// parallel paths never run.
func checkAllocs(what string, procs []int, runs int, step func()) error {
	if raceEnabled {
		return nil
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		runtime.GC()
		for range runs {
			step()
		}
		gc := debug.SetGCPercent(-1)
		var counts []uint64
		for range maxAllocWindows {
			var a, b runtime.MemStats
			runtime.ReadMemStats(&a)
			for range runs {
				step()
			}
			runtime.ReadMemStats(&b)
			counts = append(counts, b.Mallocs-a.Mallocs)
			if counts[len(counts)-1]*maxAllocShare < uint64(runs) {
				break
			}
		}
		debug.SetGCPercent(gc)
		if n := counts[len(counts)-1]; n*maxAllocShare >= uint64(runs) {
			return fmt.Errorf("GOMAXPROCS=%d: %s: %v allocations in windows of %d steps after warm-up", p, what, counts, runs)
		}
	}
	return nil
}

// maxAllocShare: checkAllocs fails at one allocation per maxAllocShare
// steps or more.
const maxAllocShare = 10

// maxAllocWindows: how many windows checkAllocs counts before it fails.
const maxAllocWindows = 6

// goldenHash is the hex SHA-256 of the bits of every prediction of refs
// (float64 little-endian, history by history, prefix by prefix).
func goldenHash(refs [][][]float64) string {
	h := sha256.New()
	var b [8]byte
	for _, ref := range refs {
		for _, fp := range ref {
			for _, v := range fp {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				h.Write(b[:])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// check is one check of a suite over its run type R.
type check[R any] struct {
	name Check
	run  func(R) error
}

// suiteRun is what runChecks needs of a suite's shared work.
type suiteRun interface {
	notApplicable(Check) string
	setLogf(func(format string, args ...any))
}

// runChecks runs each check as a subtest named by its Check, skipped with
// its reason when it does not apply.
func runChecks[R suiteRun](t *testing.T, r R, checks []check[R]) {
	t.Helper()
	for _, c := range checks {
		t.Run(string(c.name), func(t *testing.T) {
			if reason := r.notApplicable(c.name); reason != "" {
				t.Skip(reason)
			}
			r.setLogf(t.Logf)
			if err := c.run(r); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// payloadRoundTrip writes m with its WriteTo (a family's payload) and reads
// the bytes back with read.
func payloadRoundTrip[M any](m any, read func(r io.Reader, size int64) (M, error)) (M, error) {
	var zero M
	w, ok := m.(io.WriterTo)
	if !ok {
		return zero, fmt.Errorf("modeltest: %T has no WriteTo", m)
	}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		return zero, err
	}
	return read(&buf, n)
}
