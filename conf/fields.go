package conf

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// envPrefix starts every environment variable Herald reads.
const envPrefix = "HERALD_"

// field is one settable leaf of a configuration struct.
type field struct {
	path string        // YAML path, e.g. "session.idleTimeout"; also the flag name
	env  string        // environment variable, e.g. "HERALD_SESSION_IDLE_TIMEOUT"
	help string        // one-line description from the help tag
	v    reflect.Value // the addressable field itself
}

// fieldsOf lists the leaves of the struct that ptr points to, in declaration
// order. Nested structs (other than time.Duration) are walked, not listed.
// It fails if a field lacks a yaml tag, has an unsupported kind, or if two
// fields map to the same path or environment variable.
func fieldsOf(ptr any) ([]field, error) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("conf: fieldsOf needs a non-nil pointer to a struct, got %T", ptr)
	}
	var out []field
	if err := walk(v.Elem(), "", &out); err != nil {
		return nil, err
	}
	seen := make(map[string]string, 2*len(out))
	for _, f := range out {
		for _, name := range []string{f.path, f.env} {
			if prev, dup := seen[name]; dup {
				return nil, fmt.Errorf("conf: fields %s and %s both map to %s", prev, f.path, name)
			}
			seen[name] = f.path
		}
	}
	return out, nil
}

// walk appends the leaves of struct value v, whose YAML path is prefix, to out.
func walk(v reflect.Value, prefix string, out *[]field) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, inline, ok := yamlName(sf)
		if !ok {
			continue // yaml:"-"
		}
		fv := v.Field(i)
		if inline {
			if fv.Kind() != reflect.Struct {
				return fmt.Errorf("conf: field %s.%s: inline is only supported on structs", t.Name(), sf.Name)
			}
			if err := walk(fv, prefix, out); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			return fmt.Errorf("conf: field %s.%s has no yaml tag", t.Name(), sf.Name)
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			if err := walk(fv, path, out); err != nil {
				return err
			}
			continue
		}
		if !supported(fv.Type()) {
			return fmt.Errorf("conf: field %s: unsupported type %s", path, fv.Type())
		}
		*out = append(*out, field{path: path, env: envName(path), help: sf.Tag.Get("help"), v: fv})
	}
	return nil
}

// yamlName returns the key from sf's yaml tag, whether the tag says
// ",inline", and false if the field is excluded with yaml:"-".
func yamlName(sf reflect.StructField) (name string, inline, ok bool) {
	tag := sf.Tag.Get("yaml")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	for _, o := range strings.Split(opts, ",") {
		if o == "inline" {
			inline = true
		}
	}
	return name, inline, true
}

// envName maps a YAML path to its environment variable: "HERALD_" plus the
// path upper-cased, "." replaced by "_" and camelCase split into words, so
// "grpc.maxMessageBytes" becomes "HERALD_GRPC_MAX_MESSAGE_BYTES".
func envName(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		segs[i] = strings.Join(splitWords(s), "_")
	}
	return envPrefix + strings.ToUpper(strings.Join(segs, "_"))
}

// splitWords splits a camelCase identifier into words. A word starts at an
// upper-case letter that follows a lower-case letter or digit, or that ends
// a run of capitals and begins a lower-case word: "maxMessageBytes" gives
// max, Message, Bytes and "HTTPAddr" gives HTTP, Addr.
func splitWords(s string) []string {
	r := []rune(s)
	var words []string
	start := 0
	for i := 1; i < len(r); i++ {
		if !unicode.IsUpper(r[i]) {
			continue
		}
		prev := r[i-1]
		nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
		if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
			words = append(words, string(r[start:i]))
			start = i
		}
	}
	return append(words, string(r[start:]))
}
