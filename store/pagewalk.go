package store

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// bbolt's page format (stable since bolt 1.x, documented in bbolt's
// internal/common): a 16-byte header (id uint64, flags uint16, count
// uint16, overflow uint32), then count 16-byte elements. A branch element
// is (pos uint32, ksize uint32, child pgid uint64); a leaf element is
// (flags uint32, pos uint32, ksize uint32, vsize uint32). pos counts from
// the element's own offset. A leaf value with flag bucketLeaf is a bucket
// header (root pgid uint64, sequence uint64), followed, when root is 0, by
// the bucket's inline page. Integers are in host order (little-endian on
// every platform bbolt supports).
const (
	pageHeaderSize  = 16
	pageElementSize = 16
	bucketHeader    = 16
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	freelistFlag    = 0x10
	bucketLeafFlag  = 0x01
	maxWalkDepth    = 64
	noFreelist      = ^uint64(0)
	metaTxidOffset  = pageHeaderSize + 48
	metaFreeOffset  = pageHeaderSize + 32
)

// walkPages verifies the structure of every page reachable from the
// transaction's root bucket, and the freelist page, by reading the file
// with ReadAt. It exists because bbolt's own Check reads pages through its
// memory map and trusts the page ids it finds in them: a flipped bit in a
// branch element or bucket header sends it to an address far outside the
// mapping, and the fault kills the process (it runs in a goroutine bbolt
// starts, where no recover or SetPanicOnFault of ours applies). walkPages
// calls report for each problem and descends no further below it.
func walkPages(btx *bolt.Tx, path string, pageSize int, report func(format string, args ...any)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &pageWalker{f: f, pageSize: pageSize, hwm: uint64(btx.Size()) / uint64(pageSize), seen: map[uint64]bool{}, report: report}

	// The meta page of this transaction gives the freelist page; bbolt
	// has verified its checksum.
	var free uint64 = noFreelist
	for _, id := range []uint64{0, 1} {
		b := make([]byte, metaTxidOffset+8)
		if _, err := f.ReadAt(b, int64(id)*int64(pageSize)); err != nil {
			continue
		}
		if binary.LittleEndian.Uint64(b[metaTxidOffset:]) == uint64(btx.ID()) {
			free = binary.LittleEndian.Uint64(b[metaFreeOffset:])
		}
	}
	if free != noFreelist {
		if p, ok := w.page(free, "freelist"); ok {
			if flags := binary.LittleEndian.Uint16(p[8:]); flags&freelistFlag == 0 {
				report("page %d: freelist page has flags %#x", free, flags)
			} else {
				n, start := uint64(binary.LittleEndian.Uint16(p[10:])), pageHeaderSize
				if n == 0xFFFF {
					n, start = binary.LittleEndian.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
				}
				if n > uint64(len(p)-start)/8 {
					report("page %d: freelist of %d ids does not fit in %d bytes", free, n, len(p))
				}
			}
		}
	}
	w.walk(uint64(btx.Cursor().Bucket().Root()), 0, "root bucket")
	return nil
}

type pageWalker struct {
	f        io.ReaderAt
	pageSize int
	hwm      uint64 // pages at or above are not part of the file
	seen     map[uint64]bool
	report   func(format string, args ...any)
	readErr  error // the first error ReadAt returned, also reported
}

// page reads page id and its overflow pages, or reports why it cannot.
func (w *pageWalker) page(id uint64, what string) ([]byte, bool) {
	if id < 2 || id >= w.hwm {
		w.report("%s: page id %d outside the file (pages 2..%d)", what, id, w.hwm-1)
		return nil, false
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.f.ReadAt(hdr, int64(id)*int64(w.pageSize)); err != nil {
		w.readFailed(err)
		w.report("%s: page %d: %v", what, id, err)
		return nil, false
	}
	if got := binary.LittleEndian.Uint64(hdr); got != id {
		w.report("%s: page %d identifies itself as page %d", what, id, got)
		return nil, false
	}
	overflow := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		w.report("%s: page %d: %d overflow pages run past the end of the file", what, id, overflow)
		return nil, false
	}
	p := make([]byte, (overflow+1)*uint64(w.pageSize))
	if _, err := w.f.ReadAt(p, int64(id)*int64(w.pageSize)); err != nil {
		w.readFailed(err)
		w.report("%s: page %d: %v", what, id, err)
		return nil, false
	}
	return p, true
}

// readFailed keeps the first read error.
func (w *pageWalker) readFailed(err error) {
	if w.readErr == nil {
		w.readErr = err
	}
}

func (w *pageWalker) walk(id uint64, depth int, what string) {
	if depth > maxWalkDepth {
		w.report("%s: page %d: tree deeper than %d", what, id, maxWalkDepth)
		return
	}
	if w.seen[id] {
		w.report("%s: page %d referenced twice", what, id)
		return
	}
	p, ok := w.page(id, what)
	if !ok {
		return
	}
	w.seen[id] = true
	w.elements(p, id, depth, what)
}

// elements checks the elements of page p (a file page, or an inline
// bucket's page when id is 0) and descends into children and buckets.
func (w *pageWalker) elements(p []byte, id uint64, depth int, what string) {
	if len(p) < pageHeaderSize {
		w.report("%s: inline page of %d bytes", what, len(p))
		return
	}
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if flags != branchPageFlag && flags != leafPageFlag {
		w.report("%s: page %d: flags %#x, want a branch or leaf page", what, id, flags)
		return
	}
	if pageHeaderSize+count*pageElementSize > len(p) {
		w.report("%s: page %d: %d elements do not fit in %d bytes", what, id, count, len(p))
		return
	}
	if flags == branchPageFlag && id == 0 {
		w.report("%s: inline bucket page is a branch page", what)
		return
	}
	for i := 0; i < count; i++ {
		e := pageHeaderSize + i*pageElementSize
		le := binary.LittleEndian
		if flags == branchPageFlag {
			pos, ksize := int(le.Uint32(p[e:])), int(le.Uint32(p[e+4:]))
			if e+pos+ksize > len(p) || e+pos+ksize < e {
				w.report("%s: page %d element %d: key runs past the page", what, id, i)
				return
			}
			w.walk(le.Uint64(p[e+8:]), depth+1, what)
			continue
		}
		eflags, pos, ksize, vsize := le.Uint32(p[e:]), int(le.Uint32(p[e+4:])), int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		end := e + pos + ksize + vsize
		if end > len(p) || end < e || pos < 0 || ksize < 0 || vsize < 0 {
			w.report("%s: page %d element %d: key or value runs past the page", what, id, i)
			return
		}
		if eflags&bucketLeafFlag == 0 {
			continue
		}
		key := p[e+pos : e+pos+ksize]
		v := p[e+pos+ksize : end]
		sub := fmt.Sprintf("bucket %q", key)
		if len(v) < bucketHeader {
			w.report("%s: page %d element %d: bucket value of %d bytes", what, id, i, len(v))
			continue
		}
		if depth > maxWalkDepth {
			w.report("%s: buckets nested deeper than %d", sub, maxWalkDepth)
			continue
		}
		if root := le.Uint64(v); root != 0 {
			w.walk(root, depth+1, sub)
		} else {
			w.elements(v[bucketHeader:], 0, depth+1, sub+" (inline)")
		}
	}
}
