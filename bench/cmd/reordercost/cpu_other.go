//go:build !unix

package main

import "time"

// cpu is not measured on this system: it reports zero.
func cpu() time.Duration { return 0 }
