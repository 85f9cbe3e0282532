// Package format reads and writes the file formats embeddings come in, for
// `vecbolt import` and `vecbolt export`. It knows nothing of the database:
// a Reader turns a file into Records (key, float32 vector, optional JSON
// metadata) and a Writer turns Records into a file.
//
// # Formats
//
//   - GloVe text: one record a line, "word f1 f2 ... fd", fields separated by
//     spaces (tabs and carriage returns also separate). The dimension comes
//     from ReaderOptions.Dim or the first valid line; after that a line with
//     more than d+1 fields keeps the last d as the vector and the rest,
//     spaces included, as the key (GloVe 840B has such tokens). A first line
//     of exactly two unsigned integers is read as a word2vec header, so the
//     .txt extension covers both kinds of text file.
//   - word2vec text: a header line "count dim", then lines as in GloVe.
//   - word2vec binary: a header line "count dim\n", then per record the
//     word's bytes, a space, dim little-endian float32s, and an optional
//     newline (newlines before a word are skipped).
//   - fvecs (TEXMEX): per record a little-endian int32 dimension and that
//     many little-endian float32s. The format stores no keys: a Reader gives
//     each record its 0-based row number in decimal ("0", "1", ...) and a
//     Writer writes vectors in order and drops keys and metadata.
//   - JSON Lines: one object a line, {"key":"...","vector":[...],
//     "metadata":{...}}; metadata is optional (absent or null) and must
//     otherwise be an object; other fields are ignored.
//   - CSV (RFC 4180, via encoding/csv): "key,v1,...,vd" with an optional
//     header row, recognised when the second field of the first row is not
//     a number. A header column named "metadata" (any case) holds a JSON
//     object per row (an empty cell means none); the other columns after the
//     first are the vector, in order. Numbers may have surrounding spaces.
//
// A word2vec vocabulary ("counts") file, one "word count" a line as
// word2vec's -save-vocab and gensim's save_word2vec_format(fvocab=...)
// write it, is read by ReadVocab and written by WriteVocab. gensim 4.2's
// word2vec text, binary and vocabulary files read exactly, and gensim reads
// this package's back exactly (testdata/gensim, bench/gensim/parity.py).
//
// Metadata is returned compacted (json.Compact), so a record read, written
// and read again has byte-identical metadata.
//
// Readers detect gzip input by its first bytes (1f 8b 08) in every format.
// Writers compress when WriterOptions.Gzip is set; the caller sets it for
// file names ending in .gz. FromName picks the format from a file name.
//
// # Errors
//
// Every reader rejects a vector whose dimension differs from the header,
// ReaderOptions.Dim or the first valid record (ErrDimension, with both
// numbers), a token that is not a number (ErrMalformed, with line, column
// and the token), NaN and ±Inf components and decimals beyond the float32
// range (ErrNotFinite, naming the component), an empty key (ErrInvalidKey),
// a missing or malformed header (ErrHeader), a binary file that ends inside
// a record (ErrTruncated, with the record number and byte offset), and a
// header count that does not match the records (ErrHeader, at the end).
// These come as a *ParseError; test them with errors.Is and errors.As. See
// Reader for which errors let reading continue.
//
// # Round trips
//
// Writers format each float32 as the shortest decimal that parses back to
// it, so a file written by a Writer reads back to bit-identical vectors,
// the same keys (except fvecs, which has none) and the same metadata (in
// JSON Lines and CSV). Writers refuse what their format cannot hold exactly
// rather than change it; see NewWriter.
//
// # Concurrency
//
// Readers and Writers are not safe for concurrent use; use one per
// goroutine. Formats and the package functions are safe everywhere.
package format
