package api

// registerRoutes is the map of the main listener: every endpoint with the
// permission it requires. Handlers live in files named after their resource.
func (s *Server) registerRoutes() {
	// Health and reference (health.go, openapi.go).
	s.handle("GET /health/live", Public, s.live)
	s.handle("GET /health/ready", Public, s.ready)
	s.handle("GET /api/openapi.json", Public, s.openAPI)
	s.handle("GET /api/docs", Public, s.apiDocs)
}
