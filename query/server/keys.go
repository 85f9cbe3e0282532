package server

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Key is one API key: its secret, whether it may write, and the
// collections it may touch (none listed means all).
type Key struct {
	Secret      string
	Write       bool
	Collections []string
}

// ParseKeys reads API keys, one a line: the secret, then "ro" or "rw",
// then optionally a comma-separated list of collections. Blank lines and
// lines starting with '#' are skipped; ';' also ends an entry, so the
// VECBOLT_API_KEYS environment variable can hold several on one line. A
// secret must be at least 16 bytes. O(size of r).
func ParseKeys(r io.Reader) ([]Key, error) {
	var keys []Key
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		for entry := range strings.SplitSeq(sc.Text(), ";") {
			entry = strings.TrimSpace(entry)
			if entry == "" || strings.HasPrefix(entry, "#") {
				continue
			}
			f := strings.Fields(entry)
			if len(f) < 2 || len(f) > 3 {
				return nil, fmt.Errorf("%w: line %d: want \"SECRET ro|rw [collection,...]\"", ErrKeys, line)
			}
			k := Key{Secret: f[0]}
			switch f[1] {
			case "ro":
			case "rw":
				k.Write = true
			default:
				return nil, fmt.Errorf("%w: line %d: access %q is neither ro nor rw", ErrKeys, line, f[1])
			}
			if len(k.Secret) < minSecretLen {
				return nil, fmt.Errorf("%w: line %d: a secret must be at least %d bytes", ErrKeys, line, minSecretLen)
			}
			if len(f) == 3 {
				for c := range strings.SplitSeq(f[2], ",") {
					if c != "" {
						k.Collections = append(k.Collections, c)
					}
				}
			}
			keys = append(keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeys, err)
	}
	return keys, nil
}

const minSecretLen = 16

// principal is an authenticated caller: a key, or the anonymous caller of
// a server with no keys (loopback only), who may do everything.
type principal struct {
	hash        [sha256.Size]byte
	write       bool
	collections []string      // nil: all
	slots       chan struct{} // concurrency limit: one token per request in flight
}

// allows reports whether p may touch collection name ("" for database-wide
// routes, which need a key limited to no collection).
func (p *principal) allows(name string) bool {
	if p.collections == nil {
		return true
	}
	return name != "" && slices.Contains(p.collections, name)
}

// keyring holds the configured keys as SHA-256 hashes.
type keyring struct {
	keys []*principal
	anon *principal // set when no keys are configured
}

func newKeyring(keys []Key, concurrency int) *keyring {
	kr := &keyring{}
	if len(keys) == 0 {
		kr.anon = &principal{write: true, slots: make(chan struct{}, concurrency)}
		return kr
	}
	for _, k := range keys {
		kr.keys = append(kr.keys, &principal{
			hash:        sha256.Sum256([]byte(k.Secret)),
			write:       k.Write,
			collections: slices.Clone(k.Collections),
			slots:       make(chan struct{}, concurrency),
		})
	}
	return kr
}

// authenticate finds the caller's key from "Authorization: Bearer KEY" or
// "X-API-Key: KEY". It compares SHA-256 hashes in constant time against
// every configured key (no early exit), so neither the length nor the
// position of a match leaks through timing. O(number of keys).
func (kr *keyring) authenticate(r *http.Request) (*principal, bool) {
	if kr.anon != nil {
		return kr.anon, true
	}
	secret := r.Header.Get("X-API-Key")
	if a := r.Header.Get("Authorization"); secret == "" && strings.HasPrefix(a, "Bearer ") {
		secret = strings.TrimPrefix(a, "Bearer ")
	}
	if secret == "" {
		return nil, false
	}
	h := sha256.Sum256([]byte(secret))
	var found *principal
	for _, p := range kr.keys {
		if subtle.ConstantTimeCompare(h[:], p.hash[:]) == 1 {
			found = p
		}
	}
	return found, found != nil
}
