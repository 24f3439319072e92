package conf

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const exampleFile = "herald.example.yaml"

// TestExampleFile keeps herald.example.yaml in step with Default: it must
// load, validate and equal Default().
func TestExampleFile(t *testing.T) {
	c, err := LoadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("example does not validate: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example differs from Default():\n got %+v\nwant %+v", c, Default())
	}
}

// TestExampleFileListsEveryField checks that every field appears in the
// example, either as a key or (for host-dependent defaults) as a commented
// key, so a new field cannot be forgotten.
func TestExampleFileListsEveryField(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	c := Default()
	fields, err := fieldsOf(&c)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if hasPath(tree, strings.Split(f.path, ".")) {
			continue
		}
		key := f.path[strings.LastIndex(f.path, ".")+1:]
		if regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(key) + `:`).Match(data) {
			continue
		}
		t.Errorf("%s does not list field %s", exampleFile, f.path)
	}
	if !strings.Contains(string(data), "HERALD_") || !strings.Contains(string(data), "-session.idleTimeout") {
		t.Errorf("%s lacks the comment on environment variables and flags", exampleFile)
	}
}

// hasPath reports whether the nested map tree holds the key path.
func hasPath(tree map[string]any, path []string) bool {
	v, ok := tree[path[0]]
	if !ok {
		return false
	}
	if len(path) == 1 {
		return true
	}
	sub, ok := v.(map[string]any)
	return ok && hasPath(sub, path[1:])
}
