package heartbeat

// InFlight is how many agents the flush under way is writing (0 when none).
func (g *Ingester) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.inflight)
}
