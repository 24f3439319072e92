package nacoswire

import "github.com/herald-gateway/herald/upstream"

// Naming bodies, module "naming" (A.8).

// Type names of the naming messages.
const (
	TypeInstanceRequest           = "InstanceRequest"
	TypeInstanceResponse          = "InstanceResponse"
	TypeBatchInstanceRequest      = "BatchInstanceRequest"
	TypeBatchInstanceResponse     = "BatchInstanceResponse"
	TypePersistentInstanceRequest = "PersistentInstanceRequest"
	TypeSubscribeServiceRequest   = "SubscribeServiceRequest"
	TypeSubscribeServiceResponse  = "SubscribeServiceResponse"
	TypeServiceQueryRequest       = "ServiceQueryRequest"
	TypeQueryServiceResponse      = "QueryServiceResponse"
	TypeServiceListRequest        = "ServiceListRequest"
	TypeServiceListResponse       = "ServiceListResponse"
	TypeNotifySubscriberRequest   = "NotifySubscriberRequest"
	TypeNotifySubscriberResponse  = "NotifySubscriberResponse"
)

// Instance request types (InstanceRequest.Type, BatchInstanceRequest.Type).
const (
	RegisterInstance      = "registerInstance"
	DeregisterInstance    = "deregisterInstance"
	BatchRegisterInstance = "batchRegisterInstance"
)

// NamingRequest is the common body of naming requests: the service is
// named bare, with its group beside it.
type NamingRequest struct {
	Request
	Namespace   string `json:"namespace"`
	ServiceName string `json:"serviceName"`
	GroupName   string `json:"groupName"`
}

// Naming is the NamingRequest for key.
func Naming(key upstream.ServiceKey) NamingRequest {
	return NamingRequest{Request: Request{Module: "naming"},
		Namespace: key.Namespace, ServiceName: key.Name, GroupName: key.Group}
}

// Key is the service the request names, as sent (not normalised).
func (r NamingRequest) Key() upstream.ServiceKey {
	return upstream.ServiceKey{Namespace: r.Namespace, Group: r.GroupName, Name: r.ServiceName}
}

// InstanceRequest registers or deregisters one instance; also the body of
// PersistentInstanceRequest.
type InstanceRequest struct {
	NamingRequest
	Type     string             `json:"type"`
	Instance *upstream.Instance `json:"instance,omitempty"`
}

// BatchInstanceRequest fills the connection's slot with several instances.
type BatchInstanceRequest struct {
	NamingRequest
	Type      string              `json:"type"`
	Instances []upstream.Instance `json:"instances"`
}

// TypedResponse answers InstanceRequest and BatchInstanceRequest, echoing
// the request's type.
type TypedResponse struct {
	Response
	Type string `json:"type"`
}

// SubscribeServiceRequest subscribes (or, with Subscribe false,
// unsubscribes) the connection with a cluster filter.
type SubscribeServiceRequest struct {
	NamingRequest
	Subscribe bool   `json:"subscribe"`
	Clusters  string `json:"clusters"`
}

// ServiceQueryRequest asks for a service's current view.
type ServiceQueryRequest struct {
	NamingRequest
	Cluster     string `json:"cluster"`
	HealthyOnly bool   `json:"healthyOnly"`
	UDPPort     int    `json:"udpPort"`
}

// ServiceInfoResponse answers SubscribeServiceRequest and
// ServiceQueryRequest.
type ServiceInfoResponse struct {
	Response
	ServiceInfo *upstream.ServiceInfo `json:"serviceInfo"`
}

// ServiceListRequest asks for one page of a namespace and group's bare
// service names.
type ServiceListRequest struct {
	NamingRequest
	PageNo   int    `json:"pageNo"`
	PageSize int    `json:"pageSize"`
	Selector string `json:"selector"`
}

// ServiceListResponse is one page of bare service names and the total.
type ServiceListResponse struct {
	Response
	Count        int      `json:"count"`
	ServiceNames []string `json:"serviceNames"`
}

// NotifySubscriberRequest is the naming push (A.5).
type NotifySubscriberRequest struct {
	Request
	Namespace   string                `json:"namespace"`
	ServiceName string                `json:"serviceName"`
	GroupName   string                `json:"groupName"`
	ServiceInfo *upstream.ServiceInfo `json:"serviceInfo"`
}
