package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vecbolt/vecbolt/query/server"
)

// keysEnv names the environment variable that may hold API keys.
const keysEnv = "VECBOLT_API_KEYS"

type serveOptions struct {
	*globalOptions
	Addr     string
	KeysFile string
	TLSCert  string
	TLSKey   string
	ReadOnly bool
	Limits   server.Limits
	Config   server.Config

	// ready, if set, receives the URL once the server listens (tests).
	ready func(url string)
}

func newServeCommand(g *globalOptions) *cobra.Command {
	opts := &serveOptions{globalOptions: g}
	d, dl := server.DefaultConfig(), server.DefaultLimits()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Answer the HTTP API over the database",
		Long: `Serve the database as JSON over HTTP (see /openapi.json on the server), with
Prometheus metrics at /metrics and health checks at /healthz and /readyz.

It listens on 127.0.0.1:7070 unless --addr says otherwise, and refuses an
address that is not loopback unless API keys are configured. Keys come from
--keys-file or the VECBOLT_API_KEYS environment variable, never from the
command line: one per line (or separated by ';'), "SECRET ro|rw
[collection,...]", secrets of at least 16 bytes. Clients send
"Authorization: Bearer SECRET".

SIGINT or SIGTERM stops accepting connections, lets the requests in flight
finish (up to --shutdown-timeout), then closes the database. While serve runs
it holds the file's lock: other processes cannot open the database for writing.`,
		Example: `  vecbolt --db words.db serve
  VECBOLT_API_KEYS="$(cat keys.txt)" vecbolt --db words.db serve --addr 0.0.0.0:7070 \
      --tls-cert cert.pem --tls-key key.pem
  curl -s localhost:7070/v1/collections/default/search -d '{"key":"coffee","k":5}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", server.DefaultAddr, "host:port to listen on")
	f.StringVar(&opts.KeysFile, "keys-file", "", "file of API keys (see above); VECBOLT_API_KEYS is also read")
	f.StringVar(&opts.TLSCert, "tls-cert", "", "TLS certificate (PEM); with --tls-key")
	f.StringVar(&opts.TLSKey, "tls-key", "", "TLS private key (PEM); with --tls-cert")
	f.BoolVar(&opts.ReadOnly, "read-only", false, "open the database read-only: every write answers 403 read_only")
	f.Int64Var(&opts.Limits.MaxBodyBytes, "max-body", dl.MaxBodyBytes, "largest request body in bytes (413 beyond)")
	f.IntVar(&opts.Limits.MaxK, "max-k", dl.MaxK, "largest k of a search")
	f.IntVar(&opts.Limits.MaxBatch, "max-batch", dl.MaxBatch, "most records, keys or queries in one request")
	f.IntVar(&opts.Limits.MaxExprLen, "max-expr", dl.MaxExprLen, "longest expression, filter or text in bytes")
	f.IntVar(&opts.Limits.MaxConcurrent, "max-concurrent", dl.MaxConcurrent, "requests in flight per API key (429 beyond)")
	f.DurationVar(&opts.Config.ReadHeaderTimeout, "read-header-timeout", d.ReadHeaderTimeout, "time allowed to send the request headers")
	f.DurationVar(&opts.Config.ReadTimeout, "read-timeout", d.ReadTimeout, "time allowed to send a whole request")
	f.DurationVar(&opts.Config.IdleTimeout, "idle-timeout", d.IdleTimeout, "how long an idle keep-alive connection stays open")
	f.DurationVar(&opts.Config.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long a shutdown waits for requests in flight")
	return cmd
}

// loadKeys reads the keys of the file and of the environment.
func loadKeys(file string) ([]server.Key, error) {
	var keys []server.Key
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("keys file: %w", err)
		}
		defer f.Close()
		k, err := server.ParseKeys(f)
		if err != nil {
			return nil, fmt.Errorf("keys file %s: %w", file, err)
		}
		keys = append(keys, k...)
	}
	if env := os.Getenv(keysEnv); env != "" {
		k, err := server.ParseKeys(strings.NewReader(env))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keysEnv, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}

func runServe(ctx context.Context, opts *serveOptions, out io.Writer) (err error) {
	keys, err := loadKeys(opts.KeysFile)
	if err != nil {
		return usageErr(err)
	}
	cfg := opts.Config
	cfg.Addr, cfg.TLSCert, cfg.TLSKey = opts.Addr, opts.TLSCert, opts.TLSKey
	if err := server.CheckAddr(cfg.Addr, len(keys) > 0); err != nil {
		return usageErr(err)
	}
	db, err := opts.open(opts.ReadOnly)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	var logger *log.Logger
	if opts.stderr != nil {
		logger = log.New(opts.stderr, "", log.LstdFlags)
	}
	srv := server.New(db, server.Options{Keys: keys, Limits: opts.Limits, Log: logger})
	ln, err := srv.Listen(cfg)
	if err != nil {
		return usageErr(err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	auth := "no API keys: loopback only"
	if len(keys) > 0 {
		auth = fmt.Sprintf("%d API keys", len(keys))
	}
	fmt.Fprintf(out, "serving %s on %s (%s)\n", opts.DB, url, auth)
	if opts.ready != nil {
		opts.ready(url)
	}
	start := time.Now()
	if err := srv.Serve(ctx, ln, cfg); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(out, "drained after %v; closing %s\n", time.Since(start).Round(time.Second), opts.DB)
	return nil
}
