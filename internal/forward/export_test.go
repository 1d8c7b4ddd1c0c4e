package forward

import "time"

// RetryAfter exposes the Retry-After parser to the tests.
func (w *Webhook) RetryAfter(v string) time.Duration { return w.retryAfter(v) }
