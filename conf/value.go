package conf

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	stringsType  = reflect.TypeFor[[]string]()
	stringType   = reflect.TypeFor[string]()
)

// supported reports whether a leaf of type t can be set from text.
func supported(t reflect.Type) bool {
	switch {
	case t == durationType, t == stringsType:
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

// parseValue parses s as a value of type t. Durations use time.ParseDuration
// ("20s", "500ms"), integers are base 10, floats use strconv.ParseFloat,
// bools use strconv.ParseBool and
// []string splits on commas, trimming spaces and dropping empty items.
func parseValue(t reflect.Type, s string) (reflect.Value, error) {
	out := reflect.New(t).Elem()
	switch {
	case t == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return out, fmt.Errorf("invalid duration %q (want e.g. 20s or 500ms)", s)
		}
		out.SetInt(int64(d))
		return out, nil
	case t == stringsType:
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		out.Set(reflect.ValueOf(items))
		return out, nil
	}
	switch t.Kind() {
	case reflect.String:
		out.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return out, fmt.Errorf("invalid boolean %q (want true or false)", s)
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return out, fmt.Errorf("invalid integer %q", s)
		}
		out.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return out, fmt.Errorf("invalid number %q", s)
		}
		out.SetFloat(f)
	default:
		return out, fmt.Errorf("unsupported type %s", t)
	}
	return out, nil
}

// typeName names type t for help text: string, int, bool, duration or list.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == stringsType:
		return "list"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "int"
	}
	return t.Kind().String()
}

// formatValue renders v in the syntax parseValue accepts.
func formatValue(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Type() == stringsType:
		return strings.Join(v.Interface().([]string), ",")
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

// set parses s and stores it in the field.
func (f field) set(s string) error {
	pv, err := parseValue(f.v.Type(), s)
	if err != nil {
		return err
	}
	f.v.Set(pv)
	return nil
}

// flagValue is the flag.Value for one field. Set only checks the syntax and
// records the text, so that Load can apply flags after the file and the
// environment, whatever order they were given in. The zero flagValue (which
// the flag package makes to find zero defaults) is safe to use.
type flagValue struct {
	f      *field
	staged *[]stagedFlag
}

// stagedFlag is a flag value waiting to be applied.
type stagedFlag struct {
	f   *field
	raw string
}

// String returns the field's current value (its default when the flag set is
// built from Default()).
func (fv flagValue) String() string {
	if fv.f == nil {
		return ""
	}
	return formatValue(fv.f.v)
}

// Set checks that s parses as the field's type and stages it.
func (fv flagValue) Set(s string) error {
	if fv.f == nil {
		return fmt.Errorf("conf: flag is not bound to a field")
	}
	if _, err := parseValue(fv.f.v.Type(), s); err != nil {
		return fmt.Errorf("field %s: %w", fv.f.path, err)
	}
	*fv.staged = append(*fv.staged, stagedFlag{f: fv.f, raw: s})
	return nil
}

// IsBoolFlag lets a bool field be given as a bare -name.
func (fv flagValue) IsBoolFlag() bool {
	return fv.f != nil && fv.f.v.Kind() == reflect.Bool
}
