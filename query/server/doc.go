// Package server answers vecbolt's HTTP API over one open query.DB: JSON
// over HTTP on net/http's method-and-pattern routing, thin over the query
// package like the CLI. `vecbolt serve` runs it; query/client is its Go
// client; query/server/api holds the wire types and the one error table
// both sides share.
//
// # Routes
//
// One route table (handlers.go) registers the mux and generates the
// OpenAPI 3 description served at /openapi.json; a test checks that every
// registered pattern is documented and every documented operation answers.
// The routes: collections list (with the file's size), create, drop and
// stats; records upsert (batch, one transaction, with text; the answer
// counts replaced keys), documents (texts the server embeds with the
// collection's embedder and chunks, all or none), get (batch and single),
// metadata-only write, delete (batch with missing_ok, by filter, and
// single; a chunked document's key deletes its chunks) and key pages
// (prefix, after, limit, filter); search by vector, key, expression or
// text with filter, threshold, exact, ef, restrict, offset, oversample
// (fp16 and int8 collections) and stored vectors or texts, and batch
// search; analogy; doesnt_match (with the
// centrality ranking); gensim's similar (most_similar, cosmul, by vector,
// to given) and similarity (single and n_similarity); eval of analogies
// and word-pair similarity on a body the client uploads; check of a
// collection or the whole database; a hot backup streamed as the
// response; /healthz, /readyz, /metrics (Prometheus) and /openapi.json.
// These cover every command `vecbolt --server URL` runs (cmd/vecbolt's
// remote*.go).
//
// Search by text is query.Collection.SearchText: keyword mode (BM25 over
// the stored texts) on any collection; vector and hybrid modes embed the
// query with the collection's embedder, and a collection without one
// answers 422 no_embedder (query.ErrNoEmbedder on the client side). The
// score travels as a float32.
//
// Errors are {"error":{"code":"…","message":"…"}}. The status and code
// come from api.Codes, matched with errors.Is against the query and store
// sentinels; the client maps a code back to the same sentinel, so
// errors.Is(err, query.ErrKeyNotFound) holds on both sides. A 500's
// message is generic and its detail goes to the server's log.
//
// # Web page and load
//
// /ui/ serves a page embedded in the binary (web/, go:embed, no build
// step, nothing from another origin): search by word, vector or text
// (vector, keyword, hybrid), analogies, the neighbours with scores and a
// 2-D PCA picture of a word's neighbourhood, all through the public API.
// TestWebPage drives it in Debian's headless Chromium with chromedp (it
// skips when no browser is installed) and writes the README's screenshot
// (docs/serve-ui.png) when VECBOLT_SCREENSHOT names a file.
//
// TestLoad (VECBOLT_LOAD=1, not -short) is a bounded load generator: 64
// clients on 127.0.0.1, at most 20000 requests or 30 s per phase, search
// by key on GloVe 50k (../shared; the shipped 10k sample without it) in
// process and over HTTP, alone and with 10% synced single writes, checking
// every acknowledged write and Check at the end. The figures, with the
// load average, are in the README's server section and
// docs/benchmarks.md. cmd/vecbolt's TestServeSIGKILL kills the server
// during a write load and finds every acknowledged write afterwards.
//
// # Not done yet
//
// `vecbolt --server … add` uses the documents route; `import
// --text-field` does not yet. Replacing a chunked document over HTTP is
// refused (409 document_exists: delete it first), where the CLI on the
// file replaces it through a staged copy. `vecbolt --server` does not run
// export, rank, closer-than, rename, bench, eval text, nor the text CLI's
// reembed; they refuse with a usage error.
//
// # Security model
//
//   - Without API keys the server listens only on a loopback address
//     (CheckAddr refuses anything else, including an empty host) and every
//     local caller may do everything.
//   - With keys (ParseKeys: a file or the VECBOLT_API_KEYS environment
//     variable, never the command line) every route but /healthz, /readyz
//     and /openapi.json needs one, as "Authorization: Bearer KEY" or
//     "X-API-Key: KEY": 401 without or with an unknown key. Keys are held
//     as SHA-256 hashes and a presented key's hash is compared in constant
//     time with every configured one, so timing leaks neither length nor
//     position. A key is read-only or read-write and may be limited to named
//     collections: a write with a read-only key, or any request on another
//     collection, is 403. The backup and whole-database check need a
//     read-write key limited to no collection. Collection listings show
//     only the collections a key may read.
//   - Limits (Limits): body size (413), k and threshold limit, batch size
//     (records, keys, queries), expression/filter/text length (400
//     limit_exceeded), and requests in flight per key (429). Unknown JSON
//     fields, trailing data, malformed and deeply nested JSON are 400.
//   - Timeouts (Config): ReadHeaderTimeout and ReadTimeout cut slow
//     clients (slowloris), IdleTimeout closes idle keep-alive connections.
//     There is no WriteTimeout, so a large backup can stream; its reader
//     holds one read transaction while it lasts.
//   - Nothing in a request names a file on the server: the backup takes
//     no parameters and streams the copy, eval reads the uploaded body,
//     and unknown query parameters and JSON fields are refused.
//   - Serve drains on context cancellation (SIGTERM/SIGINT in the CLI):
//     /readyz turns 503, new connections are refused, requests in flight
//     finish (each write has committed before it answers), then the
//     caller closes the database.
//
// # Costs
//
// Each request costs what its query operation costs (see the query
// package: O(M·ef) per graph search, O(n·dim) per exact search or check,
// O(file size) per backup) plus JSON decoding and encoding, O(body) and
// O(answer). Authentication is O(number of keys) SHA-256 comparisons.
// A /metrics scrape reads every collection's record count from the file,
// O(collections).
package server
