package http1

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/herald-gateway/herald/upstream"
)

// params are a request's parameters: the query string and an
// application/x-www-form-urlencoded body merged, as Nacos reads them
// (NACOS_PROTOCOL.md B: Node sends everything in the query, Go POSTs a
// form). A name present in both takes the query's value.
type params map[string]string

// parseParams merges the raw query string and, when contentType is a
// form, the body. Malformed encodings are a *paramError.
func parseParams(query []byte, contentType string, body []byte) (params, error) {
	p := params{}
	if err := p.merge("query string", string(query)); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/x-www-form-urlencoded") {
		if err := p.merge("form body", string(bytes.TrimSpace(body))); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// merge adds the pairs of one encoded string, keeping existing names.
func (p params) merge(where, raw string) error {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return badRequest("", "malformed %s: %v", where, err)
	}
	for k, v := range vals {
		if _, seen := p[k]; !seen && len(v) > 0 {
			p[k] = v[0]
		}
	}
	return nil
}

// get returns the trimmed value of name ("" when absent).
func (p params) get(name string) string { return strings.TrimSpace(p[name]) }

// first returns the first non-blank of names, or "".
func (p params) first(names ...string) string {
	for _, n := range names {
		if v := p.get(n); v != "" {
			return v
		}
	}
	return ""
}

// required returns the value of name or a 400 naming it.
func (p params) required(name string) (string, error) {
	v := p.get(name)
	if v == "" {
		return "", badRequest(name, "Param '%s' is required.", name)
	}
	return v, nil
}

// integer parses name as an integer in lo..hi; def when absent.
func (p params) integer(name string, def, lo, hi int64) (int64, error) {
	v := p.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer in %d..%d, got %q", name, lo, hi, v)
	}
	return n, nil
}

// boolean parses name as true/false; def when absent.
func (p params) boolean(name string, def bool) (bool, error) {
	v := p.get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(name, "%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// float parses name as a finite number; def when absent.
func (p params) float(name string, def float64) (float64, error) {
	v := p.get(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, badRequest(name, "%s must be a number, got %q", name, v)
	}
	return f, nil
}

// namespace is namespaceId, defaulting to public.
func (p params) namespace() string {
	if ns := p.get("namespaceId"); ns != "" {
		return ns
	}
	return upstream.PublicNamespace
}

// serviceKey reads namespaceId and serviceName (grouped "G@@svc", or bare
// with groupName) into a normalised, validated key.
func (p params) serviceKey() (upstream.ServiceKey, error) {
	name, err := p.required("serviceName")
	if err != nil {
		return upstream.ServiceKey{}, err
	}
	group := p.get("groupName")
	if g, bare, ok := strings.Cut(name, "@@"); ok {
		group, name = g, bare
	}
	k := upstream.ServiceKey{Namespace: p.namespace(), Group: group, Name: name}.Normalize()
	if err := upstream.ValidateKey(k); err != nil {
		return k, fromRegistry(err)
	}
	return k, nil
}

// metadata parses a JSON object string, or the "k=v,k2=v2" form Nacos
// also accepts.
func parseMetadata(raw string) (map[string]string, error) {
	md := map[string]string{}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return md, nil
	}
	if strings.HasPrefix(raw, "{") {
		if err := json.Unmarshal([]byte(raw), &md); err != nil {
			return nil, badRequest("metadata", "metadata must be a JSON object of strings: %v", err)
		}
		return md, nil
	}
	for _, pair := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, badRequest("metadata", "metadata must be JSON or k=v,k2=v2, got %q", raw)
		}
		md[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return md, nil
}
