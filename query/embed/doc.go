// Package embed turns text into vectors for vecbolt: the [Embedder]
// interface, the spec strings that record an embedder in a collection's
// config, and three embedders.
//
// # Embedders
//
//   - words:COLLECTION ([NewWords]): offline. Text is tokenized with
//     package query/text (UAX #29 words, lower-cased), looked up in a word-
//     vector collection through the small [Vocabulary] interface that
//     package query implements, and pooled by mean or SIF (a/(a + p(w))
//     weights, p from a counts file or from the frequency rank by Zipf's
//     law), with the first principal component optionally removed. Words
//     missing from the vocabulary are reported (Embedding.OOV, Stats), never
//     silently dropped; a text with no known word is an error.
//   - ollama:MODEL ([NewOllama]): POST /api/embed of an Ollama server.
//   - openai:MODEL ([NewOpenAI]): POST /v1/embeddings of OpenAI or any
//     server that speaks its API (llama.cpp's server, vLLM, LocalAI, LM
//     Studio).
//
// [New] builds an embedder from a spec string, and [Check] compares the
// spec and dimension recorded with a collection with the embedder about to
// be used, so documents and queries are always embedded the same way.
//
// # Servers
//
// The server embedders send texts in batches (ClientOptions.BatchSize), one
// request at a time, each bounded by a timeout and a response size limit.
// They retry a 429, a 5xx or a request that got no answer, with
// exponential backoff and jitter, honouring Retry-After. An error names the
// server, the status and the server's own message. A response that is not
// the documented JSON, or an embedding of a different dimension from the
// others (or from ClientOptions.Dim), is an error. EmbedDocuments is all or
// nothing.
//
// The CLI maps flags and the environment onto ClientOptions ([EnvOptions]):
// OLLAMA_HOST for Ollama (as the Ollama client reads it, see
// [OllamaBaseURL]); OPENAI_BASE_URL (including the /v1, as the OpenAI
// clients expect) and OPENAI_API_KEY for OpenAI-compatible servers.
//
// The tests run the clients against httptest servers that implement the
// documented requests, responses and error bodies of both APIs (Ollama's
// docs/api.md and docs.ollama.com/api/errors; OpenAI's embeddings API
// reference). Real Ollama or OpenAI servers were not available for these
// tests, so behaviour the documents leave out may differ.
//
// # Concurrency, costs and errors
//
// Every embedder is safe for concurrent use. A words embedder costs
// O(text length + known words·d) per text; a server embedder costs
// ⌈n/BatchSize⌉ requests. Errors wrap the sentinels in errors.go in typed
// errors with the detail (*TextError, *ServerError, *DimensionError,
// *SpecError, *MismatchError, *OptionError); test them with errors.Is and
// errors.As.
package embed
