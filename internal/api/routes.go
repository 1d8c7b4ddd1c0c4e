package api

import "github.com/telegrafcontroller/tc"

// registerRoutes is the map of the main listener: every endpoint with the
// permission it requires. Handlers live in files named after their resource.
func (s *Server) registerRoutes() {
	// Health and reference (health.go, openapi.go).
	s.handle("GET /health/live", Public, s.live)
	s.handle("GET /health/ready", Public, s.ready)
	s.handle("GET /api/openapi.json", Public, s.openAPI)
	s.handle("GET /api/docs", Public, s.apiDocs)

	// Configs, labels and constants (config.go, config_toml.go, label.go, constant.go).
	s.handle("GET /api/configs", tc.Perm(tc.ResConfigs, tc.ActionRead), s.listConfigs)
	s.handle("POST /api/configs", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.createConfig)
	s.handle("POST /api/configs/bulk-delete", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.bulkDeleteConfigs)
	s.handle("GET /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionRead), s.getConfig)
	s.handle("PATCH /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionWrite), s.patchConfig)
	s.handle("DELETE /api/configs/{id}", tc.Perm(tc.ResConfigs, tc.ActionDelete), s.deleteConfig)
	s.handle("GET /api/configs/{id}/toml", tc.Perm(tc.ResConfigs, tc.ActionRead), s.configTOML)
	s.handle("GET /api/labels", tc.Perm(tc.ResLabels, tc.ActionRead), s.listLabels)
	s.handle("POST /api/labels", tc.Perm(tc.ResLabels, tc.ActionWrite), s.createLabel)
	s.handle("PATCH /api/labels/{id}", tc.Perm(tc.ResLabels, tc.ActionWrite), s.patchLabel)
	s.handle("DELETE /api/labels/{id}", tc.Perm(tc.ResLabels, tc.ActionDelete), s.deleteLabel)
	s.handle("GET /api/constants", tc.Perm(tc.ResConstants, tc.ActionRead), s.listConstants)
	s.handle("POST /api/constants", tc.Perm(tc.ResConstants, tc.ActionWrite), s.createConstant)
	s.handle("PATCH /api/constants/{name}", tc.Perm(tc.ResConstants, tc.ActionWrite), s.patchConstant)
	s.handle("DELETE /api/constants/{name}", tc.Perm(tc.ResConstants, tc.ActionDelete), s.deleteConstant)
}
