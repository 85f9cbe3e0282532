package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/client"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// The CLI as a client: with --server URL the usual commands run against a
// running 'vecbolt serve' through query/client instead of opening --db, so
// the CLI is not locked out while serve holds the file. The embedded
// commands are untouched: wireRemote wraps each command's RunE, and with
// --server it dispatches to the remote implementation in remote_*.go, which
// reads the same flags, checks them the same way and prints with the same
// helpers, so output formats and exit codes match (errors come back from
// the server as the same sentinels, see query/server/api).

// apiKeyEnv names the environment variable holding the client's API key.
const apiKeyEnv = "VECBOLT_API_KEY"

// remoteFlags are the persistent flags of client mode.
type remoteFlags struct {
	URL     string // --server
	KeyFile string // --api-key-file
}

// remote is one command run against a server.
type remote struct {
	*globalOptions
	url  string
	cl   *client.Client
	col  *client.Collection // the -c collection
	flag flagValues
}

// remoteRun is the remote implementation of one command.
type remoteRun func(ctx context.Context, r *remote, args []string, out io.Writer) error

// remoteCommands maps a command path (without "vecbolt ") to its remote
// implementation.
var remoteCommands = map[string]remoteRun{
	"collections":     remoteCollections,
	"create":          remoteCreate,
	"add":             remoteAdd,
	"drop":            remoteDrop,
	"stats":           remoteStats,
	"put":             remotePut,
	"get":             remoteGet,
	"delete":          remoteDelete,
	"keys":            remoteKeys,
	"search":          remoteSearch,
	"analogy":         remoteAnalogy,
	"similar":         remoteSimilar,
	"odd":             remoteOdd,
	"similarity":      remoteSimilarity,
	"eval analogies":  remoteEvalAnalogies,
	"eval similarity": remoteEvalSimilarity,
	"check":           remoteCheck,
	"import":          remoteImport,
	"backup":          remoteBackup,
}

// localCommands never touch a database and run the same with --server
// (eval only groups its subcommands, which are wrapped).
var localCommands = map[string]bool{"help": true, "version": true, "completion": true, "eval": true}

// notRemote says why a command cannot run against a server.
var notRemote = map[string]string{
	"compact": "it rewrites the database file: stop the server and run it where the file is",
	"upgrade": "it rewrites the database file: stop the server and run it where the file is",
	"demo":    "it builds its own database: run it without --server",
	"serve":   "it serves a database file: give --db",
	"export":  "use 'vecbolt --server URL backup FILE', then export from the copy",
}

// wireRemote adds --server and --api-key-file to root and wraps the RunE of
// every command under it: without --server nothing changes.
func wireRemote(root *cobra.Command, g *globalOptions) {
	rf := &remoteFlags{}
	pf := root.PersistentFlags()
	pf.StringVar(&rf.URL, "server", "", "run the command against a 'vecbolt serve' at this URL instead of opening --db")
	pf.StringVar(&rf.KeyFile, "api-key-file", "", "with --server: a file holding the API key (else $"+apiKeyEnv+")")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			wrapRemote(sub, rf, g)
			walk(sub)
		}
	}
	walk(root)
}

func wrapRemote(c *cobra.Command, rf *remoteFlags, g *globalOptions) {
	name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	top := strings.Fields(name)[0]
	if localCommands[name] || top == "completion" || top == "help" || c.RunE == nil {
		return
	}
	orig := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if rf.URL == "" {
			return orig(cmd, args)
		}
		run, ok := remoteCommands[name]
		if !ok {
			why, known := notRemote[name]
			if !known {
				why = "it needs the database file: run it where the file is"
			}
			return usageErr(fmt.Errorf("%s does not run against a server (--server): %s", name, why))
		}
		if g.dbExplicit {
			return usageErr(errors.New("give --db or --server, not both"))
		}
		r, err := newRemote(rf, g, cmd.Flags())
		if err != nil {
			return err
		}
		return r.wrapErr(run(cmd.Context(), r, args, cmd.OutOrStdout()))
	}
}

// newRemote checks the flags of client mode and makes the client. The API
// key comes from --api-key-file or VECBOLT_API_KEY, never from argv.
func newRemote(rf *remoteFlags, g *globalOptions, fs *pflag.FlagSet) (*remote, error) {
	if g.Collection == "" {
		return nil, usageErr(errors.New("-c is empty: give a collection name"))
	}
	key := os.Getenv(apiKeyEnv)
	if rf.KeyFile != "" {
		b, err := os.ReadFile(rf.KeyFile)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--api-key-file: %w", err))
		}
		if key = strings.TrimSpace(string(b)); key == "" || strings.ContainsAny(key, "\r\n") {
			return nil, usageErr(fmt.Errorf("--api-key-file %s must hold one key on one line", rf.KeyFile))
		}
	}
	u := strings.TrimSuffix(rf.URL, "/")
	cl, err := client.New(u, client.Options{APIKey: key, HTTPClient: &http.Client{}})
	if err != nil {
		return nil, usageErr(fmt.Errorf("--server: %w", err))
	}
	return &remote{globalOptions: g, url: u, cl: cl, col: cl.Collection(g.Collection), flag: flagValues{fs}}, nil
}

// wrapErr says in plain words that the server did not answer (a transport
// error: refused, reset, cut mid-answer), keeping the cause for errors.Is;
// an interrupt stays an interrupt. Errors the server answered pass unchanged: they unwrap to the
// sentinels errors.go maps to exit codes.
func (r *remote) wrapErr(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) || errors.Is(err, context.Canceled) {
		return err
	}
	msg := strings.Replace(err.Error(), ue.Error(), fmt.Sprintf("the server at %s did not answer (%v)", r.url, ue.Err), 1)
	return &hintError{msg: msg, err: err}
}

// info returns the -c collection's configuration and record count, or the
// not-found error embedded commands give, listing the collections the key
// may read. One request, O(collections) on the server.
func (r *remote) info(ctx context.Context) (query.CollectionConfig, int, error) {
	list, err := r.cl.List(ctx)
	if err != nil {
		return query.CollectionConfig{}, 0, err
	}
	for _, c := range list.Collections {
		if c.Name == r.Collection {
			return c.Config, c.Records, nil
		}
	}
	return query.CollectionConfig{}, 0, r.noCollection(list)
}

// noCollection is the exit-3 error for a missing -c collection.
func (r *remote) noCollection(list api.CollectionList) error {
	hint := "the server has no collections you may read; create one with 'vecbolt --server URL create --dim D'"
	if len(list.Collections) > 0 {
		names := make([]string, len(list.Collections))
		for i, c := range list.Collections {
			names[i] = c.Name
		}
		hint = "collections: " + strings.Join(names, ", ")
	}
	return &exitError{code: exitNotFound, err: &hintError{msg: fmt.Sprintf("no collection %q on %s (%s)", r.Collection, r.url, hint), err: query.ErrUnknownCollection}}
}

// unknown turns a collection-not-found answer into noCollection's error;
// other errors pass unchanged.
func (r *remote) unknown(ctx context.Context, err error) error {
	if !errors.Is(err, query.ErrUnknownCollection) {
		return err
	}
	list, lerr := r.cl.List(ctx)
	if lerr != nil {
		return err
	}
	return r.noCollection(list)
}

// flagValues reads a command's flags by name. The names are fixed in the
// command constructors; a wrong one is a bug, caught by the tests.
type flagValues struct{ fs *pflag.FlagSet }

func must[T any](v T, err error) T {
	if err != nil {
		panic("vecbolt: remote: " + err.Error())
	}
	return v
}

func (f flagValues) str(name string) string    { return must(f.fs.GetString(name)) }
func (f flagValues) num(name string) int       { return must(f.fs.GetInt(name)) }
func (f flagValues) on(name string) bool       { return must(f.fs.GetBool(name)) }
func (f flagValues) f32(name string) float32   { return must(f.fs.GetFloat32(name)) }
func (f flagValues) list(name string) []string { return must(f.fs.GetStringArray(name)) }
func (f flagValues) changed(name string) bool  { return f.fs.Changed(name) }

// optStr reads a string flag the command may not have (one another
// helper adds), and whether it has it.
func (f flagValues) optStr(name string) (string, bool) {
	if f.fs.Lookup(name) == nil {
		return "", false
	}
	return f.str(name), true
}

// chunks calls fn on consecutive pieces of n items of at most size each.
func chunks(n, size int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += size {
		if err := fn(lo, min(lo+size, n)); err != nil {
			return err
		}
	}
	return nil
}

// remoteBatch is how many keys, records or queries one request carries:
// below the server's default --max-batch (1024). A variable for tests.
var remoteBatch = 1000
