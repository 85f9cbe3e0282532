package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/vecbolt/vecbolt/index/quant"
	"github.com/vecbolt/vecbolt/store"
)

const codeDim = 8

// int8Config returns an int8 configuration with quant.Default parameters.
func int8Config(t testing.TB, metric string) store.Config {
	t.Helper()
	m := map[string]quant.Metric{store.Cosine: quant.Cosine, store.Dot: quant.Dot, store.L2: quant.L2}[metric]
	q, err := quant.Default(codeDim, m)
	if err != nil {
		t.Fatal(err)
	}
	return store.Config{Dim: codeDim, Metric: metric, Encoding: store.EncodingINT8, EncodingParams: store.EncodeParams(q)}
}

// refCode is the code row of v written out here from package quant: the
// unit vector under cosine (scaled as package query does), int8 codes
// then the float32 LE correction, or fp16 halves LE.
func refCode(t testing.TB, cfg store.Config, v []float32) []byte {
	t.Helper()
	x := append([]float32(nil), v...)
	if cfg.Metric == store.Cosine {
		var s float64
		for _, f := range x {
			s += float64(f) * float64(f)
		}
		inv := 1 / math.Sqrt(s)
		for i := range x {
			x[i] = float32(float64(x[i]) * inv)
		}
	}
	if cfg.Encoding == store.EncodingFP16 {
		h := make([]uint16, len(x))
		if err := quant.EncodeFP16(h, x); err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 2*len(h))
		for i, u := range h {
			binary.LittleEndian.PutUint16(out[2*i:], u)
		}
		return out
	}
	raw, err := base64.StdEncoding.DecodeString(cfg.EncodingParams)
	if err != nil {
		t.Fatal(err)
	}
	q := new(quant.Int8)
	if err := q.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	codes := make([]int8, len(x))
	corr, err := q.Encode(codes, x)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(x)+4)
	for i, c := range codes {
		out[i] = byte(c)
	}
	binary.LittleEndian.PutUint32(out[len(x):], math.Float32bits(corr))
	return out
}

// fillCoded creates collection "c" with cfg and n records (ids 0..n-1) in
// one PutBatch, so they land in blocks, and returns their vectors.
func fillCoded(t testing.TB, db *store.DB, cfg store.Config, n int) [][]float32 {
	t.Helper()
	r := rand.New(rand.NewPCG(7, uint64(n)))
	vecs := make([][]float32, n)
	mustUpdate(t, db, func(tx *store.Tx) error {
		c, err := tx.CreateCollection("c", cfg)
		if err != nil {
			return err
		}
		recs := make([]store.Record, n)
		for i := range recs {
			vecs[i] = randVec(r, codeDim)
			recs[i] = store.Record{ID: uint32(i), Key: fmt.Sprintf("k%d", i), Vector: vecs[i]}
		}
		return c.PutBatch(recs)
	})
	return vecs
}

// codeChunks returns the collection's code chunks (copied) and views.
func codeChunks(t testing.TB, db *store.DB) (uint, int, [][]byte, int, error) {
	var shift uint
	var rowLen, viewed int
	var chunks [][]byte
	err := db.View(func(tx *store.Tx) error {
		c, err := tx.Collection("c")
		if err != nil {
			return err
		}
		shift, rowLen, chunks, viewed, err = c.CodeChunks()
		for i := range chunks {
			chunks[i] = bytes.Clone(chunks[i])
		}
		return err
	})
	return shift, rowLen, chunks, viewed, err
}

func codeOf(shift uint, rowLen int, chunks [][]byte, id uint32) []byte {
	ch := chunks[id>>shift]
	r := int(id & (1<<shift - 1))
	return ch[r*rowLen : (r+1)*rowLen]
}

func TestCodeBlocks(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  func(t testing.TB) store.Config
	}{
		{"int8 l2", func(t testing.TB) store.Config { return int8Config(t, store.L2) }},
		{"int8 cosine", func(t testing.TB) store.Config { return int8Config(t, store.Cosine) }},
		{"fp16 dot", func(testing.TB) store.Config {
			return store.Config{Dim: codeDim, Metric: store.Dot, Encoding: store.EncodingFP16}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			cfg := c.cfg(t)
			vecs := fillCoded(t, db, cfg, 300)
			shift, rowLen, chunks, viewed, err := codeChunks(t, db)
			if err != nil {
				t.Fatal(err)
			}
			if rowLen != store.CodeRowSize(cfg.Encoding, codeDim) || viewed != 1 {
				t.Fatalf("rowLen %d viewed %d, want %d and 1", rowLen, viewed, store.CodeRowSize(cfg.Encoding, codeDim))
			}
			for id, v := range vecs {
				if got, want := codeOf(shift, rowLen, chunks, uint32(id)), refCode(t, cfg, v); !bytes.Equal(got, want) {
					t.Fatalf("id %d: code %x, want %x", id, got, want)
				}
			}
			// Single writes go to deltas: their codes are made by
			// CodeChunks from the exact delta vector.
			r := rand.New(rand.NewPCG(9, 9))
			mustUpdate(t, db, func(tx *store.Tx) error {
				col, _ := tx.Collection("c")
				vecs[5] = randVec(r, codeDim)
				if err := col.Put(&store.Record{ID: 5, Key: "k5", Vector: vecs[5]}); err != nil {
					return err
				}
				vecs = append(vecs, randVec(r, codeDim))
				if err := col.Put(&store.Record{ID: 300, Key: "k300", Vector: vecs[300]}); err != nil {
					return err
				}
				_, err := col.Delete("k7")
				return err
			})
			shift, rowLen, chunks, viewed, err = codeChunks(t, db)
			if err != nil {
				t.Fatal(err)
			}
			if viewed != 0 {
				t.Fatalf("viewed %d blocks with deltas over them", viewed)
			}
			for id, v := range vecs {
				if id == 7 {
					if !bytes.Equal(codeOf(shift, rowLen, chunks, 7), make([]byte, rowLen)) {
						t.Fatal("deleted id 7 keeps a code")
					}
					continue
				}
				if got, want := codeOf(shift, rowLen, chunks, uint32(id)), refCode(t, cfg, v); !bytes.Equal(got, want) {
					t.Fatalf("after deltas: id %d: code %x, want %x", id, got, want)
				}
			}
			if err := db.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCodeBlockFold checks that a fold rewrites the code block with the
// vector block.
func TestCodeBlockFold(t *testing.T) {
	db := openTemp(t)
	cfg := int8Config(t, store.L2)
	vecs := fillCoded(t, db, cfg, 100)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 40; i++ { // foldAt(100) = 25: the block folds on the way
		id := uint32(i * 2)
		vecs[id] = randVec(r, codeDim)
		mustUpdate(t, db, func(tx *store.Tx) error {
			col, _ := tx.Collection("c")
			return col.Put(&store.Record{ID: id, Key: fmt.Sprintf("k%d", id), Vector: vecs[id]})
		})
	}
	mustView(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if n := col.BucketLen("vectors"); n >= 25 {
			t.Fatalf("%d vector deltas: the block never folded", n)
		}
		return nil
	})
	shift, rowLen, chunks, _, err := codeChunks(t, db)
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range vecs {
		if got, want := codeOf(shift, rowLen, chunks, uint32(id)), refCode(t, cfg, v); !bytes.Equal(got, want) {
			t.Fatalf("id %d: code %x, want %x", id, got, want)
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEncodingConfigRefused(t *testing.T) {
	good := int8Config(t, store.L2)
	raw, _ := base64.StdEncoding.DecodeString(good.EncodingParams)
	flipped := bytes.Clone(raw)
	flipped[9] ^= 1
	q16, _ := quant.Default(16, quant.L2)
	qDot, _ := quant.Default(codeDim, quant.Dot)
	for _, c := range []struct {
		name string
		cfg  store.Config
		want string
	}{
		{"unknown encoding", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "int4"}, `unknown vector encoding "int4"`},
		{"params not base64", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "int8", EncodingParams: "!!"}, "not base64"},
		{"damaged params", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "int8", EncodingParams: base64.StdEncoding.EncodeToString(flipped)}, "checksum"},
		{"params of another dimension", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "int8", EncodingParams: store.EncodeParams(q16)}, "dimension 16"},
		{"params of another metric", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "int8", EncodingParams: store.EncodeParams(qDot)}, "metric dot"},
		{"fp16 with params", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "fp16", EncodingParams: good.EncodingParams}, "takes no parameters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if !errors.Is(err, store.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig with %q", err, c.want)
			}
			// The same config found in a file is refused at open,
			// naming the collection.
			db := openTemp(t)
			fillCoded(t, db, good, 10)
			path := db.Path()
			db.Close()
			if err := rawUpdate(path, func(btx *bolt.Tx) error {
				sc := map[string]any{"dim": c.cfg.Dim, "metric": c.cfg.Metric, "m": 0, "ef_construction": 0, "ef": 0, "seed": 0,
					"encoding": c.cfg.Encoding, "encoding_params": c.cfg.EncodingParams}
				data, _ := json.Marshal(sc)
				return putSealed(colBucket(btx, "config"), []byte("config"), data)
			}); err != nil {
				t.Fatal(err)
			}
			db2, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			err = db2.View(func(tx *store.Tx) error { _, err := tx.Collection("c"); return err })
			if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), `collection "c"`) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("open = %v, want ErrCorrupt naming the collection and %q", err, c.want)
			}
		})
	}
}

func TestEncodingMismatch(t *testing.T) {
	db := openTemp(t)
	cfg := int8Config(t, store.L2)
	fillCoded(t, db, cfg, 10)
	mustUpdate(t, db, func(tx *store.Tx) error {
		// Other (trained) params: the same collection.
		other := cfg
		other.EncodingParams = ""
		if _, err := tx.CreateCollection("c", other); err != nil {
			return err
		}
		fp := cfg
		fp.Encoding, fp.EncodingParams = store.EncodingFP16, ""
		_, err := tx.CreateCollection("c", fp)
		var me *store.ConfigMismatchError
		if !errors.As(err, &me) || me.Field != "Encoding" {
			t.Fatalf("create with fp16 = %v, want a mismatch on Encoding", err)
		}
		return nil
	})
}

func TestEncodableVectors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  store.Config
		x    float32
		ok   bool
	}{
		{"fp16 l2 beyond 65504", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "fp16"}, 70000, false},
		{"fp16 l2 at 65504", store.Config{Dim: codeDim, Metric: store.L2, Encoding: "fp16"}, 65504, true},
		{"fp16 cosine large", store.Config{Dim: codeDim, Metric: store.Cosine, Encoding: "fp16"}, 70000, true},
		{"int8 dot beyond MaxComponent", int8Config(t, store.Dot), 2e15, false},
		{"int8 dot large", int8Config(t, store.Dot), 1e14, true},
		{"none", store.Config{Dim: codeDim, Metric: store.L2}, 2e15, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			v := make([]float32, codeDim)
			v[0], v[3] = 1, c.x
			err := db.Update(func(tx *store.Tx) error {
				col, err := tx.CreateCollection("c", c.cfg)
				if err != nil {
					return err
				}
				return col.Put(&store.Record{ID: 0, Key: "a", Vector: v})
			})
			if c.ok && err != nil {
				t.Fatal(err)
			}
			if !c.ok && (!errors.Is(err, store.ErrInvalidVector) || !strings.Contains(err.Error(), "component 3")) {
				t.Fatalf("Put = %v, want ErrInvalidVector naming component 3", err)
			}
			if err := store.Validate(c.cfg, "a", v, nil); (err == nil) != c.ok {
				t.Fatalf("Validate = %v, want ok %t", err, c.ok)
			}
			v[2] = float32(math.NaN())
			if err := store.Validate(c.cfg, "a", v, nil); !errors.Is(err, store.ErrInvalidVector) {
				t.Fatalf("Validate(NaN) = %v", err)
			}
		})
	}
}

func TestCodeBlockDamage(t *testing.T) {
	cfg := int8Config(t, store.L2)
	rowsAt := 8 + 4 // header and presence bits of a block of up to 32 rows
	for _, c := range []struct {
		name   string
		damage func(v []byte) []byte // the sealed value in, the value to store out
		open   string                // CodeChunks error
		check  string                // Check report
	}{
		{"flipped byte", func(v []byte) []byte { v[rowsAt+3] ^= 0x40; return v }, "code block fails its checksum", "cblocks: block 0 (ids from 0) fails its checksum"},
		{"code changed, resealed", func(v []byte) []byte {
			p := v[:len(v)-4]
			p[rowsAt+codeDim+4+2] ^= 0x01 // id 1, component 2
			return sealed(be32(0), p)
		}, "", "cblocks: id 1: the stored int8 code is not the encoding of its vector"},
		{"other parameters", func(v []byte) []byte {
			p := v[:len(v)-4]
			p[4] ^= 0xff
			return sealed(be32(0), p)
		}, "made with other parameters", "made with other parameters"},
		{"rows disagree", func(v []byte) []byte {
			p := v[:len(v)-4]
			p[8] &^= 1 << 2 // id 2 absent in the code block only
			return sealed(be32(0), p)
		}, "row 2 (id 2) is present in one of the code and vector blocks only", "row 2 (id 2)"},
		{"missing", func([]byte) []byte { return nil }, "vector block 0 has no code block", "vector block 0 (ids from 0) has no code block"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			fillCoded(t, db, cfg, 20)
			path := db.Path()
			db.Close()
			if err := rawUpdate(path, func(btx *bolt.Tx) error {
				b := colBucket(btx, "cblocks")
				v := c.damage(bytes.Clone(b.Get(be32(0))))
				if v == nil {
					return b.Delete(be32(0))
				}
				return b.Put(be32(0), v)
			}); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, _, _, _, err = codeChunks(t, db)
			if c.open == "" {
				if err != nil {
					t.Fatalf("CodeChunks = %v (a resealed code is only caught by Check)", err)
				}
			} else if !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), c.open) || !strings.Contains(err.Error(), `collection "c"`) {
				t.Fatalf("CodeChunks = %v, want ErrCorrupt naming the collection and %q", err, c.open)
			}
			err = db.Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.check) {
				t.Fatalf("Check = %v, want %q", err, c.check)
			}
		})
	}
}

func TestSetEncoding(t *testing.T) {
	db := openTemp(t)
	vecs := fillCoded(t, db, store.Config{Dim: codeDim, Metric: store.L2}, 50)
	mustView(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if _, coded := col.Encoding(); coded {
			t.Fatal("a none collection stores codes")
		}
		return nil
	})
	q, err := quant.Train(codeDim, quant.L2, vecs, quant.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	params := store.EncodeParams(q)
	mustUpdate(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		return col.SetEncoding(store.EncodingINT8, params)
	})
	cfg := store.Config{Dim: codeDim, Metric: store.L2, Encoding: store.EncodingINT8, EncodingParams: params}
	shift, rowLen, chunks, _, err := codeChunks(t, db)
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range vecs {
		if got, want := codeOf(shift, rowLen, chunks, uint32(id)), refCode(t, cfg, v); !bytes.Equal(got, want) {
			t.Fatalf("id %d: code %x, want %x", id, got, want)
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A vector fp16 cannot hold: refused, nothing changed.
	mustUpdate(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		return col.Put(&store.Record{ID: 50, Key: "big", Vector: []float32{1e6, 0, 0, 0, 0, 0, 0, 0}})
	})
	err = db.Update(func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		return col.SetEncoding(store.EncodingFP16, "")
	})
	if !errors.Is(err, quant.ErrValue) || !strings.Contains(err.Error(), "id 50") {
		t.Fatalf("SetEncoding(fp16) = %v, want quant.ErrValue naming id 50", err)
	}
	mustView(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if enc, _ := col.Encoding(); enc != "int8" || col.Config().EncodingParams != params {
			t.Fatalf("after a failed SetEncoding: %s", enc)
		}
		return nil
	})
	// Back to none: code blocks gone.
	mustUpdate(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if err := col.SetEncoding(store.EncodingNone, ""); err != nil {
			return err
		}
		if _, coded := col.Encoding(); coded || col.Config().Encoding != "" {
			t.Fatal("still coded")
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStageCopyCodes(t *testing.T) {
	db := openTemp(t)
	cfg := int8Config(t, store.Cosine)
	fillCoded(t, db, cfg, 40)
	hidden, err := db.StageCopy(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	mustView(t, db, func(tx *store.Tx) error {
		a, _ := tx.Collection("c")
		b, err := tx.Collection(hidden)
		if err != nil {
			return err
		}
		if a.BucketLen("cblocks") != 1 || b.BucketLen("cblocks") != 1 {
			t.Fatalf("code blocks %d and %d, want 1 each", a.BucketLen("cblocks"), b.BucketLen("cblocks"))
		}
		_, _, ca, _, err := a.CodeChunks()
		if err != nil {
			return err
		}
		_, _, cb, _, err := b.CodeChunks()
		if err != nil {
			return err
		}
		if !bytes.Equal(ca[0], cb[0]) {
			t.Fatal("the staged copy's codes differ")
		}
		return nil
	})
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestVectorViews(t *testing.T) {
	db := openTemp(t)
	vecs := fillCoded(t, db, store.Config{Dim: codeDim, Metric: store.L2}, 200)
	check := func(v *store.VectorViews, deleted map[int]bool) {
		t.Helper()
		for id, want := range vecs {
			got := v.Vector(uint32(id))
			if deleted[id] {
				if got != nil {
					t.Fatalf("deleted id %d has a vector", id)
				}
				continue
			}
			if !closeTo(got, want, 0) {
				t.Fatalf("id %d: %v, want %v", id, got, want)
			}
		}
		if v.Vector(uint32(len(vecs))) != nil || v.Vector(1<<30) != nil {
			t.Fatal("a vector beyond the last id")
		}
	}
	tx1, err := db.BeginView()
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := tx1.Collection("c")
	v1, err := c1.VectorViews(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(v1, nil)
	// End it before writing: a read transaction open across a commit can
	// block bbolt's remap for ever. v1's views are reused below by
	// address, from a newer transaction that sees the same pages.
	if err := tx1.End(); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	vecs[10] = randVec(r, codeDim)
	vecs = append(vecs, randVec(r, codeDim))
	mustUpdate(t, db, func(tx *store.Tx) error {
		col, _ := tx.Collection("c")
		if err := col.Put(&store.Record{ID: 10, Key: "k10", Vector: vecs[10]}); err != nil {
			return err
		}
		if err := col.Put(&store.Record{ID: 200, Key: "k200", Vector: vecs[200]}); err != nil {
			return err
		}
		_, err := col.Delete("k11")
		return err
	})
	tx2, err := db.BeginView()
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := tx2.Collection("c")
	v2, err := c2.VectorViews(v1, []uint32{0})
	if err != nil {
		t.Fatal(err)
	}
	check(v2, map[int]bool{11: true})
	if v2.Deltas() != 3 {
		t.Fatalf("%d deltas, want 3", v2.Deltas())
	}
	v3, err := c2.VectorViews(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(v3, map[int]bool{11: true})
	_ = tx2.End()
}
