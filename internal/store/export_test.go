package store

// SetListTuning overrides the list query's drive limit and total caps (the
// checked cap at half the other) for a test and returns the function
// restoring them.
func SetListTuning(drive int64, totalCap int) (restore func()) {
	d, c, sc := driveLimitOverride, totalCountCap, checkedCountCap
	driveLimitOverride, totalCountCap, checkedCountCap = drive, totalCap, totalCap/2
	return func() { driveLimitOverride, totalCountCap, checkedCountCap = d, c, sc }
}
