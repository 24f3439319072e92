package upstream

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		name  string
		key   ServiceKey
		field string // "" = valid
	}{
		{"defaults", ServiceKey{Name: "svc"}, ""},
		{"full", ServiceKey{Namespace: "dev-1_a", Group: "G-1_:x.y", Name: "com.acme:svc-1@x"}, ""},
		{"uuid namespace", ServiceKey{Namespace: "3f2b6c1e-8d7a-4f7e-9c1b-0a2b3c4d5e6f", Name: "s"}, ""},
		{"service max", ServiceKey{Name: strings.Repeat("s", 512)}, ""},
		{"group max", ServiceKey{Group: strings.Repeat("g", 128), Name: "s"}, ""},
		{"namespace max", ServiceKey{Namespace: strings.Repeat("n", 64), Name: "s"}, ""},
		{"blank service", ServiceKey{}, "serviceName"},
		{"space service", ServiceKey{Name: "  "}, "serviceName"},
		{"service leading @", ServiceKey{Name: "@svc"}, "serviceName"},
		{"service @@", ServiceKey{Name: "a@@b"}, "serviceName"},
		{"service trailing @@", ServiceKey{Name: "ab@@"}, "serviceName"},
		{"service CJK", ServiceKey{Name: "服务"}, "serviceName"},
		{"service CJK inside", ServiceKey{Name: "a中b"}, "serviceName"},
		{"service space", ServiceKey{Name: "a b"}, "serviceName"},
		{"service too long", ServiceKey{Name: strings.Repeat("s", 513)}, "serviceName"},
		{"service surrogate pairs count twice", ServiceKey{Name: strings.Repeat("😀", 257)}, "serviceName"},
		{"service bad utf8", ServiceKey{Name: "a\xffb"}, "serviceName"},
		{"group too long", ServiceKey{Group: strings.Repeat("g", 129), Name: "s"}, "groupName"},
		{"group @@", ServiceKey{Group: "a@@b", Name: "s"}, "groupName"},
		{"group space", ServiceKey{Group: " ", Name: "s"}, "groupName"},
		{"group slash", ServiceKey{Group: "a/b", Name: "s"}, "groupName"},
		{"namespace too long", ServiceKey{Namespace: strings.Repeat("n", 65), Name: "s"}, "namespace"},
		{"namespace dot", ServiceKey{Namespace: "a.b", Name: "s"}, "namespace"},
		{"namespace unicode word", ServiceKey{Namespace: "é", Name: "s"}, "namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFieldError(t, ValidateKey(tt.key), tt.field)
		})
	}
}

func TestValidateInstance(t *testing.T) {
	ok := inst("10.0.0.1", 8080)
	with := func(f func(*Instance)) Instance { in := ok; f(&in); return in }
	bigMD := map[string]string{"k": strings.Repeat("v", MaxMetadataBytes-1)}
	tooBigMD := map[string]string{"k": strings.Repeat("v", MaxMetadataBytes)}
	tests := []struct {
		name  string
		in    Instance
		field string
	}{
		{"ok", ok, ""},
		{"go sdk zero values", Instance{IP: "10.0.0.1", Port: 1}, ""},
		{"hostname", with(func(i *Instance) { i.IP = "svc.example.com" }), ""},
		{"ipv6", with(func(i *Instance) { i.IP = "fe80::1" }), ""},
		{"cluster blank", with(func(i *Instance) { i.ClusterName = "" }), ""},
		{"cluster ok", with(func(i *Instance) { i.ClusterName = "az-1_b" }), ""},
		{"weight max", with(func(i *Instance) { i.Weight = 10000 }), ""},
		{"port max", with(func(i *Instance) { i.Port = 65535 }), ""},
		{"metadata at limit", with(func(i *Instance) { i.Metadata = bigMD }), ""},
		{"ip blank", with(func(i *Instance) { i.IP = "" }), "ip"},
		{"ip space", with(func(i *Instance) { i.IP = "10.0.0.1 " }), "ip"},
		{"ip CJK", with(func(i *Instance) { i.IP = "主机" }), "ip"},
		{"ip too long", with(func(i *Instance) { i.IP = strings.Repeat("1", 129) }), "ip"},
		{"port 0", with(func(i *Instance) { i.Port = 0 }), "port"},
		{"port too big", with(func(i *Instance) { i.Port = 65536 }), "port"},
		{"weight negative", with(func(i *Instance) { i.Weight = -1 }), "weight"},
		{"weight too big", with(func(i *Instance) { i.Weight = 10000.5 }), "weight"},
		{"weight NaN", with(func(i *Instance) { i.Weight = math.NaN() }), "weight"},
		{"weight Inf", with(func(i *Instance) { i.Weight = math.Inf(1) }), "weight"},
		{"cluster dot", with(func(i *Instance) { i.ClusterName = "a.b" }), "clusterName"},
		{"cluster too long", with(func(i *Instance) { i.ClusterName = strings.Repeat("c", 65) }), "clusterName"},
		{"metadata too big", with(func(i *Instance) { i.Metadata = tooBigMD }), "metadata"},
		{"metadata bad utf8", with(func(i *Instance) { i.Metadata = map[string]string{"k": "\xff"} }), "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFieldError(t, ValidateInstance(tt.in), tt.field)
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	err := ValidateKey(ServiceKey{})
	if got, want := err.Error(), "serviceName: must not be blank"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

// checkFieldError asserts err is nil when field is "", else a *FieldError
// for field that wraps ErrInvalid.
func checkFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v: want a FieldError wrapping ErrInvalid", err)
	}
	if fe.Field != field {
		t.Fatalf("error %v names field %q, want %q", err, fe.Field, field)
	}
}

func TestValidateCluster(t *testing.T) {
	tests := []struct {
		name, cluster, field string
	}{
		{"ok", "AZ-1_b", ""},
		{"blank", "", "clusterName"},
		{"dot", "a.b", "clusterName"},
		{"too long", strings.Repeat("c", 65), "clusterName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFieldError(t, ValidateCluster(tt.cluster), tt.field)
		})
	}
}
