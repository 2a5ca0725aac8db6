// Package testutil finds the shared reference data that tests compare
// against, and holds small helpers common to the test suites.
//
// The shared folder sits beside the module root (../shared relative to the
// directory holding go.mod), or wherever AUTOREG_SHARED points. Tests that need
// it call [Shared] or [SharedFile]: where the folder is missing they skip with a
// message, except under CI=true, where a missing reference is a failure so a
// green CI never hides skipped reference tests.
//
// Benchmarks on a shared machine read the CPU clocks [ProcessCPU] and
// [ThreadCPU], which work on every platform (they read 0 where the platform
// has no such clock).
package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, walking up from the
// current directory (a test's package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testutil: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// SharedDir returns the shared folder's path without checking that it exists.
func SharedDir() (string, error) {
	if d := os.Getenv("AUTOREG_SHARED"); d != "" {
		return d, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), "shared"), nil
}

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Shared returns the shared folder, or skips the test (fails it under CI)
// when the folder is missing.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir, err := SharedDir()
	if err == nil {
		_, err = os.Stat(dir)
	}
	if err != nil {
		missing(tb, "shared folder: "+err.Error())
	}
	return dir
}

// SharedFile returns the path of rel inside the shared folder (for example
// "data/ptb/ptb.train.txt"), or skips the test (fails it under CI) when the
// file is missing.
func SharedFile(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Shared(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(tb, "reference file: "+err.Error())
	}
	return p
}

func missing(tb testing.TB, what string) {
	tb.Helper()
	msg := "missing " + what + " (set AUTOREG_SHARED or place shared/ beside the module root)"
	if InCI() {
		tb.Fatal(msg + "; CI=true makes this a failure")
	}
	tb.Skip(msg)
}

// Simpson integrates f over [a, b] by the composite Simpson rule with n
// (even) intervals: the plain quadrature the numeric tests compare against.
func Simpson(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	s := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(a+float64(i)*h)
	}
	return s * h / 3
}
