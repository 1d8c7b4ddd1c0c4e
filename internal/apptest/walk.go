package apptest

// RouteMatches reports whether a walk row's path (wildcards filled, or left
// as {name}; a query and a trailing " (note)" allowed) belongs to the route
// pattern: the rule RequireRowsCover applies, for tests that check coverage
// across every walk table.
func RouteMatches(pattern, path string) bool { return patternMatches(pattern, path) }
