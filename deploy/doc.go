// Package deploy holds Herald's deployment files, not code: docker
// compose (compose/), Kubernetes manifests (k8s/), a systemd unit
// (systemd/) and the container image (container/). Its tests check the
// files statically against the code: images built here, ports and
// configuration keys that exist, the probes, drain hooks and secrets the
// daemon needs (see README.md in this directory).
package deploy
