package query

// SetScanBelow replaces ScanBelow until the returned function is called;
// tests and measurements use it to force one filter plan.
func SetScanBelow(f func(n, ef int) int) (restore func()) {
	old := scanBelowOverride
	scanBelowOverride = f
	return func() { scanBelowOverride = old }
}
