package telegraf

import (
	"fmt"
	"strings"
	"testing"
)

// problems renders a report's findings as "E 3:1 message" lines.
func problems(r Report) []string {
	var out []string
	for _, p := range r.Errors {
		out = append(out, fmt.Sprintf("E %d:%d %s", p.Line, p.Column, p.Message))
	}
	for _, p := range r.Warnings {
		out = append(out, fmt.Sprintf("W %d:%d %s", p.Line, p.Column, p.Message))
	}
	return out
}

func TestValidate(t *testing.T) {
	heartbeat := `[[outputs.heartbeat]]
  url = "http://localhost:8000/agents/heartbeat"
  instance_id = "&{agent_id}"
  interval = "1m"
  include = ["hostname", "statistics", "configs", "logs", "status"]
  token = "${TELEGRAF_CONTROLLER_TOKEN}"
`
	tests := []struct {
		name string
		src  string
		// want holds one substring per expected problem, prefixed with
		// "E line:col " or "W line:col ", in the order errors then warnings.
		want []string
	}{
		{"empty", "", nil},
		{"only comments", "# nothing\n", nil},
		{"heartbeat default", heartbeat, nil},
		{"full config", `[agent]
  interval = "10s"
[global_tags]
  dc = "&{dc:eu-1}"
[[inputs.cpu]]
  percpu = true
  [inputs.cpu.tagpass]
    cpu = ["cpu0"]
[[inputs.cpu]]
[[processors.rename]]
[[aggregators.minmax]]
[[secretstores.os]]
  id = "os"
[[outputs.file]]
  files = ["stdout"]
  data_format = "json"
[[inputs.exec]]
  commands = ["x"]
  data_format = "xpath_json"
`, nil},

		// Syntax errors carry the position of the offending character.
		{"bad keyword", "[[inputs.cpu]]\n  percpu = tru\n", []string{`E 2:12 expected keyword "true"`}},
		{"unterminated string", "[[inputs.cpu]]\ns = \"open\n", []string{"E 2:10 basic strings cannot have new lines"}},
		{"column counts characters", "[[inputs.cpu]]\nx = \"é€\" = 3\n", []string{"E 2:10 expected newline"}},
		{"unclosed header", "[[inputs.cpu]\n", []string{"E 1:"}},
		{"duplicate key", "[[inputs.exec]]\na = 1\na = 2\n", []string{"E 3:1 key a is already defined"}},
		{"duplicate table", "[agent]\n[agent]\n", []string{"E 2:2 table agent is already defined"}},
		{"table after its sub-table", "[inputs.cpu.tagpass]\n[inputs.cpu]\n", []string{"W 2:1 [inputs.cpu] is a single table"}},
		{"array then table", "[[inputs.cpu]]\n[inputs.cpu]\n", []string{"E 2:2 inputs.cpu is already an array of tables", "W 2:1 [inputs.cpu] is a single table"}},
		{"table then array", "[inputs.cpu]\n[[inputs.cpu]]\n", []string{"E 2:3 inputs.cpu is already defined as a table or value", "W 1:1 [inputs.cpu] is a single table"}},
		{"value then table", "[agent]\nx = 1\n[agent.x]\n", []string{"E 3:2 key agent.x is already defined as a value"}},
		{"value then deeper table", "[agent]\nx = {a = 1}\n[agent.x.a]\n", []string{"E 3:2 key agent.x is already defined as a value"}},
		{"same key in two array elements", "[[inputs.exec]]\na = 1\n[[inputs.exec]]\na = 1\n[inputs.exec.tagpass]\n[[inputs.exec]]\n[inputs.exec.tagpass]\n", nil},
		{"duplicate in an inline table", "[agent]\nx = {a = 1, a = 2}\n", []string{"E 2:13 key a is already defined"}},
		{"integer out of range", "[agent]\nx = 9_223_372_036_854_775_808\ny = -9223372036854775808\n", []string{"E 2:5 integer 9_223_372_036_854_775_808 is out of range"}},
		{"crlf", "[[inputs.cpu]]\r\npercpu = tru\r\n", []string{`E 2:10 expected keyword "true"`}},

		// Dynamic values do not break parsing, wherever they stand.
		{"parameter as number", "[[inputs.http]]\n  port = &{port}\n  timeout = &{t:5}\n", []string{
			`W 2:10 parameter "port" stands outside quotes, so the controller serves it only values that are exactly one TOML number, boolean or date-time (others get 400); in double quotes ("&{port}") it takes any text without " or \`,
			`W 3:13 parameter "t" stands outside quotes`}},
		{"parameter in single quotes", "[[inputs.http]]\n  a = '&{a}'\n  b = \"\"\"&{b}\"\"\"\n  c = '''&{c}'''\n", []string{
			`W 2:8 parameter "a" stands in a single-quoted string ('...'), so the controller serves it only values that hold no single quote and no control character`,
			`W 4:10 parameter "c" stands in a multi-line single-quoted string ('''...'''), so the controller serves it only values that hold no three single quotes in a row`}},
		{"env as boolean", "[[inputs.cpu]]\n  percpu = ${PERCPU}\n", []string{"W 2:12 ${PERCPU} outside a quoted string: Telegraf 1.38 and later"}},
		{"secret outside a string", "[[inputs.exec]]\n  password = @{vault:pw}\n", []string{`E 2:14 secret @{vault:pw} outside a quoted string: the agent reads secrets only inside strings; write "@{vault:pw}"`}},
		{"parameter as key", "[[inputs.cpu]]\n  &{k} = 1\n", []string{`W 2:3 parameter "k" stands outside quotes`}},
		{"parameter in array", "[[inputs.http]]\n  urls = [\"&{targets}\"]\n", nil},
		{"default with colons", "[[outputs.influxdb]]\n  urls = [\"&{db:http://localhost:8086}\"]\n", nil},
		{"quote inside default", "[[inputs.exec]]\n  x = \"&{a:say \"hi\"}\"\n", []string{`W 2:8 the default of parameter "a" contains a quote`}},
		{"multiline strings", "[[inputs.exec]]\n  commands = [\"\"\"\n&{cmd}\n\"\"\"]\n  s = '''\n# not a comment ${X}\n'''\n", nil},
		{"error after a reference keeps its column", "[[inputs.cpu]]\nx = \"&{abc}\" = 1\n", []string{"E 2:14 expected newline"}},
		{"bad constant name", "[agent]\n  x = \"::{Region}\"\n", []string{`W 2:8 constant name "Region"`}},

		// Structure.
		{"top-level key", "interval = \"10s\"\n[agent]\n", []string{`E 1:1 top-level key "interval"`}},
		{"top-level array of tables", "[[agent]]\n", []string{"E 1:1 [[agent]] must be a table"}},
		{"unknown top-level table", "[foo]\nx = 1\n[foo.bar]\n", []string{`W 1:1 unknown top-level table [foo]`}},
		{"legacy input table", "[cpu]\n", []string{`W 1:1 unknown top-level table [cpu]: Telegraf reads it as a legacy input plugin named "cpu"; write [[inputs.cpu]]`}},
		{"single-table input", "[inputs.cpu]\n", []string{"W 1:1 [inputs.cpu] is a single table, a legacy form Telegraf still accepts; write [[inputs.cpu]]"}},
		{"single-table output", "  [outputs.file]\n", []string{"W 1:3 [outputs.file] is a single table"}},
		{"single-table processor", "[processors.rename]\n", []string{"E 1:1 [processors.rename] must be an array of tables: write [[processors.rename]]"}},
		{"single-table aggregator", "[aggregators.minmax]\n", []string{"E 1:1 [aggregators.minmax] must be an array of tables"}},
		{"plugin as a scalar", "[inputs]\ncpu = 3\n", []string{"E 2:1 inputs.cpu must be a table or an array of tables"}},
		{"plugin as an inline table", "[inputs]\ncpu = {percpu = true}\nmem = [{}]\n", []string{"W 2:1 [inputs.cpu] is a single table"}},
		{"plugin sub-table", "[[inputs.cpu]]\n[inputs.cpu.tagpass]\n", nil},
		{"legacy plugins alias", "[[plugins.cpu]]\n", nil},

		// TOML 1.0 forms Telegraf's older TOML dialect refuses.
		{"dotted key", "[[inputs.cpu]]\n  tagpass.cpu = [\"a\"]\n", []string{"E 2:3 dotted key tagpass.cpu: Telegraf's TOML parser does not accept dotted keys"}},
		{"dotted key at the root", "inputs.cpu.percpu = true\n", []string{"E 1:1 dotted key inputs.cpu.percpu"}},
		{"dotted key in an inline table", "[[inputs.exec]]\n  x = {a.b = 1}\n", []string{"E 2:8 dotted key a.b"}},
		{"hex integer", "[[inputs.exec]]\n  x = 0x10\n  y = [1, 0o7, 0b1]\n", []string{
			"E 2:7 integer 0x10", "E 3:11 integer 0o7", "E 3:16 integer 0b1"}},
		{"inf and nan", "[[inputs.exec]]\n  x = -inf\n  y = {z = nan}\n", []string{"E 2:7 float -inf", "E 3:12 float nan"}},
		{"forms Telegraf accepts", "[[inputs.exec]]\n  \"quoted key\" = 1_000\n  d = 1979-05-27\n  f = 1e3\n  x = {a = 1, b = {c = 2}}\n  m = '''\na\n'''\n", nil},

		// Names unknown to Telegraf are warnings, with a suggestion when close.
		{"unknown input", "[[inputs.cpux]]\n", []string{"W 1:1 unknown plugin inputs.cpux: not in Telegraf v1.39.3 (did you mean cpu?)"}},
		{"unknown output far from any", "[[outputs.zzzzzzzzzz]]\n", []string{"W 1:1 unknown plugin outputs.zzzzzzzzzz: not in Telegraf v1.39.3; fine if"}},
		// Options a plugin does not have (Telegraf refuses them).
		{"unknown option", "[[inputs.cpu]]\n  percpu = true\n  percpuu = true\n  interval = \"10s\"\n  [inputs.cpu.tagpass]\n    cpu = [\"a\"]\n  [inputs.cpu.tagz]\n", []string{
			`W 3:3 option "percpuu" is not in the sample configuration of inputs.cpu`, `W 7:4 option "tagz" is not in the sample configuration of inputs.cpu`}},
		{"options of a data_format are not checked", "[[inputs.file]]\n  files = [\"x\"]\n  data_format = \"json\"\n  json_query = \"a\"\n", nil},
		{"commented sample options count", "[[outputs.file]]\n  rotation_max_size = \"10MB\"\n", nil},
		{"dynamic option name", "[[inputs.cpu]]\n  \"&{opt}\" = true\n", nil},
		{"deprecated plugin", "[[inputs.sflow]]\n", []string{"W 1:1 plugin inputs.sflow is deprecated since Telegraf 1.31.0 and goes away in 1.40.0: use 'inputs.netflow' instead"}},
		{"removed plugin", "[[inputs.httpjson]]\n", []string{"W 1:1 plugin inputs.httpjson was removed in Telegraf 1.30.0 (agents of that version or later refuse this config): use 'inputs.http' instead"}},
		{"unknown reported once", "[[inputs.custom]]\n[[inputs.custom]]\n", []string{"W 1:1 unknown plugin inputs.custom"}},
		{"unknown data format", "[[inputs.file]]\n  data_format = \"jsn\"\n[[outputs.file]]\n  data_format = \"xml\"\n", []string{
			`W 2:3 unknown data_format "jsn" for inputs.file: not a parser`, `W 4:3 unknown data_format "xml" for outputs.file: not a serializer`}},

		// Literal credentials.
		{"literal password", "[[outputs.influxdb]]\n  password = \"hunter2\"\n", []string{`W 2:3 password holds a literal credential; use an environment variable ("${INFLUXDB_PASSWORD}") or a secret store`}},
		{"literal token and api key", "[[outputs.x]]\n  token = \"t\"\n  api_key = 'k'\n  sasl_password = \"p\"\n", []string{
			"W 1:1 unknown plugin", "W 2:3 token holds", "W 3:3 api_key holds", "W 4:3 sasl_password holds"}},
		{"credentials by reference are fine", "[[outputs.http]]\n  password = \"${PW}\"\n  token = \"@{vault:tok}\"\n  api_key = \"&{key}\"\n  secret = \"Bearer ::{c}\"\n", nil},
		{"empty credential and paths", "[[inputs.prometheus]]\n  password = \"\"\n  bearer_token = \"/run/token\"\n", nil},
		{"credential outside plugins", "[agent]\n  password = \"x\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Validate(tt.src)
			got := problems(r)
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("Validate(%q)\ngot:\n  %s\nwant (prefixes):\n  %s", tt.src, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if wantValid := !strings.HasPrefix(strings.Join(tt.want, ""), "E"); r.Valid() != wantValid {
				t.Errorf("Valid() = %v, want %v", r.Valid(), wantValid)
			}
		})
	}
}

func TestValidateReportsUses(t *testing.T) {
	r := Validate("[[inputs.http]]\n  urls = [\"&{targets}\"]\n  token = \"${TOKEN:-x}\"\n  password = \"@{vault:pw}\"\n  region = \"::{region}\"\n")
	if got := fmt.Sprint(len(r.Uses.Parameters), len(r.Uses.Env), len(r.Uses.Secrets), len(r.Uses.Constants)); got != "1 1 1 1" {
		t.Errorf("uses counts = %s, want 1 1 1 1", got)
	}
	if r.Errors == nil || r.Warnings == nil {
		t.Errorf("Errors and Warnings must be empty slices, not nil")
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
	if err := Validate("[[inputs.cpu]]\nx = tru\n").Err(); err == nil || !strings.HasPrefix(err.Error(), "line 2, column 5: ") {
		t.Errorf("Err() = %v, want a message starting with the position", err)
	}
	if err := Validate("a = 1\nb = 2\nc = 3\n").Err(); err == nil || !strings.HasSuffix(err.Error(), " (and 2 more errors)") {
		t.Errorf("Err() = %v, want the count of the other errors", err)
	}
}

func TestCatalogue(t *testing.T) {
	c := Plugins()
	if c.Version != "v1.39.3" || c.License != "MIT" || !strings.Contains(c.Copyright, "InfluxData") {
		t.Errorf("header = %q %q %q", c.Version, c.License, c.Copyright)
	}
	for _, want := range []struct{ typ, name string }{
		{"inputs", "cpu"}, {"inputs", "mem"}, {"outputs", "heartbeat"}, {"outputs", "file"}, {"processors", "rename"},
		{"aggregators", "minmax"}, {"parsers", "json"}, {"parsers", "xpath_json"}, {"serializers", "influx"}, {"secretstores", "os"},
	} {
		p, ok := c.Lookup(want.typ, want.name)
		if !ok {
			t.Errorf("Lookup(%s, %s) not found", want.typ, want.name)
			continue
		}
		if p.Description == "" || p.Sample == "" {
			t.Errorf("%s.%s: description %q, sample %d bytes", want.typ, want.name, p.Description, len(p.Sample))
		}
	}
	cpu, _ := c.Lookup("inputs", "cpu")
	if !strings.Contains(cpu.Sample, "[[inputs.cpu]]") || cpu.Title != "CPU Input Plugin" {
		t.Errorf("inputs.cpu = %+v", cpu)
	}
	// Every sample with a plugin section of its own type parses.
	for _, p := range c.Plugins {
		if !sectionTypes[p.Type] || !strings.Contains(p.Sample, "[["+p.Type+"."+p.Name+"]]") {
			continue
		}
		r := Validate(p.Sample)
		if !r.Valid() {
			t.Errorf("sample of %s.%s does not validate: %v", p.Type, p.Name, r.Err())
		}
		for _, w := range r.Warnings {
			if strings.Contains(w.Message, "not in the sample configuration") {
				t.Errorf("sample of %s.%s: %s (line %d)", p.Type, p.Name, w.Message, w.Line)
			}
		}
	}

	counts := map[string]int{}
	for _, p := range c.Plugins {
		counts[p.Type]++
	}
	for _, typ := range PluginTypes {
		if counts[typ] == 0 {
			t.Errorf("no %s in the catalogue", typ)
		}
	}

	tests := []struct {
		typ, query string
		want       string // a plugin that must be found
		not        string // one that must not
	}{
		{"inputs", "cpu", "inputs.cpu", "outputs.heartbeat"},
		{"", "heartbeat", "outputs.heartbeat", "inputs.cpu"},
		{"inputs", "CPU system", "inputs.cpu", "inputs.mem"},
		{"outputs", "", "outputs.file", "inputs.cpu"},
	}
	for _, tt := range tests {
		found := map[string]bool{}
		for _, p := range c.Search(tt.typ, tt.query) {
			found[p.Type+"."+p.Name] = true
		}
		if !found[tt.want] || found[tt.not] {
			t.Errorf("Search(%q, %q): %s found = %v, %s found = %v", tt.typ, tt.query, tt.want, found[tt.want], tt.not, found[tt.not])
		}
	}
	if got := c.Search("inputs", "no-such-plugin-anywhere"); got == nil || len(got) != 0 {
		t.Errorf("Search with no match = %v, want an empty non-nil slice", got)
	}
}
