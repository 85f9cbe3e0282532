package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vecbolt/vecbolt/query"
	"github.com/vecbolt/vecbolt/query/server/api"
)

// Limits bound what one request may ask. Zero fields mean the defaults
// of DefaultLimits.
type Limits struct {
	MaxBodyBytes  int64 // request body size; beyond it the answer is 413
	MaxK          int   // k of a search or analogy, and limit of a threshold search
	MaxBatch      int   // records of an upsert, keys of a get or delete, queries of a batch search
	MaxExprLen    int   // bytes of an expression, filter or text query
	MaxConcurrent int   // requests in flight per API key; beyond it the answer is 429
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{MaxBodyBytes: 32 << 20, MaxK: 1000, MaxBatch: 1024, MaxExprLen: 4096, MaxConcurrent: 16}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxK <= 0 {
		l.MaxK = d.MaxK
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = d.MaxBatch
	}
	if l.MaxExprLen <= 0 {
		l.MaxExprLen = d.MaxExprLen
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = d.MaxConcurrent
	}
	return l
}

// Options configures a Server. The zero value has no API keys (so it may
// only listen on loopback) and the default limits.
type Options struct {
	Keys   []Key
	Limits Limits
	Log    *log.Logger // nil: the standard logger
}

// Server answers vecbolt's HTTP API over one open database. It is an
// http.Handler, safe for concurrent use; it does not own the database (the
// caller closes it after Serve returns).
type Server struct {
	db       *query.DB
	opts     Options
	lim      Limits
	keys     *keyring
	mux      *http.ServeMux
	draining atomic.Bool
	metrics  *metrics
	doc      []byte // /openapi.json
	patterns []string
}

// New returns a server over db.
func New(db *query.DB, opts Options) *Server {
	s := &Server{db: db, opts: opts, lim: opts.Limits.withDefaults(), mux: http.NewServeMux()}
	s.keys = newKeyring(opts.Keys, s.lim.MaxConcurrent)
	s.metrics = newMetrics(db)
	s.doc = openapiJSON()
	for _, rt := range routes {
		pat := rt.Method + " " + rt.Path
		s.mux.Handle(pat, s.wrap(rt))
		s.patterns = append(s.patterns, pat)
	}
	s.mux.Handle("/", s.wrap(notFoundRoute))
	return s
}

// ServeHTTP dispatches a request to its route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Scope is what a route needs of the caller's key.
type Scope int

const (
	Public Scope = iota // no key: health, readiness, the OpenAPI description
	Read                // any key allowed the route's collection
	Write               // a read-write key allowed the route's collection
	Admin               // a read-write key limited to no collection (backup)
)

func (sc Scope) String() string {
	return [...]string{"public", "read", "write", "admin"}[sc]
}

// route is one entry of the route table, the single source of the mux and
// of /openapi.json.
type route struct {
	Method, Path string
	Scope        Scope
	Summary      string
	Request      any    // a zero value of the JSON body type, or nil
	RequestText  string // media type of a non-JSON body ("text/plain"), or ""
	Response     any    // a zero value of the JSON response type, or nil
	ResponseType string // media type of a non-JSON response, or ""
	Query        []param
	handle       func(s *Server, w http.ResponseWriter, r *http.Request) error
}

type param struct{ Name, Type, Doc string }

type ctxKey struct{}

// caller returns the authenticated principal of r.
func caller(r *http.Request) *principal {
	p, _ := r.Context().Value(ctxKey{}).(*principal)
	return p
}

// wrap applies, in order: metrics, authentication (401), authorisation
// (403), the per-key concurrency limit (429) and the body size limit.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() { s.metrics.observe(rt.Path, sw.status, time.Since(start)) }()
		if rt.Scope != Public {
			p, ok := s.keys.authenticate(r)
			if !ok {
				sw.Header().Set("WWW-Authenticate", `Bearer realm="vecbolt"`)
				s.writeError(sw, api.ErrUnauthorized)
				return
			}
			if err := authorise(p, rt.Scope, r.PathValue("name")); err != nil {
				s.writeError(sw, err)
				return
			}
			select {
			case p.slots <- struct{}{}:
				defer func() { <-p.slots }()
			default:
				s.writeError(sw, api.ErrTooManyRequests)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, p))
		}
		r.Body = http.MaxBytesReader(sw, r.Body, s.lim.MaxBodyBytes)
		if err := rt.handle(s, sw, r); err != nil {
			if sw.status != 0 {
				s.logf("vecbolt serve: %s %s: after the answer began: %v", r.Method, rt.Path, err)
				return
			}
			s.writeError(sw, err)
		}
	})
}

func authorise(p *principal, sc Scope, name string) error {
	if (sc == Write || sc == Admin) && !p.write {
		return fmt.Errorf("%w: the key is read-only", api.ErrForbidden)
	}
	if sc == Admin && p.collections != nil {
		return fmt.Errorf("%w: the key is limited to some collections", api.ErrForbidden)
	}
	if name != "" && !p.allows(name) {
		return fmt.Errorf("%w: collection %q", api.ErrForbidden, name)
	}
	return nil
}

// statusWriter records the status written, for metrics and for errors
// that happen after the answer began.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// decode reads one JSON value from the body into v, rejecting unknown
// fields and trailing data.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return api.ErrTooLarge
		}
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON body", api.ErrBadRequest)
	}
	return nil
}

// metrics are the Prometheus series of one server, on its own registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	handler  http.Handler
}

func newMetrics(db *query.DB) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vecbolt_http_requests_total", Help: "HTTP requests answered, by route and status.",
	}, []string{"route", "code"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vecbolt_http_errors_total", Help: "HTTP requests answered with a status >= 400, by route and status.",
	}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "vecbolt_http_request_duration_seconds", Help: "Time to answer, by route.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	}, []string{"route"})
	m.reg.MustRegister(m.requests, m.errors, m.latency, recordsCollector{db},
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	code := fmt.Sprint(status)
	m.requests.WithLabelValues(route, code).Inc()
	if status >= 400 {
		m.errors.WithLabelValues(route, code).Inc()
	}
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// recordsCollector reports each collection's record count at scrape time,
// read from the file: O(collections) per scrape.
type recordsCollector struct{ db *query.DB }

var recordsDesc = prometheus.NewDesc("vecbolt_records", "Records in each collection.", []string{"collection"}, nil)

func (c recordsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- recordsDesc }

func (c recordsCollector) Collect(ch chan<- prometheus.Metric) {
	names, err := c.db.Collections()
	if err != nil {
		return
	}
	for _, n := range names {
		if _, cnt, err := c.db.CollectionInfo(n); err == nil {
			ch <- prometheus.MustNewConstMetric(recordsDesc, prometheus.GaugeValue, float64(cnt), n)
		}
	}
}

// checkLen refuses a string field longer than the expression limit.
func (s *Server) checkLen(field, v string) error {
	if len(v) > s.lim.MaxExprLen {
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", api.ErrLimit, field, len(v), s.lim.MaxExprLen)
	}
	return nil
}

func (s *Server) checkBatch(what string, n int) error {
	if n > s.lim.MaxBatch {
		return fmt.Errorf("%w: %d %s, the limit is %d", api.ErrLimit, n, what, s.lim.MaxBatch)
	}
	return nil
}

// kOrDefault returns k (10 when 0), refusing k beyond the limit; a
// negative k goes on to query, which answers ErrInvalidK.
func (s *Server) kOrDefault(k int) (int, error) {
	if k == 0 {
		return 10, nil
	}
	if k > s.lim.MaxK {
		return 0, fmt.Errorf("%w: k is %d, the limit is %d", api.ErrLimit, k, s.lim.MaxK)
	}
	return k, nil
}

// Routes returns the patterns registered on the mux, "METHOD /path", in
// table order. O(routes).
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }
