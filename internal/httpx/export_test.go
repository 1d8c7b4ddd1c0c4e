package httpx

import "github.com/telegrafcontroller/tc"

// StatusOf is the HTTP status of err, by its code.
func StatusOf(err error) int { return statusOf(tc.ErrorCode(err)) }
