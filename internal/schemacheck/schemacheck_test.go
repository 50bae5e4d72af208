package schemacheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemasCompile compiles every schema file and checks that each one
// refuses an obviously wrong message.
func TestSchemasCompile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(Dir(), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files in %s: %v", Dir(), err)
	}
	k := New()
	for _, f := range files {
		name := filepath.Base(f)
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
		if name == "common.json" || name == "ctl-request.json" {
			continue
		}
		if err := k.Validate(name, []byte(`{"unexpected": 1}`)); err == nil {
			t.Errorf("%s accepts an unknown field", name)
		}
	}
	for _, c := range []struct {
		schema, doc string
		ok          bool
	}{
		{"ctl-request.json#/$defs/add", `{"id":"cam-2","url":"v.mp4","fps":5}`, true},
		{"ctl-request.json#/$defs/add", `{"id":"cam.2","url":"v.mp4"}`, false},
		{"ctl-request.json#/$defs/id", `{"id":"cam"}`, true},
		{"event.json", `{"id":"a","type":"end","stream":"s","label":"walk","score":0.5,"start_ts":"2026-01-01T00:00:00Z","duration_s":1,"model":"m"}`, false},
		{"event.json", `{"id":"a","type":"start","stream":"s","label":"walk","score":0.5,"start_ts":"not a time","duration_s":1,"model":"m"}`, false},
		{"event.json", `{"id":"a","type":"start","stream":"s","label":"walk","score":0.5,"start_ts":"2026-01-01T00:00:00Z","duration_s":1,"model":"m","start_pts_s":1}`, true},
	} {
		err := k.Validate(c.schema, []byte(c.doc))
		if (err == nil) != c.ok {
			t.Errorf("%s %s: err = %v, want ok=%v", c.schema, strings.TrimSpace(c.doc), err, c.ok)
		}
	}
}
