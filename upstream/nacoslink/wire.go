package nacoslink

import (
	"github.com/herald-gateway/herald/gateway/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// Request and response bodies the link sends and reads
// (NACOS_PROTOCOL.md A.4, A.5, A.8).

type setupRequest struct {
	nacoswire.Request
	ClientVersion   string            `json:"clientVersion"`
	Tenant          string            `json:"tenant"`
	Labels          map[string]string `json:"labels"`
	ClientAbilities map[string]any    `json:"clientAbilities"`
}

type serverCheckResponse struct {
	nacoswire.Response
	ConnectionID string `json:"connectionId"`
}

type namingRequest struct {
	nacoswire.Request
	Namespace   string `json:"namespace"`
	ServiceName string `json:"serviceName"`
	GroupName   string `json:"groupName"`
}

func naming(key upstream.ServiceKey) namingRequest {
	return namingRequest{
		Request:   nacoswire.Request{Module: "naming"},
		Namespace: key.Namespace, ServiceName: key.Name, GroupName: key.Group,
	}
}

type instanceRequest struct {
	namingRequest
	Type     string             `json:"type"`
	Instance *upstream.Instance `json:"instance,omitempty"`
}

type batchInstanceRequest struct {
	namingRequest
	Type      string              `json:"type"`
	Instances []upstream.Instance `json:"instances"`
}

type subscribeRequest struct {
	namingRequest
	Subscribe bool   `json:"subscribe"`
	Clusters  string `json:"clusters"`
}

type queryRequest struct {
	namingRequest
	Cluster     string `json:"cluster"`
	HealthyOnly bool   `json:"healthyOnly"`
	UDPPort     int    `json:"udpPort"`
}

type listRequest struct {
	namingRequest
	PageNo   int    `json:"pageNo"`
	PageSize int    `json:"pageSize"`
	Selector string `json:"selector"`
}

type serviceInfoResponse struct {
	nacoswire.Response
	ServiceInfo *upstream.ServiceInfo `json:"serviceInfo"`
}

type listResponse struct {
	nacoswire.Response
	Count        int      `json:"count"`
	ServiceNames []string `json:"serviceNames"`
}

type notifyRequest struct {
	nacoswire.Request
	Namespace   string                `json:"namespace"`
	ServiceName string                `json:"serviceName"`
	GroupName   string                `json:"groupName"`
	ServiceInfo *upstream.ServiceInfo `json:"serviceInfo"`
}
