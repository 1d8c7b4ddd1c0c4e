// Package httpx is the HTTP plumbing the adapters share: the JSON API
// (internal/api), the web UI (internal/web) and the heartbeat listener
// (internal/heartbeat). It writes errors in the one {"error","message"}
// shape and maps error codes to HTTP status, decodes JSON bodies under a
// size cap and the text rules both databases need, finds the client's
// address behind trusted proxies, instruments a listener, and provides the
// middleware internal/app composes the main listener from (security
// headers, cross-origin protection, URL text checks, JSON answers for
// unknown routes). It knows no resource, rule or store.
package httpx
