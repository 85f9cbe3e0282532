package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newBytesBar returns a progress bar over size bytes (-1: unknown, a
// spinner) drawn on w, or nil when show is false.
func newBytesBar(show bool, w io.Writer, size int64, desc string) *progressbar.ProgressBar {
	if !show {
		return nil
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// newCountBar returns a progress bar over n records drawn on w, or nil when
// show is false.
func newCountBar(show bool, w io.Writer, n int, desc string) *progressbar.ProgressBar {
	if !show {
		return nil
	}
	return progressbar.NewOptions64(int64(n),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("records"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// barProgress adapts a bar to query.BatchOptions.Progress, which is called
// concurrently with a running count: the bar only moves forward. A nil bar
// gives a nil function.
func barProgress(bar *progressbar.ProgressBar) func(done int) {
	if bar == nil {
		return nil
	}
	var mu sync.Mutex // protects best
	best := 0
	return func(done int) {
		mu.Lock()
		defer mu.Unlock()
		if done > best {
			best = done
			_ = bar.Set(done)
		}
	}
}

// finishBar completes a bar, if any.
func finishBar(bar *progressbar.ProgressBar) {
	if bar != nil {
		_ = bar.Finish()
	}
}
