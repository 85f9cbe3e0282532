package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Keys of the root bucket added by format 2; see doc.go.
var (
	namesBucket   = []byte("names")
	nextColKey    = []byte("nextcol")
	versionCRCKey = []byte("versioncrc")
)

// initFile writes the root bucket of a new file: magic, version (with its
// checksum), the empty names table and collections bucket, and the
// collection id counter.
func initFile(btx *bolt.Tx) error {
	root, err := btx.CreateBucket(rootBucket)
	if err != nil {
		return err
	}
	return writeRoot(root)
}

// writeRoot fills an empty root bucket.
func writeRoot(root *bolt.Bucket) error {
	ver := binary.BigEndian.AppendUint32(nil, FormatVersion)
	for _, kv := range [][2][]byte{
		{magicKey, magic},
		{versionKey, ver},
		{versionCRCKey, seal(versionCRCKey, bytes.Clone(ver))},
		{nextColKey, seal(nextColKey, binary.BigEndian.AppendUint32(nil, 1))},
	} {
		if err := root.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if _, err := root.CreateBucket(collectionsBucket); err != nil {
		return err
	}
	_, err := root.CreateBucket(namesBucket)
	return err
}

// checkHeader verifies the file size, the root bucket, magic and version.
// The version is kept as 4 plain bytes, as format 1 wrote it, so that
// format-1 code refuses a format-2 file with its own version error; a
// separate sealed copy (versioncrc) catches a damaged version field.
func checkHeader(btx *bolt.Tx, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if info.Size() < btx.Size() {
		return fmt.Errorf("%w: %s is truncated: %d bytes, the database needs %d", ErrCorrupt, path, info.Size(), btx.Size())
	}
	root := btx.Bucket(rootBucket)
	if root == nil {
		return fmt.Errorf("%w: %s: bbolt file without the %q bucket", ErrNotVecbolt, path, rootBucket)
	}
	if !bytes.Equal(root.Get(magicKey), magic) {
		return fmt.Errorf("%w: %s: bad magic", ErrNotVecbolt, path)
	}
	ver, err := fileVersion(root, path)
	if err != nil {
		return err
	}
	switch {
	case ver > FormatVersion:
		return &VersionError{What: "file " + path, Got: ver, Supported: FormatVersion}
	case ver < FormatVersion:
		return &UpgradeError{Path: path, Got: ver}
	}
	if root.Bucket(collectionsBucket) == nil || root.Bucket(namesBucket) == nil {
		return fmt.Errorf("%w: %s: no %q or %q bucket", ErrCorrupt, path, collectionsBucket, namesBucket)
	}
	if p, ok := unseal(nextColKey, root.Get(nextColKey)); !ok || len(p) != 4 {
		return fmt.Errorf("%w: %s: the collection id counter fails its checksum", ErrCorrupt, path)
	}
	return nil
}

// fileVersion reads and verifies the root's version. A format-1 file has
// no versioncrc key and no names bucket; any other combination with a
// version that disagrees with its sealed copy is a damaged version field.
func fileVersion(root *bolt.Bucket, path string) (uint32, error) {
	v := root.Get(versionKey)
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: %s: format version has %d bytes, want 4", ErrCorrupt, path, len(v))
	}
	ver := binary.BigEndian.Uint32(v)
	sealed := root.Get(versionCRCKey)
	if ver == 1 && sealed == nil && root.Bucket(namesBucket) == nil {
		return 1, nil
	}
	p, ok := unseal(versionCRCKey, sealed)
	switch {
	case ver == 0:
		return 0, fmt.Errorf("%w: %s: format version 0", ErrCorrupt, path)
	case sealed == nil && ver > FormatVersion:
		return ver, nil // a newer format may seal its version differently
	case !ok || !bytes.Equal(p, v):
		return 0, fmt.Errorf("%w: %s: the format version field (%d) is damaged: it disagrees with its checksummed copy", ErrCorrupt, path, ver)
	}
	return ver, nil
}

// dropStaged drops every staged collection left by an import that did not
// finish (see Tx.CreateStaged). It writes only when there is one.
func (db *DB) dropStaged() error {
	var names []string
	if err := db.View(func(tx *Tx) error { names = tx.staged(); return nil }); err != nil || len(names) == 0 {
		return err
	}
	return db.Update(func(tx *Tx) error {
		for _, name := range tx.staged() {
			if err := tx.DropCollection(name); err != nil {
				return fmt.Errorf("store: drop unfinished staged collection: %w", err)
			}
		}
		return nil
	})
}
