package upstream

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func sampleService() Service {
	mk := func(ip, cluster string, healthy, enabled bool) Instance {
		return Instance{IP: ip, Port: 80, Weight: 1, Healthy: healthy, Enabled: enabled, ClusterName: cluster, ServiceName: "stale"}
	}
	return Service{
		Key:      ServiceKey{Namespace: "public", Group: "G", Name: "svc"},
		Revision: 42,
		Instances: []Instance{
			mk("a1", "A", true, true),
			mk("a2", "A", false, true),
			mk("b1", "B", true, true),
			mk("b2", "B", true, false),
			mk("c1", "C", true, true),
		},
	}
}

func TestInfoFiltering(t *testing.T) {
	tests := []struct {
		name        string
		clusters    string
		healthyOnly bool
		want        []string
	}{
		{"all", "", false, []string{"a1", "a2", "b1", "c1"}},
		{"one cluster", "A", false, []string{"a1", "a2"}},
		{"two clusters", "A,C", false, []string{"a1", "a2", "c1"}},
		{"spaces and blanks", " B , ,C", false, []string{"b1", "c1"}},
		{"unknown cluster", "X", false, []string{}},
		{"healthy only", "", true, []string{"a1", "b1", "c1"}},
		{"healthy only in A", "A", true, []string{"a1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := sampleService().Info(tt.clusters, tt.healthyOnly, false)
			got := []string{}
			for _, h := range info.Hosts {
				got = append(got, h.IP)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("hosts %v, want %v", got, tt.want)
			}
			if info.Clusters != tt.clusters {
				t.Fatalf("clusters %q, want verbatim %q", info.Clusters, tt.clusters)
			}
		})
	}
}

func TestInfoShape(t *testing.T) {
	tests := []struct {
		name    string
		grouped bool
		want    string
	}{
		{"grpc bare name", false, "svc"},
		{"http grouped name", true, "G@@svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sampleService()
			info := s.Info("", false, tt.grouped)
			if info.Name != tt.want || info.GroupName != "G" {
				t.Fatalf("name %q group %q, want %q G", info.Name, info.GroupName, tt.want)
			}
			if info.CacheMillis != CacheMillis || info.LastRefTime != 42 || !info.Valid || info.Checksum != "" {
				t.Fatalf("unexpected fields: %+v", info)
			}
			for _, h := range info.Hosts {
				if h.ServiceName != "G@@svc" {
					t.Fatalf("host serviceName %q, want G@@svc", h.ServiceName)
				}
			}
			if s.Instances[0].ServiceName != "stale" {
				t.Fatal("Info modified the snapshot")
			}
		})
	}
}

func TestInfoEmptyHostsIsJSONArray(t *testing.T) {
	for _, s := range []Service{{Key: svcKey("x")}, sampleService()} {
		b, err := json.Marshal(s.Info("NOPE", true, false))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"hosts":[]`) {
			t.Fatalf("want hosts [], got %s", b)
		}
		if !strings.Contains(string(b), `"groupName":"DEFAULT_GROUP"`) && s.Key.Group == "" {
			t.Fatalf("blank group not defaulted: %s", b)
		}
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		clusters []string
		want     []string
	}{
		{nil, []string{"a1", "a2", "b1", "b2", "c1"}},
		{[]string{"B"}, []string{"b1", "b2"}},
		{[]string{"X"}, []string{}},
	}
	for _, tt := range tests {
		got := []string{}
		for _, in := range sampleService().Filter(tt.clusters) {
			got = append(got, in.IP)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Filter(%v) = %v, want %v", tt.clusters, got, tt.want)
		}
	}
	if (Service{}).Filter(nil) == nil {
		t.Error("Filter returned nil for an empty service")
	}
}
