package embed

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryWait(t *testing.T) {
	o, err := ClientOptions{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second, Rand: func() float64 { return 0.5 }}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{opts: o}
	// Equal jitter with r = 0.5: d/2 + d/4 = 0.75·d, d = 100ms·2^(attempt−1) capped at 1s.
	for attempt, want := range map[int]time.Duration{1: 75 * time.Millisecond, 2: 150 * time.Millisecond, 3: 300 * time.Millisecond,
		4: 600 * time.Millisecond, 5: 750 * time.Millisecond, 40: 750 * time.Millisecond} {
		if got, ok := c.retryWait(attempt, 0); got != want || !ok {
			t.Errorf("attempt %d: wait %v %v, want %v", attempt, got, ok, want)
		}
	}
	c.opts.Rand = func() float64 { return 0 }
	if got, _ := c.retryWait(1, 0); got != 50*time.Millisecond {
		t.Errorf("jitter 0: %v", got)
	}
	// Retry-After wins over backoff, up to BackoffMax.
	if got, ok := c.retryWait(1, 700*time.Millisecond); got != 700*time.Millisecond || !ok {
		t.Errorf("Retry-After 700ms: %v %v", got, ok)
	}
	if _, ok := c.retryWait(1, 2*time.Second); ok {
		t.Errorf("Retry-After over BackoffMax accepted")
	}
}

func TestRetryAfter(t *testing.T) {
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	tests := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		" 10 ":                          10 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Wed, 21 Oct 2015 07:28:00 GMT": 0,
	}
	for h, want := range tests {
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
	if got := retryAfter(future); got < 59*time.Minute || got > time.Hour {
		t.Errorf("retryAfter(an hour ahead) = %v", got)
	}
}
