package query_test

import (
	"errors"
	"fmt"

	"github.com/vecbolt/vecbolt/query"
)

func ExampleParseFilter() {
	f, err := query.ParseFilter(`lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)`)
	if err != nil {
		panic(err)
	}
	fmt.Println(f)

	_, err = query.ParseFilter(`year >= "2000"`)
	var se *query.SyntaxError
	if errors.As(err, &se) {
		fmt.Println("column", se.Column, "-", se.Msg)
	}
	// Output:
	// lang = "en" and year >= 2000 and tag in ("a", "b") and not exists(draft)
	// column 9 - >= compares numbers only, found "\"2000\""
}

func ExampleAnd() {
	f := query.And(
		query.Eq("lang", "en"),
		query.Range("year", 1990, 1999),
		query.Or(query.In("tag", "a", "b"), query.Not(query.Exists("tag"))),
	)
	fmt.Println(f)
	// Output:
	// lang = "en" and (year >= 1990 and year <= 1999) and (tag in ("a", "b") or not exists(tag))
}
