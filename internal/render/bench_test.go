package render

import (
	"strings"
	"testing"
)

// BenchmarkRender renders a heartbeat config for one agent, as a TOML cache
// miss does: with its three parameters in double-quoted strings, and with a
// fourth standing outside quotes (which adds the structure check).
func BenchmarkRender(b *testing.B) {
	base := "[agent]\n  interval = \"10s\"\n\n[global_tags]\n  region = \"&{region:eu}\"\n  dc = \"&{dc}\"\n\n" +
		"[[inputs.cpu]]\n  percpu = true\n\n[[outputs.heartbeat]]\n  url = \"http://controller:8000/agents/heartbeat\"\n" +
		"  instance_id = \"&{agent_id}\"\n  interval = \"1m\"\n  include = [\"hostname\", \"statistics\", \"configs\", \"logs\", \"status\"]\n" +
		"  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n"
	query := map[string][]string{"agent_id": {"web-1"}, "region": {"us"}, "dc": {"dc1"}}
	for _, tt := range []struct {
		name, toml string
		query      map[string][]string
	}{
		{"quoted", base, query},
		{"bare", base + "[[inputs.mem]]\n  interval = &{mem_interval:10}\n", map[string][]string{"agent_id": {"web-1"}, "region": {"us"}, "dc": {"dc1"}, "mem_interval": {"30"}}},
		{"quoted-100-sections", strings.Repeat(base, 100), query},
	} {
		tmpl := Parse(tt.toml)
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tmpl.Render(nil, tt.query, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
