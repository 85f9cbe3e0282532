package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Config says where and how a server listens. Zero durations mean the
// defaults of DefaultConfig.
type Config struct {
	Addr              string // host:port; "" means 127.0.0.1:7070
	TLSCert, TLSKey   string // PEM files; both or neither
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // whole request, body included
	IdleTimeout       time.Duration // keep-alive connection between requests
	ShutdownTimeout   time.Duration // how long a drain waits for requests in flight
}

// DefaultAddr is where a server listens unless told otherwise.
const DefaultAddr = "127.0.0.1:7070"

// DefaultConfig returns the defaults: loopback, 5s to send the headers,
// 60s for a whole request, 120s idle, 30s to drain.
func DefaultConfig() Config {
	return Config{Addr: DefaultAddr, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, ShutdownTimeout: 30 * time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	return c
}

// CheckAddr refuses a listening address that is not loopback unless API
// keys are configured. A host name other than "localhost" counts as not
// loopback (it could resolve anywhere), and so does an empty host, which
// listens on every interface.
func CheckAddr(addr string, haveKeys bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("server: address %q: %w", addr, err)
	}
	if haveKeys || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q (configure keys with --keys-file or VECBOLT_API_KEYS)", ErrAddr, addr)
}

// Listen checks cfg.Addr and opens its listener.
func (s *Server) Listen(cfg Config) (net.Listener, error) {
	cfg = cfg.withDefaults()
	if err := CheckAddr(cfg.Addr, len(s.opts.Keys) > 0); err != nil {
		return nil, err
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, ErrTLS
	}
	return net.Listen("tcp", cfg.Addr)
}

// Serve answers requests on ln until ctx is done, then drains: /readyz
// turns 503, the listener closes, and requests in flight get up to
// cfg.ShutdownTimeout to finish. It returns nil after a clean drain. The
// caller closes the database afterwards (every write has committed by
// then: query commits before it answers).
func (s *Server) Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	cfg = cfg.withDefaults()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          s.opts.Log,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
