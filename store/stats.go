package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Stats describes a database file, for `vecbolt stats` and tests.
type Stats struct {
	Path          string
	FileSize      int64  // bytes on disk
	DataSize      int64  // bytes bbolt uses (high-water mark of pages); FileSize minus this is preallocated
	PageSize      int    // bbolt page size in bytes
	FreePages     int    // pages on bbolt's free list (may be 0 on a read-only handle)
	FormatVersion uint32 // the file's vecbolt format version
	Collections   []CollectionStats
}

// CollectionStats describes one collection.
type CollectionStats struct {
	Name    string
	Config  Config
	Len     int                    // records
	Nodes   int                    // graph nodes
	NextSeq uint64                 // next insertion sequence number
	Buckets map[string]BucketStats // by sub-bucket name: "keys", "records", "vectors", "order", "graph", "config"
}

// BucketStats is the space used by one bucket (from bbolt's bucket stats).
type BucketStats struct {
	Keys       int  // key/value pairs
	Depth      int  // B+tree levels
	LeafPages  int  // logical leaf pages
	Branch     int  // logical branch pages
	Overflow   int  // overflow pages (leaf and branch)
	AllocBytes int  // bytes allocated to pages (0 for an inline bucket)
	InuseBytes int  // bytes holding data, page headers included
	Inline     bool // small enough to live inside its parent's page
}

func bucketStats(b *bolt.Bucket) BucketStats {
	s := b.Stats()
	return BucketStats{
		Keys:       s.KeyN,
		Depth:      s.Depth,
		LeafPages:  s.LeafPageN,
		Branch:     s.BranchPageN,
		Overflow:   s.LeafOverflowN + s.BranchOverflowN,
		AllocBytes: s.LeafAlloc + s.BranchAlloc,
		InuseBytes: s.LeafInuse + s.BranchInuse + s.InlineBucketInuse,
		Inline:     s.InlineBucketN > 0 && s.LeafPageN == 0,
	}
}

// Stats reports sizes and counts for the file and each collection, from one
// read transaction. Walking bucket statistics reads every page, so it takes
// time proportional to the file size; ctx is checked between collections.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Path: db.path, FormatVersion: FormatVersion}
	var err error
	if st.FileSize, err = db.Size(); err != nil {
		return Stats{}, err
	}
	bs := db.bolt.Stats()
	st.FreePages = bs.FreePageN
	err = db.View(func(tx *Tx) error {
		st.DataSize = tx.btx.Size()
		st.PageSize = tx.btx.DB().Info().PageSize
		names, err := tx.Collections()
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := tx.Collection(name)
			if err != nil {
				return err
			}
			cs := CollectionStats{
				Name: name, Config: c.cfg, Len: c.Len(), NextSeq: c.nextSeq,
				Buckets: make(map[string]BucketStats, len(subBuckets)),
			}
			for _, sb := range subBuckets {
				if b := c.b.Bucket(sb); b != nil {
					cs.Buckets[string(sb)] = bucketStats(b)
				}
			}
			if err := c.ForEachNode(func(uint32, []byte) error { cs.Nodes++; return nil }); err != nil {
				return err
			}
			st.Collections = append(st.Collections, cs)
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats %s: %w", db.path, err)
	}
	return st, nil
}
