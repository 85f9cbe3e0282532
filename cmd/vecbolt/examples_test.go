package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestExamplesRunOnDemo runs every example of every command's help and of
// the README's CLI section against the demo database, each command's
// examples in a fresh directory holding words.db (the demo's 10,000 words)
// and small stand-ins for the files the examples name (glove.6B.100d.txt.gz,
// questions-words.txt, ...), all made from the demo's words. An example
// that names a word the bundled sample lacks fails here.
//
// Pipes into jq or head are dropped, "printf ... |" and "zcat F |" become
// standard input, "&&" runs both sides. The bench examples run for minutes
// on their data sets and are left to bench_test.go.
func TestExamplesRunOnDemo(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds the demo database and runs 60 commands: skipped with -short and -race (CI's second pass runs it)")
	}
	fixture := t.TempDir()
	ok(t, "--db", filepath.Join(fixture, "words.db"), "demo")
	writeExampleFixtures(t, fixture)

	type example struct{ where, line string }
	var examples []example
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range exampleLines(c.Example) {
			examples = append(examples, example{c.CommandPath(), line})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCommand(&globalOptions{}))
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range readmeCLILines(string(readme)) {
		examples = append(examples, example{"README", line})
	}
	if len(examples) < 40 {
		t.Fatalf("found only %d examples", len(examples))
	}

	mutates := map[string]bool{"README": true, "vecbolt": true, "vecbolt create": true, "vecbolt delete": true,
		"vecbolt import": true, "vecbolt compact": true, "vecbolt put": true, "vecbolt drop": true,
		"vecbolt add": true, "vecbolt reembed": true}
	dirs := map[string]string{}
	ran, have := 0, false
	for _, ex := range examples {
		if strings.Contains(ex.line, "vecbolt bench") {
			continue
		}
		if why, ok := runElsewhere[ex.line]; ok {
			t.Logf("%s: %s", ex.line, why)
			continue
		}
		// Commands that change the databases get a copy of the fixture
		// each; the others share it.
		dir := fixture
		if mutates[ex.where] {
			if dir, have = dirs[ex.where]; !have {
				dir = t.TempDir()
				copyDir(t, fixture, dir)
				if strings.HasSuffix(ex.where, " create") {
					_ = os.Remove(filepath.Join(dir, "vecbolt.db")) // "create --dim 100" starts afresh
				}
				dirs[ex.where] = dir
			}
		}
		t.Run(ex.where+": "+ex.line, func(t *testing.T) {
			t.Chdir(dir)
			if p := prepare[ex.where]; p != nil {
				ok(t, p...)
			}
			for _, step := range strings.Split(ex.line, " && ") {
				stdin, args := exampleCommand(t, step)
				r := vecbolt(t, stdin, args...)
				if r.code != 0 {
					t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
			}
		})
		ran++
	}
	t.Logf("ran %d examples", ran)
}

// runElsewhere lists examples this test leaves out, and why.
var runElsewhere = map[string]string{
	"vecbolt demo": "TestDemo builds the demo in a temporary directory, as this example does",
	// delete.go belongs to the everyday branch, whose delete takes
	// --missing-ok and whose example says so: this line goes with the merge.
	"vecbolt --db words.db delete foo bar baz":                                                                                 "foo and baz are not in the demo; the everyday branch adds --missing-ok to this example",
	"vecbolt --db words.db drop -c scratch":                                                                                    "asks on a terminal (the --yes example runs)",
	"vecbolt --db words.db rename scratch glove":                                                                               "the demo has no collection scratch; TestRename renames both ways and onto an existing name",
	"vecbolt --db words.db rename glove glove-6b --json":                                                                       "the demo has no collection scratch; TestRename renames both ways and onto an existing name",
	"vecbolt --db glove.db -c glove eval text --wordnet /usr/share/wordnet":                                                    "needs Debian's wordnet-base and takes minutes; TestEvalText runs the command on the committed WordNet sample",
	"vecbolt --db glove.db -c glove eval text --wordnet /usr/share/wordnet --synsets 5000 --queries 1000 --seed 1 --json":      "needs Debian's wordnet-base and takes minutes; TestEvalText runs the command on the committed WordNet sample",
	"vecbolt --db words.db -c w2v import vectors.txt --format word2vec --vocab vectors.vocab":                                  "the demo has no vectors.txt; TestVocabRoundTrip imports gensim's word2vec text and counts files",
	"vecbolt --db words.db -c w2v export vectors.txt --format word2vec --vocab vectors.vocab":                                  "the demo has no w2v collection; TestVocabRoundTrip exports the counts file and compares it with gensim's",
	"vecbolt --db words.db eval text --wordnet /usr/share/wordnet":                                                             "needs Debian's wordnet-base and takes minutes; TestEvalText runs the command on the committed WordNet sample",
	"vecbolt --db words.db serve":                                                                                              "a server runs until it is stopped; TestServeSIGKILL starts it, and query/server's tests drive every route",
	`VECBOLT_API_KEYS="$(cat keys.txt)" vecbolt --db words.db serve --addr 0.0.0.0:7070 --tls-cert cert.pem --tls-key key.pem`: "a server with keys and TLS; query/server's TLS and key tests cover it",
	`vecbolt --db words.db similar --vector "0.1 0.2 ..." --restrict 10000 --json`:                                             "the vector is a placeholder (the demo's have 100 components)",
}

// prepare lists what a command's examples need that the demo lacks, run
// before each of them.
var prepare = map[string][]string{
	"vecbolt drop": {"--db", "words.db", "create", "scratch", "--dim", "3"},
}

// exampleLines returns the command lines of a cobra Example: lines that
// start with "vecbolt" (after a pipe's producer, if any), continuation
// lines joined.
func exampleLines(text string) []string {
	var out []string
	var cur string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if cur != "" {
			cur += " " + strings.TrimSpace(strings.TrimSuffix(l, "\\"))
			if !strings.HasSuffix(l, "\\") {
				out = append(out, cur)
				cur = ""
			}
			continue
		}
		if l == "" || strings.HasPrefix(l, "#") || !strings.Contains(l, "vecbolt ") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur = strings.TrimSpace(strings.TrimSuffix(l, "\\"))
			continue
		}
		out = append(out, l)
	}
	return out
}

// readmeCLILines returns the command lines of the README's sh blocks that
// run vecbolt (not go run or go test), and the rows of its CLI table with
// their optional [...] parts dropped, on words.db, when no placeholder
// (FILE, KEY, a|b) is left.
func readmeCLILines(readme string) []string {
	var out []string
	inBlock, inTable := false, false
	optional := regexp.MustCompile(` \[[^]]*\]`)
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```sh"):
			inBlock = true
		case strings.HasPrefix(l, "```"):
			inBlock = false
		case inBlock && strings.HasPrefix(l, "vecbolt "):
			if i := strings.Index(l, "   #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			out = append(out, l)
		case strings.HasPrefix(l, "| command |"):
			inTable = true
		case inTable && !strings.HasPrefix(l, "|"):
			inTable = false
		case inTable && strings.HasPrefix(l, "| `vecbolt "):
			cell := strings.TrimPrefix(l, "| `")
			cell = optional.ReplaceAllString(cell[:strings.Index(cell, "`")], "")
			rest := strings.TrimPrefix(cell, "vecbolt ")
			if strings.ContainsAny(rest, "|…") || strings.ContainsAny(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				continue // a synopsis with placeholders
			}
			out = append(out, "vecbolt --db words.db "+rest)
		}
	}
	return out
}

// exampleCommand turns one shell command line into vecbolt's arguments and
// its standard input.
func exampleCommand(t *testing.T, line string) (stdin string, args []string) {
	t.Helper()
	words := shellWords(t, line)
	// A producer piped into vecbolt becomes standard input.
	if i := indexOf(words, "|"); i >= 0 && words[0] != "vecbolt" {
		switch words[0] {
		case "printf":
			stdin = strings.ReplaceAll(words[1], `\n`, "\n")
		case "zcat":
			zr, err := gzip.NewReader(bytes.NewReader(mustRead(t, words[1])))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if _, err := b.ReadFrom(zr); err != nil {
				t.Fatal(err)
			}
			stdin = b.String()
		default:
			t.Fatalf("unknown producer %q", words[0])
		}
		words = words[i+1:]
	}
	// vecbolt piped into a consumer (jq, head): the consumer is dropped.
	if i := indexOf(words, "|"); i >= 0 {
		words = words[:i]
	}
	if len(words) == 0 || words[0] != "vecbolt" {
		t.Fatalf("not a vecbolt command: %q", line)
	}
	return stdin, words[1:]
}

func indexOf(words []string, w string) int {
	for i, x := range words {
		if x == w {
			return i
		}
	}
	return -1
}

// shellWords splits a command line as sh does for the quoting the examples
// use: single and double quotes, no expansions. An unquoted | is a word.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeExampleFixtures writes the files the examples name into dir, made
// from words.db (the demo) so every word the examples use is there.
func writeExampleFixtures(t *testing.T, dir string) {
	t.Helper()
	words := filepath.Join(dir, "words.db")
	// The first 2,000 demo words and every word an example asks about.
	full := ok(t, "--db", words, "export", "-", "-f", "glove")
	var keep []string
	wanted := map[string]bool{}
	for _, w := range strings.Fields("coffee tea walking walk swim paris rome france italy tokyo seoul japan king man woman apple breakfast lunch dinner car red green blue dog berlin london") {
		wanted[w] = true
	}
	for i, l := range lines(full) {
		if i < 500 || wanted[strings.SplitN(l, " ", 2)[0]] {
			keep = append(keep, l)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Join(keep, "\n") + "\n"))
	zw.Close()
	writeFile(t, dir, "glove.6B.100d.txt.gz", gz.Bytes())
	writeTextFixtures(t, dir)
	sub := filepath.Join(dir, "sub.txt")
	writeFile(t, dir, "sub.txt", []byte(strings.Join(keep, "\n")+"\n"))
	subDB := filepath.Join(dir, "sub.db")
	ok(t, "--db", subDB, "-c", "w2v", "import", sub, "--m", "8", "--ef-construction", "40")
	ok(t, "--db", subDB, "-c", "w2v", "export", filepath.Join(dir, "GoogleNews-vectors-negative300.bin"))
	os.Remove(sub)
	os.Remove(subDB)

	writeFile(t, dir, "questions-words.txt", []byte(": capital-common-countries\nparis france rome italy\ntokyo japan paris france\n: family\nking man queen woman\n"))
	pairs := "# Word 1\tWord 2\tHuman (mean)\ncoffee\ttea\t8.0\ncar\tdog\t2.0\nking\tqueen\t8.5\nparis\tlondon\t6.0\n"
	writeFile(t, dir, "wordsim353.tsv", []byte(pairs))
	writeFile(t, dir, "simlex999.txt", []byte(pairs))

	// vecbolt.db: what "vecbolt create --dim 3" and the put examples make.
	vdb := filepath.Join(dir, "vecbolt.db")
	ok(t, "--db", vdb, "create", "--dim", "3")
	ok(t, "--db", vdb, "put", "apple", "--vector", "0.1,-0.2,0.3", "--metadata", `{"color":"red"}`)
	ok(t, "--db", vdb, "put", "pear", "--vector", "0.2,0.1,0.3")
	var jl bytes.Buffer
	zw = gzip.NewWriter(&jl)
	fmt.Fprintln(zw, `{"key":"plum","vector":[0.3,0.1,-0.1],"metadata":{"color":"purple"}}`)
	zw.Close()
	writeFile(t, dir, "vectors.jsonl.gz", jl.Bytes())
	writeFile(t, dir, "messy.csv", []byte("key,v1,v2,v3\nfig,0.1,0.2,0.3\nbad,0.1,x,0.3\nkiwi,0.3,0.2,0.1\n"))

	// docs.db: documents with metadata for the filter example.
	ddb := filepath.Join(dir, "docs.db")
	ok(t, "--db", ddb, "create", "--dim", "3")
	for i, meta := range []string{`{"lang":"en","year":2021}`, `{"lang":"fr","year":2022}`, `{"lang":"en","year":2019}`} {
		ok(t, "--db", ddb, "put", fmt.Sprintf("doc%d", 41+i), "--vector", fmt.Sprintf("%d,1,0.5", i+1), "--metadata", meta)
	}
}

// copyDir copies the regular files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			writeFile(t, dst, e.Name(), mustRead(t, filepath.Join(src, e.Name())))
		}
	}
}
