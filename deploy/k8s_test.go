package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

type k8sObject struct {
	file       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type workloadSpec struct {
	Replicas    int           `yaml:"replicas"`
	ServiceName string        `yaml:"serviceName"`
	Selector    labelSelector `yaml:"selector"`
	Strategy    struct {
		RollingUpdate struct {
			MaxUnavailable any `yaml:"maxUnavailable"`
		} `yaml:"rollingUpdate"`
	} `yaml:"strategy"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
	VolumeClaimTemplates []struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	} `yaml:"volumeClaimTemplates"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container `yaml:"containers"`
	Volumes                       []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Lifecycle      struct {
		PreStop *struct {
			Exec *struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type serviceSpec struct {
	ClusterIP string            `yaml:"clusterIP"`
	Selector  map[string]string `yaml:"selector"`
	Ports     []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort any    `yaml:"targetPort"`
	} `yaml:"ports"`
}

// loadK8s decodes every document of every file in k8s/.
func loadK8s(t *testing.T) []k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/: %v", err)
	}
	var objs []k8sObject
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			o.file = fmt.Sprintf("%s#%d", f, i)
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: apiVersion, kind and metadata.name are required", o.file)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

func decodeSpec[T any](t *testing.T, o k8sObject) T {
	t.Helper()
	var spec T
	if err := o.Spec.Decode(&spec); err != nil {
		t.Fatalf("%s spec: %v", o.file, err)
	}
	return spec
}

func byKind(objs []k8sObject, kind string) []k8sObject {
	var out []k8sObject
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// selects reports whether selector picks pods labelled labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestK8sKinds(t *testing.T) {
	objs := loadK8s(t)
	for _, kind := range []string{"ConfigMap", "Deployment", "StatefulSet", "Service", "PodDisruptionBudget"} {
		if len(byKind(objs, kind)) == 0 {
			t.Errorf("no %s in k8s/", kind)
		}
	}
}

// Each workload runs the image built here with a herald.yaml from the
// ConfigMap that the daemon's strict loader accepts under the pod's
// environment; it names its ports after what Herald listens on, probes
// /readyz and /livez on the admin port and reads the admin token from a
// mounted Secret. The edges drain in preStop within their grace period;
// the core keeps its data on a claimed volume.
func TestK8sWorkloads(t *testing.T) {
	objs := loadK8s(t)
	configMaps := map[string]map[string]string{}
	for _, o := range byKind(objs, "ConfigMap") {
		configMaps[o.Metadata.Name] = o.Data
	}
	for _, o := range append(byKind(objs, "Deployment"), byKind(objs, "StatefulSet")...) {
		spec := decodeSpec[workloadSpec](t, o)
		if !selects(spec.Selector.MatchLabels, spec.Template.Metadata.Labels) {
			t.Errorf("%s: selector %v does not select its pods %v", o.file, spec.Selector.MatchLabels, spec.Template.Metadata.Labels)
		}
		if len(spec.Template.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want Herald alone", o.file, len(spec.Template.Spec.Containers))
		}
		c := spec.Template.Spec.Containers[0]
		dataDir := checkContainer(t, o.file, spec.Template.Spec, c, configMaps)
		switch o.Kind {
		case "Deployment":
			checkEdge(t, o.file, spec, c)
		case "StatefulSet":
			if len(spec.VolumeClaimTemplates) == 0 || !slices.Contains(c.VolumeMounts,
				volumeMount{Name: spec.VolumeClaimTemplates[0].Metadata.Name, MountPath: dataDir}) {
				t.Errorf("%s: no claimed volume mounted at upstream.embedded.dataDir %s", o.file, dataDir)
			}
		}
	}
}

// checkContainer checks one Herald container and returns the data
// directory of its loaded configuration.
func checkContainer(t *testing.T, file string, pod podSpec, c container, configMaps map[string]map[string]string) string {
	t.Helper()
	if !isHeraldImage(t, c.Image) {
		t.Errorf("%s: image %q is not %s, the image built here", file, c.Image, heraldImage(t))
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			env[e.Name] = "pod-0"
		}
	}
	mounts := map[string]string{} // mount path -> volume name
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	volume := func(mountDir string) (configMap, secret string) {
		for _, v := range pod.Volumes {
			if v.Name == mounts[mountDir] {
				if v.ConfigMap != nil {
					configMap = v.ConfigMap.Name
				}
				if v.Secret != nil {
					secret = v.Secret.SecretName
				}
			}
		}
		return configMap, secret
	}
	cm, _ := volume(path.Dir(env["HERALD_CONFIG"]))
	content, ok := configMaps[cm][path.Base(env["HERALD_CONFIG"])]
	if !ok {
		t.Fatalf("%s: HERALD_CONFIG %q is no key of a mounted ConfigMap", file, env["HERALD_CONFIG"])
	}
	local := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(local, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, file, local, env)
	if _, secret := volume(path.Dir(env["HERALD_ADMIN_TOKEN_FILE"])); secret == "" {
		t.Errorf("%s: HERALD_ADMIN_TOKEN_FILE %q is not in a mounted Secret", file, env["HERALD_ADMIN_TOKEN_FILE"])
	}
	want := ports(t, cfg)
	got := map[string]int{}
	for _, p := range c.Ports {
		got[p.Name] = p.ContainerPort
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s: container ports %v, Herald listens on %v", file, got, want)
	}
	checkProbe(t, file, "readinessProbe", c.ReadinessProbe, "/readyz", want["admin"])
	checkProbe(t, file, "livenessProbe", c.LivenessProbe, "/livez", want["admin"])
	return cfg.Upstream.Embedded.DataDir
}

func checkProbe(t *testing.T, file, name string, p *probe, path string, adminPort int) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || (p.HTTPGet.Port != "admin" && p.HTTPGet.Port != adminPort) {
		t.Errorf("%s: %s is not GET %s on the admin port (%d): %+v", file, name, path, adminPort, p)
	}
}

// checkEdge: rolled one pod at a time, drained in preStop by the image's
// binary, given time for the drain.
func checkEdge(t *testing.T, file string, spec workloadSpec, c container) {
	t.Helper()
	if spec.Strategy.RollingUpdate.MaxUnavailable != 0 {
		t.Errorf("%s: rollingUpdate.maxUnavailable %v, want 0 (a pod stops only when its successor is ready)", file, spec.Strategy.RollingUpdate.MaxUnavailable)
	}
	if ps := c.Lifecycle.PreStop; ps == nil || ps.Exec == nil || !slices.Equal(ps.Exec.Command, []string{"/herald", "drain"}) {
		t.Errorf("%s: preStop is not exec [/herald drain]", file)
	}
	if g := spec.Template.Spec.TerminationGracePeriodSeconds; g < 60 {
		t.Errorf("%s: terminationGracePeriodSeconds %d, less than the drain needs (fleet.drainWindow + registration grace)", file, g)
	}
}

// Services select a workload and target ports its container names; the
// PodDisruptionBudget covers the edges; the edges' upstream is the core's
// stable StatefulSet name on its gRPC port.
func TestK8sServicesAndBudget(t *testing.T) {
	objs := loadK8s(t)
	type pods struct {
		labels map[string]string
		ports  map[string]int
	}
	workloads := map[string]pods{}
	for _, o := range append(byKind(objs, "Deployment"), byKind(objs, "StatefulSet")...) {
		spec := decodeSpec[workloadSpec](t, o)
		p := pods{labels: spec.Template.Metadata.Labels, ports: map[string]int{}}
		for _, cp := range spec.Template.Spec.Containers[0].Ports {
			p.ports[cp.Name] = cp.ContainerPort
		}
		workloads[o.Kind+"/"+o.Metadata.Name] = p
	}
	headless := map[string]bool{}
	for _, o := range byKind(objs, "Service") {
		spec := decodeSpec[serviceSpec](t, o)
		var target *pods
		for _, w := range workloads {
			if selects(spec.Selector, w.labels) {
				target = &w
			}
		}
		if target == nil {
			t.Errorf("%s: selector %v selects no workload", o.file, spec.Selector)
			continue
		}
		for _, p := range spec.Ports {
			name, _ := p.TargetPort.(string)
			if _, ok := target.ports[name]; !ok {
				t.Errorf("%s: targetPort %v is no named port of its pods %v", o.file, p.TargetPort, target.ports)
			}
			if target.ports[name] != p.Port {
				t.Errorf("%s: port %d in front of %s %d; clients expect the same numbers", o.file, p.Port, name, target.ports[name])
			}
		}
		if spec.ClusterIP == "None" {
			headless[o.Metadata.Name] = true
		}
	}
	for _, o := range byKind(objs, "PodDisruptionBudget") {
		spec := decodeSpec[struct {
			MaxUnavailable int           `yaml:"maxUnavailable"`
			Selector       labelSelector `yaml:"selector"`
		}](t, o)
		edge, ok := workloads["Deployment/herald-edge"]
		if !ok || !selects(spec.Selector.MatchLabels, edge.labels) || spec.MaxUnavailable != 1 {
			t.Errorf("%s: does not keep all but one edge up", o.file)
		}
	}
	for _, o := range byKind(objs, "StatefulSet") {
		spec := decodeSpec[workloadSpec](t, o)
		if !headless[spec.ServiceName] {
			t.Errorf("%s: serviceName %q is no headless Service", o.file, spec.ServiceName)
		}
		checkUpstreamIs(t, objs, o.Metadata.Name+"-0."+spec.ServiceName, workloads["StatefulSet/"+o.Metadata.Name].ports["grpc"])
	}
}

// checkUpstreamIs: the edge configuration's upstream servers are host on
// port.
func checkUpstreamIs(t *testing.T, objs []k8sObject, host string, port int) {
	t.Helper()
	for _, o := range byKind(objs, "ConfigMap") {
		edge, ok := o.Data["edge.yaml"]
		if !ok {
			continue
		}
		var cfg struct {
			Upstream struct {
				Servers []string `yaml:"servers"`
			} `yaml:"upstream"`
			Tracker struct {
				Cluster bool `yaml:"cluster"`
			} `yaml:"tracker"`
		}
		if err := yaml.Unmarshal([]byte(edge), &cfg); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s:%d", host, port)
		if !slices.Equal(cfg.Upstream.Servers, []string{want}) {
			t.Errorf("%s: edge upstream.servers %v, want [%s] (the core's stable name)", o.file, cfg.Upstream.Servers, want)
		}
		if !cfg.Tracker.Cluster {
			t.Errorf("%s: the edges' tracker is not on a Redis Cluster", o.file)
		}
	}
}
