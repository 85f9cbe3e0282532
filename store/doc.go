// Package store keeps vecbolt's data in one bbolt file: named collections
// of records (key, vector, metadata), their insertion order, and the
// persisted HNSW graph as opaque per-node bytes. It is the only vecbolt
// package that imports bbolt, and it knows nothing about graphs: the index
// package encodes nodes, the query package moves them between the two.
//
// # Basics
//
// Open a file with Open, then read with DB.View and write with DB.Update
// (or DB.Batch). Both take a function that receives a *Tx; from it get a
// *Collection with Tx.CreateCollection or Tx.Collection:
//
//	db, err := store.Open("words.vecbolt", store.Options{})
//	...
//	err = db.Update(func(tx *store.Tx) error {
//		c, err := tx.CreateCollection("glove", store.Config{Dim: 100, Metric: store.Cosine})
//		if err != nil {
//			return err
//		}
//		return c.Put(&store.Record{ID: 0, Key: "king", Vector: vec})
//	})
//
// Everything written in one Update is committed together or not at all: if
// the function returns an error or panics, the transaction is rolled back.
// Put validates its input before writing anything, so a rejected record
// leaves no trace even if the caller goes on to commit.
//
// Record ids are the caller's: the index allocates them and the store
// keeps key↔id maps. Keys are unique within a collection. Each new key gets
// the next insertion sequence number (Seq, from 1), which ForEach follows;
// replacing a key keeps its Seq.
//
// # Concurrency
//
// A DB is safe for concurrent use. Any number of View transactions may run
// at once and alongside one Update; Updates are serialised. A Tx and the
// Collections taken from it belong to the function they were passed to: use
// them from one goroutine and not after the function returns. Slices the
// ForEach methods hand to their callbacks are valid only during the call;
// Get, GetByID, Node and GraphMeta return copies the caller owns.
//
// One process opens a file read-write at a time (bbolt's flock): a second
// Open, in this process or another, waits Options.Timeout (default one
// second) and returns ErrLocked. Read-only opens share the lock with each
// other but not with a read-write open.
//
// # Caveats
//
//   - Vectors are stored exactly as written, under every metric, so a
//     round trip is lossless; under cosine Record.Norm records the length
//     (the graph's unit vectors are computed in memory). See Collection.Put.
//   - Many new keys in one transaction: use Collection.PutBatch, which
//     writes each bucket in key order (bbolt splits pages only at commit,
//     so random-order inserts cost quadratic time).
//   - Keys are 1..MaxKeyLen (4096) bytes of valid UTF-8: Put refuses other
//     bytes with ErrKeyNotUTF8 (JSON, the export formats and terminals need
//     text). Files written before this rule may hold such keys; reads return
//     them as stored. Collection names are 1..MaxNameLen (255) bytes of UTF-8.
//   - A vector's squared length must be 0 or within [MinSquaredNorm,
//     MaxSquaredNorm] (lengths of about 1.1e-19 to 9.2e18), so that every
//     distance between stored vectors is a finite, normal float32; Put
//     refuses others with a *NormError (ErrInvalidVector).
//   - The Config fields M, EfConstruction, Ef and Seed are stored exactly as
//     given: fill in defaults before CreateCollection so that a later
//     CreateCollection with the same intent compares equal.
//   - Delete does not touch the graph bucket; the caller deletes or rewrites
//     nodes in the same transaction.
//   - Open refuses garbage, empty and truncated files with an error, and
//     Check verifies every page, but bbolt trusts the pages it reads. Read
//     transactions verify the root buckets and each collection's bucket and
//     sub-bucket root pages before bbolt reads them (bucket_check.go), and
//     Get, GetByID and ForEach turn a fault below into a CorruptError
//     (guard_check.go); a page id that points back up its own tree can
//     still send bbolt's descent round for ever, and writes trust the
//     pages. Run Check on files of unknown provenance.
//   - bbolt keeps two meta pages and silently uses the other one when one
//     is damaged, hiding the commits after it. Open checks both: a
//     read-write Open refuses such a file with a *MetaPageError, a
//     read-only Open proceeds and reports it from DB.MetaDamage, and Check
//     lists it. The way forward is a backup taken read-only.
//   - Do not start a transaction (Update, View, Batch, Check, Stats,
//     Backup, Compact) from inside another one on the same goroutine:
//     Update inside Update deadlocks, and Update inside View can deadlock
//     when bbolt needs to remap the file (bbolt's own rule).
//   - Commit bulk loads in transactions of a few thousand records, not one
//     huge one. Within a transaction bbolt inserts every new key into the
//     in-memory copy of its leaf page and splits pages only at commit, so
//     randomly ordered keys (the keys bucket) cost O(n²) copying in one
//     transaction: 50,000 new keys take about 17 s in one Update and about
//     2 s in Updates of 5,000 (dimension 100, one core).
//   - Options.NoSync trades durability for speed; use it for bulk loads you
//     can redo.
//   - Files written by format 1 do not open (ErrNeedsUpgrade): Upgrade
//     rewrites them beside themselves and renames the result over the
//     original, so a crash leaves the old file readable. Format-1 builds
//     refuse format-2 files with ErrVersion.
//   - Slices from a transaction started with DB.BeginView (the views of
//     VectorChunks) stay valid until Tx.End, and bbolt cannot remap the
//     file meanwhile: a read-write commit that grows the file waits for
//     it. Use it on read-only databases; End it before Close.
//   - For an all-or-nothing load spanning many transactions, write into a
//     staged collection (Tx.CreateStaged, or DB.StageCopy to start from a
//     copy) and swap it in with Tx.CommitStaged. DB.StageRenumbered makes
//     a staged copy with every record id mapped through a permutation
//     (the graph renumbered for locality); the caller drops the source,
//     whose pages stay free in the file until reused or compacted. A
//     staged build that will be renumbered writes nothing under its ids
//     until the end: Collection.SpillBatch per batch, DB.WriteSpilled
//     once, in the final order (spill.go).
//
// # Commit costs
//
// A commit writes every page it dirtied (each leaf and branch page on the
// path from the root to a changed key, 4 KiB each, so a one-record write
// touches a few pages per bucket it changes), and one meta page, then
// fsyncs once. With bbolt's synced array freelist (FreelistSynced) it also
// rewrites the list of free pages, 8 bytes per free page, on every commit:
// the one part of a commit that grows with the file. Free pages are not
// rare: a staged import into an existing collection (`vecbolt import`)
// writes a copy and frees every page of the old one at the swap, and a
// batch that links new records across a large graph rewrites most of the
// graph's pages. After a 1,000-record import into a collection of 1M
// records, 165,866 pages (648 MiB) are free, and each later commit wrote
// 1.3 MiB of freelist with the synced list.
//
// The default is therefore the unsynced hashmap freelist
// (FreelistUnsynced): commits never write it, Close writes it once, and
// the next Open reads it back. Only an Open after a crash (no Close) has
// to rebuild it by walking every page; bbolt runs that walk in a goroutine
// of its own, where a damaged page would end the process, so Open first
// verifies the pages with bounds-checked reads and refuses a damaged file
// with ErrCorrupt. Measured with `vecbolt bench writes --freelist` on
// copies of synthetic 100-dimension databases after such an import
// (bench/writes.sh; docs/benchmarks.md has the runs, load average 11 to 15):
//
//	records  free pages  KiB per one-key commit   read-write store.Open
//	                     synced    unsynced       synced   unsynced  after a crash
//	10k        1,614       29.1      13.1         0.001 s  0.001 s   0.042 s
//	100k      16,358      146.3      13.6         0.046 s  0.001 s   0.675 s
//	1M       165,534    1,326.0      19.5         0.151 s  0.051 s   9.425 s
//
// (20 against 210 one-key commits per second at 1M.)
//
// `vecbolt compact` returns free pages to the file system; the free pages
// are otherwise reused as the file grows.
//
// # On-disk layout
//
// Format version 2 (FormatVersion). Integers used as keys are big-endian so
// that bbolt's byte order is numeric order; float32 values are IEEE-754
// little-endian.
//
// Every value, except the root's magic and version, is sealed: its payload
// is followed by a 4-byte CRC32C (Castagnoli) of the value's key and the
// payload, little-endian. Reads verify the checksum of what they decode
// (records, vectors, graph nodes, key and order entries, configs, metas),
// and Check verifies every one, so a flipped bit in a key or a value is
// reported with its collection, bucket and key or id (ErrCorrupt), never
// read as data.
//
//	vecbolt/                       root bucket
//	  magic       "vecbolt\x00db\x00\x01\x02\x03\x04" (16 bytes, unsealed)
//	  version     uint32 BE, the format version (unsealed, as format 1
//	              wrote it, so format-1 code refuses a newer file)
//	  versioncrc  the version again, sealed: a damaged version field
//	              disagrees with it and the file is refused (ErrCorrupt)
//	  nextcol     uint32 BE: the next collection id
//	  names/      collection name -> collection id uint32 BE
//	  collections/
//	    <id>/                      one bucket per collection, keyed by id
//	                               uint32 BE, so that renaming a collection
//	                               or swapping in a staged one rewrites one
//	                               names entry, not the collection
//	      name        the collection's name (Check compares it with names/)
//	      meta        nextSeq uint64 BE | count uint64 BE
//	      graphmeta   the index's graph metadata blob (absent until set)
//	      config/
//	        version   uint32 BE, config encoding version (1)
//	        config    JSON {"dim","metric","m","ef_construction","ef","seed",
//	                  "encoding","encoding_params","embedder"}; encoding is
//	                  "fp16" or "int8" (absent: float32), encoding_params
//	                  the INT8 parameters (base64 of quant's MarshalBinary,
//	                  CRC-32C inside; absent: fp16, or an int8 collection
//	                  not yet trained); embedder is the text embedder's spec
//	      keys/       key bytes -> id uint32 BE
//	      records/    id uint32 BE -> seq uint64 BE | norm float32 LE |
//	                  keylen uint32 BE | key | metadata (empty or a JSON object)
//	      order/      seq uint64 BE -> id uint32 BE
//	      vblocks/    block uint32 BE -> vector block (below)
//	      gblocks/    block uint32 BE -> graph block (below)
//	      cblocks/    block uint32 BE -> code block (below; fp16 and int8
//	                  collections only, created with the first one)
//	      vectors/    vector deltas: id uint32 BE -> dim × float32 LE, or
//	                  empty: the id's row in its block is deleted
//	      graph/      node deltas: id uint32 BE -> the index's node bytes
//	                  (opaque here), or empty: deleted
//	      nodelog/    the node log: seq uint64 BE (growing) -> total
//	                  uint32 BE | (id uint32 BE | len uint32 BE | node
//	                  bytes, empty: deleted) in id order; absent in files
//	                  written before it (an empty log)
//	      texts/      id uint32 BE -> kind 't'|'c' | len uint32 BE | nterms
//	                  uint32 BE | (termlen uint16 BE | term | freq uint32 BE)
//	                  sorted by term | 't': the text; 'c': start uint32 BE |
//	                  end uint32 BE | document key (text.go; the text
//	                  buckets and keys exist once a text is written)
//	      docs/       document key -> the document's text
//	      docchunks/  document key -> chunks pointing at it uint32 BE
//	      postings/   termlen uint16 BE | term | id uint32 BE ->
//	                  freq uint32 BE | len uint32 BE (BM25, one per term and text)
//	      terms/      term -> document frequency uint32 BE
//	      textstats   texts with a token uint64 BE | their tokens uint64 BE
//	      textcomponent  the embedder's fitted component (opaque here)
//	      spill/      staged builds in a node order only, until their
//	                  records are written (spill.go): seq uint64 BE ->
//	                  norm float32 LE | flags uint8 | vector | metadata
//
// (each value above is followed by its 4-byte checksum).
//
// # Blocks and deltas
//
// Vectors and graph nodes live in blocks of B consecutive ids, one value
// per block, so that a load is a few hundred large values read in order
// and decoded on all cores, not one B-tree entry per id. B is the largest
// power of two from 64 to 65,536 with B × 4 × dim ≤ 1 MiB (2,048 ids at
// dim 100, 256 at dim 1,024); block b holds ids b·B to b·B+B-1. A block
// stores rows up to its highest present id only.
//
//	vector block  rows uint32 LE (≤ B) | presence bits, 4·⌈rows/32⌉ bytes |
//	              rows × row checksum uint32 LE (CRC32C of the id key and
//	              the row; 0 when absent) | rows × dim × float32 LE (zeros
//	              when absent)
//	graph block   rows uint32 LE (≤ B) | (rows+1) × offset uint32 LE,
//	              non-decreasing from 0 | the nodes' bytes: row i is
//	              bytes[offset i : offset i+1], empty when absent
//
//	code block    rows uint32 LE (the vector block's) | tag uint32 LE:
//	              CRC32C of encoding, NUL, encoding_params | the vector
//	              block's presence bits | rows × code row (int8: dim codes
//	              then the float32 LE correction; fp16: dim × uint16 LE;
//	              of the unit vector under cosine; zeros when absent)
//
// A code block is rewritten with its vector block (a fold), so block rows
// always have codes; delta rows have none stored (Collection.CodeChunks
// encodes them). Open refuses a code block whose seal, tag or rows
// disagree, and Check also verifies that every stored code is the encoding
// of its vector under the stored parameters (code.go).
//
// Every part of a vector block is a multiple of 4 bytes long, and so is
// every key and value of vblocks/, so bbolt places a block (and each row)
// at a 4-byte-aligned address of the mapped file: a read-only open hands
// the graph float32 views of the rows instead of copying them
// (Collection.VectorChunks, DB.BeginView), checking the alignment at run
// time and copying when it does not hold. The row checksums let one vector
// be verified without its block (Get; rescoring exact vectors by id).
//
// Writes go through the transaction: Put and PutNode queue vectors and
// nodes, and before the commit each block they touch is either rewritten
// with them (folded: when its deltas and the new writes reach
// max(16, rows/4), so a bulk load writes whole blocks) or gets them as
// per-id deltas, which override the block's rows. A single write thus
// writes a delta or two plus, amortised, about four rows of block; the
// delta area of a block never exceeds a quarter of it. Deleting a record
// whose row is in a block writes an empty delta.
//
// Node writes are the exception: a transaction writing fewer than 512
// nodes (a single insert rewrites its node and a dozen neighbours, at ids
// spread over the whole collection) appends them as one value to the node
// log, at the right edge of one B+tree, instead of writing a delta per id
// into graph/, where each would dirty a leaf page of its own. A node's
// newest log entry overrides graph/ and its block. When the log holds
// max(4,096, n/16) node writes, or a transaction writes 512 nodes or more,
// the log's newest node per id goes through the path above (graph/
// deltas, blocks folded) in that transaction and the log is emptied:
// amortised over the thousands of commits that filled it. Files written
// before the log have no nodelog/ bucket and read as an empty log; the
// first small node write creates it. Builds from before the log do not
// read it: they would load the nodes as they were at the last fold (and
// refuse a record whose node is in the log only), so a file written by
// this build is opened with this build or a later one.
//
// Names starting with a NUL byte are reserved: "\x00staged\x00<id>\x00<target>"
// names a staged collection (Tx.CreateStaged), which Collections does not
// list. Tx.CommitStaged swaps it in under its target name in one
// transaction; an import that dies before that leaves a staged collection
// that the next read-write Open drops.
//
// Invariants, verified by DB.Check: every value's checksum (and every
// vector row's); block lengths and offsets; every name
// points at a collection bucket holding that name, and every collection
// bucket has exactly one name, with an id below nextcol; keys and records
// map to each other both ways; every record has a vector of 4×dim bytes
// (its delta or its block row), and every stored vector a record; every
// node log value decodes, ids in order, its running total consistent;
// order holds exactly one entry per record, at the record's seq; every seq
// is below nextSeq; count is the number of records. The records, order
// and block buckets are written with a high bbolt FillPercent because ids
// and seqs grow mostly upwards. Loading checks that records and graph
// nodes match one for one.
//
// A file without the root bucket or with the wrong magic is ErrNotVecbolt;
// a newer version is ErrVersion; format 1 is ErrNeedsUpgrade (Upgrade, or
// `vecbolt upgrade`, rewrites it). Decoders validate lengths and return
// ErrCorrupt (inside a *CorruptError naming collection, bucket and id).
package store
