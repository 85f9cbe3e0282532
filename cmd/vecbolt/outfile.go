package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Output files: the rules every command that writes a file the user names
// (export, bench --out, bench plot --out) follows.
//
//   - A new file is written under a temporary name in its directory and
//     renamed into place when complete: an interrupted or failed write
//     leaves nothing.
//   - An existing regular file is refused unless force; with force it is
//     replaced the same way, keeping its permissions.
//   - A symbolic link is followed (to its final target, even a missing
//     one): the link stays and its target is written, as a shell's ">" does.
//   - FIFOs and devices (/dev/null, /dev/stdout, a terminal) are opened and
//     written into, never renamed over or removed.
//   - The database file is never a destination, under any name: the
//     comparison is by device and inode, so symbolic and hard links to it
//     are refused too, even with force.
//   - A directory, or a file in a missing directory, is refused before any
//     work is done.

// outputFile is a resolved destination; the zero value is unset.
type outputFile struct {
	name    string      // as the user gave it, for messages
	path    string      // where the data goes, symbolic links resolved
	special bool        // a FIFO or device: written in place
	mode    fs.FileMode // permissions of the file written
}

// maxSymlinks bounds the links resolveOutput follows, as the kernel does.
const maxSymlinks = 40

// resolveOutput checks name as a destination under the rules above and
// returns where to write. db is the database file ("" for none).
func resolveOutput(name, db string, force bool) (outputFile, error) {
	o := outputFile{name: name, path: name, mode: 0o644}
	for i := 0; ; i++ {
		fi, err := os.Lstat(o.path)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return o, pathError(name, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		if i == maxSymlinks {
			return o, usageErr(fmt.Errorf("%s: too many levels of symbolic links", name))
		}
		target, err := os.Readlink(o.path)
		if err != nil {
			return o, pathError(name, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(o.path), target)
		}
		o.path = target
	}
	fi, err := os.Stat(o.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(o.path)
		if di, err := os.Stat(dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return o, &exitError{code: exitNotFound, err: &hintError{msg: fmt.Sprintf("cannot create %s: directory %s does not exist", name, dir), err: err}}
			}
			return o, pathError(name, err)
		} else if !di.IsDir() {
			return o, usageErr(fmt.Errorf("cannot create %s: %s is not a directory", name, dir))
		}
		return o, nil
	case err != nil:
		return o, pathError(name, err)
	}
	if db != "" {
		if dbi, err := os.Stat(db); err == nil && os.SameFile(fi, dbi) {
			return o, usageErr(fmt.Errorf("%s is the database file itself; write to another file", name))
		}
	}
	switch {
	case fi.IsDir():
		return o, usageErr(fmt.Errorf("%s is a directory; give a file name", name))
	case !fi.Mode().IsRegular():
		o.special = true
		return o, nil
	case !force:
		return o, usageErr(&hintError{msg: fmt.Sprintf("%s already exists; give --force to replace it, or choose another name", name), err: fs.ErrExist})
	}
	o.mode = fi.Mode().Perm()
	return o, nil
}

// pathError turns an error about writing name into one sentence that
// names it once: a file system error loses its own "op path:" layers.
func pathError(name string, err error) error {
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return &hintError{msg: fmt.Sprintf("%s: %v", name, pe.Err), err: err}
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// write writes the destination through fn: in place for a FIFO or device,
// otherwise atomically under a temporary name renamed into place.
func (o outputFile) write(fn func(w io.Writer) error) error {
	if o.special {
		f, err := os.OpenFile(o.path, os.O_WRONLY, 0)
		if err != nil {
			return pathError(o.name, err)
		}
		if err := fn(f); err != nil {
			_ = f.Close()
			return pathError(o.name, err)
		}
		return pathError(o.name, f.Close())
	}
	return pathError(o.name, writeFileAtomic(o.path, o.mode, fn))
}

// writeFileAtomic writes path through fn under a temporary name in the same
// directory and renames it into place only when fn and the close succeed.
func writeFileAtomic(path string, mode fs.FileMode, fn func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fn(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
