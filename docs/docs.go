// Package docs embeds the API reference so the binary serves it: the OpenAPI
// document is kept as one JSON file per resource under openapi/, merged at
// start-up, and apidocs.html is the interactive reference at /api/docs.
package docs

import "embed"

// Files holds openapi/*.json and apidocs.html.
//
//go:embed openapi/*.json apidocs.html
var Files embed.FS
