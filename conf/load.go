package conf

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigEnv names the environment variable holding the YAML file path when
// the -config flag is not given.
const ConfigEnv = envPrefix + "CONFIG"

// configFlag names the flag holding the YAML file path.
const configFlag = "config"

// LoadFile returns Default() overlaid with the YAML file at path. Keys absent
// from the file keep their defaults; unknown keys, values of the wrong type
// and a file holding more than one YAML document are errors. An empty file
// yields Default(). The result is not validated. Errors name the path (and,
// from the YAML decoder, the line and offending key).
func LoadFile(path string) (Config, error) {
	c := Default()
	if err := decodeFile(path, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeFile overlays the YAML file at path onto *c.
func decodeFile(path string, c *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("conf: read config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("conf: config file %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("conf: config file %s: holds more than one YAML document", path)
	}
	return nil
}

// Load is the daemon's entry point. args are the command-line arguments
// without the program name; env holds "KEY=VALUE" strings as from
// os.Environ().
//
// It starts from Default(), overlays the YAML file named by -config (or, if
// that flag is absent, by HERALD_CONFIG) if any, then the HERALD_*
// environment variables, then the remaining flags, and finally runs
// Validate. An environment variable that is present counts even when
// empty. A value that does not parse is an error naming the variable or
// flag and the field; positional arguments are rejected.
//
// For -h or -help Load returns flag.ErrHelp itself; the caller should print
// Usage and exit 0. On any error the returned Config is the zero value.
func Load(args []string, env []string) (Config, error) {
	c := Default()
	fields, err := fieldsOf(&c)
	if err != nil {
		return Config{}, err
	}
	fs, configPath, staged := newFlagSet(fields, io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, flag.ErrHelp
		}
		return Config{}, fmt.Errorf("conf: command line: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("conf: command line: unexpected argument %q (flags only)", fs.Arg(0))
	}

	vars := envMap(env)
	path := *configPath
	if !flagGiven(fs, configFlag) {
		path = vars[ConfigEnv]
	}
	if path != "" {
		if err := decodeFile(path, &c); err != nil {
			return Config{}, err
		}
	}

	var errs []error
	for _, f := range fields {
		raw, ok := vars[f.env]
		if !ok {
			continue
		}
		if err := f.set(raw); err != nil {
			errs = append(errs, fmt.Errorf("conf: environment variable %s (field %s): %w", f.env, f.path, err))
		}
	}
	for _, s := range *staged {
		// Set already checked the syntax, so this cannot fail in practice.
		if err := s.f.set(s.raw); err != nil {
			errs = append(errs, fmt.Errorf("conf: flag -%s (field %s): %w", s.f.path, s.f.path, err))
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("conf: invalid configuration: %w", err)
	}
	return c, nil
}

// Usage writes the command-line help to w: every flag with its meaning,
// environment variable and default.
func Usage(w io.Writer) {
	c := Default()
	fields, err := fieldsOf(&c)
	if err != nil {
		fmt.Fprintf(w, "herald: %v\n", err)
		return
	}
	fs, _, _ := newFlagSet(fields, w)
	fmt.Fprintf(w, "Usage: herald [flags]\n\n"+
		"Settings come from defaults, then the YAML file (-config or %s),\n"+
		"then HERALD_* environment variables, then flags. Flags:\n", ConfigEnv)
	fs.PrintDefaults()
}

// newFlagSet builds the private flag set: -config plus one flag per field,
// named by its YAML path. Field flags are staged, not applied; the returned
// slice collects them in command-line order.
func newFlagSet(fields []field, out io.Writer) (*flag.FlagSet, *string, *[]stagedFlag) {
	fs := flag.NewFlagSet("herald", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {} // Load reports errors itself; help is printed by Usage.
	staged := new([]stagedFlag)
	configPath := fs.String(configFlag, "", "YAML config file (env "+ConfigEnv+")")
	for i := range fields {
		f := &fields[i]
		usage := f.help
		if usage != "" {
			usage += " "
		}
		if f.v.Kind() == reflect.Bool {
			usage += "(env " + f.env + ")"
		} else {
			// flag.UnquoteUsage shows the back-quoted word as the value name.
			usage += "(`" + typeName(f.v.Type()) + "`, env " + f.env + ")"
		}
		fs.Var(flagValue{f: f, staged: staged}, f.path, usage)
	}
	return fs, configPath, staged
}

// flagGiven reports whether the named flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// envMap turns "KEY=VALUE" strings into a map; a later duplicate wins and
// entries without "=" are ignored.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
