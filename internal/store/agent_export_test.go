package store

// SeverityRank is the expression a sort by severity orders by, for tests
// that check the index on it serves the list.
const SeverityRank = severityRank
