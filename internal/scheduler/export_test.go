package scheduler

import "time"

// StartedAt is when the grace period began.
func (s *Scheduler) StartedAt() time.Time { return s.startedAt }
