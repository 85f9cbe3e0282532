package format_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vecbolt/vecbolt/query/format"
)

func ExampleReader() {
	in := "king 0.5 0.25\nqueen 0.5 oops\nman 0.125 -1\n"
	f, _ := format.FromName("vectors.txt")
	r, err := format.NewReader(strings.NewReader(in), f, format.ReaderOptions{Name: "vectors.txt"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *format.ParseError
		if errors.As(err, &pe) {
			// Skip the bad line and go on (text formats).
			fmt.Println("skipped:", err)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.Key, rec.Vector)
	}
	fmt.Println("dim", r.Dim())
	// Output:
	// king [0.5 0.25]
	// skipped: vectors.txt:2:11: malformed input: component 2: invalid number "oops"
	// man [0.125 -1]
	// dim 2
}

func ExampleWriter() {
	w, err := format.NewWriter(os.Stdout, format.Word2VecText, format.WriterOptions{Count: 2, Dim: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Write(format.Record{Key: "a", Vector: []float32{0.1, -2, 3e-8}})
	w.Write(format.Record{Key: "b", Vector: []float32{1, 2, 3}})
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2 3
	// a 0.1 -2 3e-08
	// b 1 2 3
}
