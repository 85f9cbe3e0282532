// Package langchaingo makes a vecbolt database a langchaingo vector store:
// [Store] implements github.com/tmc/langchaingo/vectorstores.VectorStore.
//
// It is a nested Go module (its own go.mod), so that vecbolt's core module
// takes no dependency on langchaingo; applications that do not import this
// package never download it.
//
// # Basics
//
//	db, err := query.Open("rag.db", query.Options{})
//	...
//	st, err := langchaingo.New(db, embedder, langchaingo.Options{Collection: "docs"})
//	keys, err := st.AddDocuments(ctx, docs)
//	hits, err := st.SimilaritySearch(ctx, "what is near this?", 4,
//		vectorstores.WithScoreThreshold(0.5),
//		vectorstores.WithFilters(map[string]any{"lang": "en"}))
//
// Text is embedded by the langchaingo embeddings.Embedder given to [New] (or
// the one of a call's vectorstores.WithEmbedder), as every langchaingo store
// does: vecbolt's own embedders are not involved. Each document becomes one
// record: a generated key, the document's vector, its PageContent as the
// record's text (query.Record.Text) and its Metadata as the record's JSON
// metadata.
//
// # Options
//
// langchaingo's options map to vecbolt as follows.
//
//   - WithNameSpace names the collection; "" means Options.Collection.
//     AddDocuments creates a missing collection with the dimension of the
//     embeddings and Options.Config; SimilaritySearch on a missing one is
//     an error wrapping query.ErrUnknownCollection.
//   - WithScoreThreshold keeps results whose score is at least the
//     threshold. Scores are vecbolt's: the cosine similarity under cosine
//     (the threshold must lie in [-1, 1]) or the dot product under dot. An
//     l2 collection reports distances, for which a minimum makes no sense,
//     so a threshold there is refused (ErrOption). 0, langchaingo's zero
//     value, means no threshold.
//   - WithFilters takes a query.Filter, a string in the language of
//     query.ParseFilter, or a map in the style of Chroma and Pinecone (see
//     [Filter]); anything else is refused with a *FilterError.
//   - WithEmbedder replaces the store's embedder for one call.
//   - WithDeduplicater skips the documents it reports as present; the keys
//     returned are those of the documents added.
//
// AddDocuments refuses a score threshold or filters (ErrOption), as
// langchaingo's pgvector store does, rather than ignoring them.
//
// # Concurrency
//
// A Store is safe for concurrent use; it holds no state of its own beyond
// its options, and the database serialises writes (see package query).
// The store does not own the database: close it yourself after the last
// call.
package langchaingo
