package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vecbolt/vecbolt/query/format"
	"github.com/vecbolt/vecbolt/query/text"
)

// readDocs reads every document of in, or the first error.
func readDocs(t *testing.T, in string, f format.Format, fields docFields) ([]textDoc, error) {
	t.Helper()
	rd, err := newDocReader(strings.NewReader(in), f, "docs", fields)
	if err != nil {
		return nil, err
	}
	var out []textDoc
	for {
		d, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
}

func TestDocReaderJSONL(t *testing.T) {
	in := `{"id": "a", "body": "The cat sat.", "lang": "en"}

{"id": 7, "body": "Le chat", "metadata": {"lang": "fr", "year": 2020}, "year": 2021}
{"body": "no key needed here", "id": "c", "metadata": null}
`
	docs, err := readDocs(t, in, format.JSONL, docFields{Text: "body", Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	want := []textDoc{
		{Key: "a", Text: "The cat sat.", Metadata: []byte(`{"lang":"en"}`), Line: 1},
		{Key: "7", Text: "Le chat", Metadata: []byte(`{"lang":"fr","year":2021}`), Line: 3},
		{Key: "c", Text: "no key needed here", Line: 4},
	}
	checkDocs(t, docs, want)

	// Gzipped, and numbered keys.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in))
	zw.Close()
	docs, err = readDocs(t, gz.String(), format.JSONL, docFields{Text: "body"})
	if err != nil {
		t.Fatal(err)
	}
	want[0].Metadata = []byte(`{"id":"a","lang":"en"}`)
	want[0].Key, want[1].Key, want[2].Key = "1", "2", "3"
	want[1].Metadata = []byte(`{"id":7,"lang":"fr","year":2021}`)
	want[2].Metadata = []byte(`{"id":"c"}`)
	checkDocs(t, docs, want)
}

func TestDocReaderCSV(t *testing.T) {
	in := "\ufeffid,title,body\n" +
		"a,First,\"One line.\"\n" +
		"b,Second,\"Two\nlines, with a comma.\"\n" +
		"c,,third\n"
	docs, err := readDocs(t, in, format.CSV, docFields{Text: "body", Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs, []textDoc{
		{Key: "a", Text: "One line.", Metadata: []byte(`{"title":"First"}`), Line: 2},
		{Key: "b", Text: "Two\nlines, with a comma.", Metadata: []byte(`{"title":"Second"}`), Line: 3},
		{Key: "c", Text: "third", Metadata: []byte(`{"title":""}`), Line: 5},
	})
	// Two columns, key and text: no metadata.
	docs, err = readDocs(t, "k,t\nx,hello\n", format.CSV, docFields{Text: "t", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	checkDocs(t, docs, []textDoc{{Key: "x", Text: "hello", Line: 2}})
}

func checkDocs(t *testing.T, got, want []textDoc) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d documents, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Text != w.Text || string(g.Metadata) != string(w.Metadata) || g.Line != w.Line {
			t.Errorf("document %d:\n got %q %q %s line %d\nwant %q %q %s line %d", i, g.Key, g.Text, g.Metadata, g.Line, w.Key, w.Text, w.Metadata, w.Line)
		}
	}
}

func TestDocReaderErrors(t *testing.T) {
	id := docFields{Text: "body", Key: "id"}
	for _, tc := range []struct {
		name   string
		f      format.Format
		in     string
		fields docFields
		want   string // in the message, after "docs:"
		is     error
	}{
		{"bad json", format.JSONL, `{"id":"a","body":"x"}` + "\n" + `{"id":"b", body}`, id, "docs:2:", format.ErrMalformed},
		{"not an object", format.JSONL, `["a"]`, id, "docs:1: ", format.ErrMalformed},
		{"no text field", format.JSONL, `{"id":"a","text":"x"}`, id, `docs:1: malformed input: no "body" field (fields: "id", "text"`, format.ErrMalformed},
		{"text not a string", format.JSONL, `{"id":"a","body":3}`, id, `"body" is a number, want a string`, format.ErrMalformed},
		{"text null", format.JSONL, `{"id":"a","body":null}`, id, `"body" is null, want a string`, format.ErrMalformed},
		{"no key field", format.JSONL, `{"body":"x"}`, id, `no "id" field`, format.ErrMalformed},
		{"key not a string", format.JSONL, `{"id":[1],"body":"x"}`, id, `"id" is an array`, format.ErrMalformed},
		{"empty key", format.JSONL, `{"id":"","body":"x"}`, id, `docs:1: invalid key: empty key`, format.ErrInvalidKey},
		{"empty text", format.JSONL, `{"id":"a","body":"  \t"}`, id, `docs:1: document "a": the text is empty`, errBlankText},
		{"invalid utf-8 jsonl", format.JSONL, "{\"id\":\"a\",\"body\":\"ok\"}\n{\"id\":\"b\",\"body\":\"x\xffy\"}", id, "docs:2:20: text: invalid UTF-8: at byte 20 of the line", text.ErrInvalidUTF8},
		{"invalid utf-8 csv", format.CSV, "id,body\na,\"x\xffy\"\n", id, `docs:2: document "a": text: invalid UTF-8 at byte offset 1`, text.ErrInvalidUTF8},
		{"empty csv", format.CSV, "", id, "docs:1: bad header: the file is empty", format.ErrHeader},
		{"no text column", format.CSV, "id,text\na,b\n", id, `no column "body" in the header (columns: id, text`, format.ErrHeader},
		{"no key column", format.CSV, "key,body\na,b\n", id, `no column "id" in the header`, format.ErrHeader},
		{"field count", format.CSV, "id,body\na,b\nc,d,e\n", id, "docs:3: malformed input: wrong number of fields: the header has 2", format.ErrMalformed},
		{"bad quote", format.CSV, "id,body\na,\"b\"x\n", id, "docs:2:", format.ErrMalformed},
		{"empty csv text", format.CSV, "id,body\na,\n", id, `docs:2: document "a": the text is empty`, errBlankText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readDocs(t, tc.in, tc.f, tc.fields)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
				t.Errorf("error %q, want it to hold %q and wrap %v", err, tc.want, tc.is)
			}
			if code := exitCode(err); code != exitInvalid {
				t.Errorf("exit code %d, want %d", code, exitInvalid)
			}
		})
	}
}

// TestDocReaderHuge checks that a line or CSV record past the limit is
// refused with the limit named, and that a text just over
// text.MaxTextBytes is refused by its size.
func TestDocReaderHuge(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 35 MiB lines")
	}
	big := strings.Repeat("word ", maxDocLine/5+1)
	_, err := readDocs(t, `{"id":"a","body":"`+big+`"}`, format.JSONL, docFields{Text: "body", Key: "id"})
	if !errors.Is(err, text.ErrTooLarge) || !strings.Contains(err.Error(), "docs:1: ") || !strings.Contains(err.Error(), "16,777,216") {
		t.Errorf("huge JSONL line: %v", err)
	}
	_, err = readDocs(t, "id,body\na,ok\nb,\""+big, format.CSV, docFields{Text: "body", Key: "id"})
	if !errors.Is(err, text.ErrTooLarge) || !strings.Contains(err.Error(), "docs:3: ") {
		t.Errorf("unclosed quote: %v", err)
	}
	over := strings.Repeat("a", text.MaxTextBytes+1)
	_, err = readDocs(t, `{"id":"a","body":"`+over+`"}`, format.JSONL, docFields{Text: "body", Key: "id"})
	var te *text.TooLargeError
	if !errors.As(err, &te) || te.Limit != text.MaxTextBytes || !strings.Contains(err.Error(), "docs:1: ") {
		t.Errorf("text over the limit: %v", err)
	}
}

func TestChunkFlags(t *testing.T) {
	for _, tc := range []struct {
		tokens, overlap int
		want            string
	}{
		{0, 0, ""},
		{100, 20, ""},
		{1, 0, ""},
		{0, 5, "--chunk-overlap needs --chunk-tokens"},
		{-1, 0, "--chunk-tokens is -1"},
		{1 << 40, 0, "--chunk-tokens is 1099511627776, want 1 to 16,777,216"},
		{10, 10, "--chunk-overlap is 10, want 0 to 9"},
		{10, -1, "--chunk-overlap is -1"},
	} {
		err := (&chunkFlags{Tokens: tc.tokens, Overlap: tc.overlap}).check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d/%d: %v", tc.tokens, tc.overlap, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != exitUsage):
			t.Errorf("%d/%d: %v, want a usage error with %q", tc.tokens, tc.overlap, err, tc.want)
		}
	}
}

// FuzzDocReader reads arbitrary bytes as JSON Lines and as CSV: no panic,
// every error a *format.ParseError (or the end), and every document read
// has a key and a text that embedders accept the bytes of.
func FuzzDocReader(f *testing.F) {
	f.Add([]byte(`{"id":"a","body":"The cat","x":1}` + "\n" + `{"id":2,"body":"sat","metadata":{"y":2}}`))
	f.Add([]byte("id,body,x\na,\"The \"\"cat\"\"\",1\nb,\"multi\nline\",2\n"))
	f.Add([]byte("id,body\n\xff,\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []format.Format{format.JSONL, format.CSV} {
			rd, err := newDocReader(bytes.NewReader(data), fm, "fuzz", docFields{Text: "body", Key: "id"})
			if err != nil {
				continue
			}
			for i := 0; i < 1000; i++ {
				d, err := rd.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					var pe *format.ParseError
					if !errors.As(err, &pe) {
						t.Fatalf("%v: %T %v", fm, err, err)
					}
					if rd.Fatal() {
						break
					}
					continue
				}
				if d.Key == "" || checkText(d.Text) != nil || d.Line < 1 {
					t.Fatalf("%v: bad document %+v", fm, d)
				}
			}
		}
	})
}
