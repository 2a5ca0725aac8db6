package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("root %s has no go.mod: %v", root, err)
	}
}

func TestSharedDirOverride(t *testing.T) {
	t.Setenv("AUTOREG_SHARED", "/somewhere/else")
	d, err := SharedDir()
	if err != nil || d != "/somewhere/else" {
		t.Fatalf("SharedDir = %q, %v", d, err)
	}
}
