package store

// SetListTuning overrides the list query's drive limit and total caps for a
// test and returns the function restoring them.
func SetListTuning(drive int64, totalCap int) (restore func()) {
	d, c, sc := driveLimitOverride, totalCountCap, searchCountCap
	driveLimitOverride, totalCountCap, searchCountCap = drive, totalCap, totalCap
	return func() { driveLimitOverride, totalCountCap, searchCountCap = d, c, sc }
}
