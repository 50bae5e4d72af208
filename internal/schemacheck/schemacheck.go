// Package schemacheck validates messages against the JSON Schema files in
// docs/schema, for tests that check what the daemon really publishes.
package schemacheck

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Dir returns the repository's docs/schema directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "schema")
}

// Checker compiles each schema file once.
type Checker struct {
	mu      sync.Mutex
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
}

// New returns a checker that asserts formats (date-time and so on).
func New() *Checker {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	return &Checker{c: c, schemas: map[string]*jsonschema.Schema{}}
}

// Validate checks data against docs/schema/<name> (e.g. "frame.json" or
// "ctl-request.json#/$defs/add").
func (k *Checker) Validate(name string, data []byte) error {
	k.mu.Lock()
	sch, ok := k.schemas[name]
	if !ok {
		var err error
		sch, err = k.c.Compile(filepath.Join(Dir(), name))
		if err != nil {
			k.mu.Unlock()
			return fmt.Errorf("schema %s: %w", name, err)
		}
		k.schemas[name] = sch
	}
	k.mu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s: %s does not validate: %w", name, data, err)
	}
	return nil
}
