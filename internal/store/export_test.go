package store

// SetSweepSlice sets how many agents a sweep's transaction marks at most
// (sweepSlice), for tests; it returns a function that restores it.
func SetSweepSlice(n int) func() {
	old := sweepSlice
	sweepSlice = n
	return func() { sweepSlice = old }
}
