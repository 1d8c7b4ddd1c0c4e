package store

// SetListTuning overrides the list query's drive limit and total cap for a
// test and returns the function restoring them.
func SetListTuning(drive int64, totalCap int) (restore func()) {
	d, c := driveLimitOverride, totalCountCap
	driveLimitOverride, totalCountCap = drive, totalCap
	return func() { driveLimitOverride, totalCountCap = d, c }
}
