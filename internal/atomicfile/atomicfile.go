// Package atomicfile writes files so that a reader, a crash or a full disk
// never sees a partial file: data goes to a temporary file in the same
// directory, is synced, and is renamed over the destination only when
// complete.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a file being written; the destination appears only on Commit.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path. The temporary file lives beside it, so the
// final rename stays on one file system.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create: %w", path, underlying(err))
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the data to disk and renames the file into place.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.path)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Chmod(0o644)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: cannot write: %w", f.path, underlying(err))
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync() // make the rename durable; not every file system supports it
		d.Close()
	}
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit, so it can
// be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFile writes path atomically with the data fn writes.
func WriteFile(path string, fn func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fn(f); err != nil {
		return err
	}
	return f.Commit()
}

func underlying(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}
