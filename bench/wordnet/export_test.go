package wordnet

// SetGlossBatches sets the AddDocuments batch sizes of GlossRetrieval and
// returns a function that restores them.
func SetGlossBatches(first, rest int) func() {
	f, b := glossFirst, glossBatch
	glossFirst, glossBatch = first, rest
	return func() { glossFirst, glossBatch = f, b }
}
