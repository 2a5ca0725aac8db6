//go:build race

package modeltest

// raceEnabled: under the race detector sync.Pool drops items on purpose
// and instrumentation allocates, so allocation counts mean nothing and the
// allocation check passes without measuring.
const raceEnabled = true
