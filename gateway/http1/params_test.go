package http1

import (
	"strings"
	"testing"
)

func TestParamsMergeQueryAndForm(t *testing.T) {
	p, err := parseParams([]byte("serviceName=G%40%40svc&ip=1.1.1.1"), "application/x-www-form-urlencoded; charset=utf-8",
		[]byte("ip=2.2.2.2&port=80"))
	if err != nil {
		t.Fatal(err)
	}
	if p["serviceName"] != "G@@svc" || p["ip"] != "1.1.1.1" || p["port"] != "80" {
		t.Errorf("params = %v, want the query first and the form merged", p)
	}
	p, _ = parseParams(nil, "application/json", []byte("port=80"))
	if _, ok := p["port"]; ok {
		t.Errorf("a JSON body was read as a form: %v", p)
	}
	if _, err := parseParams([]byte("a=%zz"), "", nil); err == nil {
		t.Error("a malformed query string was accepted")
	}
}

func TestInstanceFromParamsDefaults(t *testing.T) {
	p := params{"serviceName": "svc", "ip": "1.1.1.1", "port": "80"}
	key, in, err := instanceFromParams(p)
	if err != nil {
		t.Fatal(err)
	}
	if key.Namespace != "public" || key.Group != "DEFAULT_GROUP" || key.Name != "svc" {
		t.Errorf("key = %+v", key)
	}
	if in.Weight != 1 || !in.Enabled || !in.Healthy || !in.Ephemeral || in.ClusterName != "DEFAULT" {
		t.Errorf("instance = %+v, want weight 1, enabled, healthy, ephemeral, DEFAULT", in)
	}
	p = params{"serviceName": "G@@svc", "groupName": "ignored", "ip": "1.1.1.1", "port": "80",
		"enabled": "false", "enable": "true", "cluster": "c2", "metadata": `{"a":"b"}`, "ephemeral": "false"}
	key, in, err = instanceFromParams(p)
	if err != nil {
		t.Fatal(err)
	}
	if key.Group != "G" || in.Enabled || in.ClusterName != "c2" || in.Metadata["a"] != "b" || in.Ephemeral {
		t.Errorf("key %+v instance %+v", key, in)
	}
}

func TestInstanceFromParamsErrors(t *testing.T) {
	base := func(kv ...string) params {
		p := params{"serviceName": "svc", "ip": "1.1.1.1", "port": "80"}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	cases := []struct {
		p     params
		param string
	}{
		{base("serviceName", ""), "serviceName"},
		{base("ip", ""), "ip"},
		{base("port", "0"), "port"},
		{base("port", "x"), "port"},
		{base("weight", "x"), "weight"},
		{base("weight", "-1"), "weight"},
		{base("healthy", "x"), "healthy"},
		{base("enable", "x"), "enable"},
		{base("metadata", "{"), "metadata"},
		{base("metadata", "novalue"), "metadata"},
		{base("namespaceId", "bad ns"), "namespace"},
		{base("serviceName", "@@"), "serviceName"},
	}
	for _, c := range cases {
		_, _, err := instanceFromParams(c.p)
		status, body := statusOf(err)
		if err == nil || status != 400 || !strings.Contains(body, c.param) {
			t.Errorf("%v: %d %q, want 400 naming %s", c.p, status, body, c.param)
		}
	}
}

func TestParseMetadataForms(t *testing.T) {
	md, err := parseMetadata("a=1, b = 2")
	if err != nil || md["a"] != "1" || md["b"] != "2" {
		t.Errorf("k=v form: %v %v", md, err)
	}
	md, err = parseMetadata("")
	if err != nil || md == nil || len(md) != 0 {
		t.Errorf("empty: %v %v", md, err)
	}
}
