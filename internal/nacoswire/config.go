package nacoswire

// Config bodies, module "config" (A.9).

// Type names of the config messages.
const (
	TypeConfigQueryRequest              = "ConfigQueryRequest"
	TypeConfigQueryResponse             = "ConfigQueryResponse"
	TypeConfigPublishRequest            = "ConfigPublishRequest"
	TypeConfigPublishResponse           = "ConfigPublishResponse"
	TypeConfigRemoveRequest             = "ConfigRemoveRequest"
	TypeConfigRemoveResponse            = "ConfigRemoveResponse"
	TypeConfigBatchListenRequest        = "ConfigBatchListenRequest"
	TypeConfigChangeBatchListenResponse = "ConfigChangeBatchListenResponse"
	TypeConfigChangeNotifyRequest       = "ConfigChangeNotifyRequest"
)

// ConfigRequest is the common body of config requests. Tenant is the
// namespace as the client sent it ("" for public); it is echoed verbatim.
type ConfigRequest struct {
	Request
	DataID string `json:"dataId"`
	Group  string `json:"group"`
	Tenant string `json:"tenant"`
}

// ConfigQueryRequest reads one config.
type ConfigQueryRequest struct {
	ConfigRequest
	Tag string `json:"tag,omitempty"`
}

// ConfigQueryResponse carries a config's content. Tag is never sent: Go
// declares it a bool and Java a string (A.9 warning).
type ConfigQueryResponse struct {
	Response
	Content          string `json:"content"`
	EncryptedDataKey string `json:"encryptedDataKey"`
	ContentType      string `json:"contentType"`
	Md5              string `json:"md5"`
	LastModified     int64  `json:"lastModified"`
	Beta             bool   `json:"isBeta"`
}

// ConfigPublishRequest publishes content; CasMd5 "" is unconditional.
// AdditionMap carries tag, config_tags, appName, betaIps, type, src_user,
// encryptedDataKey (and, from Java, desc, use, effect, schema).
type ConfigPublishRequest struct {
	ConfigRequest
	Content     string            `json:"content"`
	CasMd5      string            `json:"casMd5"`
	AdditionMap map[string]string `json:"additionMap"`
}

// ConfigRemoveRequest removes a config.
type ConfigRemoveRequest struct {
	ConfigRequest
	Tag string `json:"tag,omitempty"`
}

// ConfigListenContext is one key of a batch listen with the md5 the client
// holds ("" for a config it does not have).
type ConfigListenContext struct {
	DataID string `json:"dataId"`
	Group  string `json:"group"`
	Tenant string `json:"tenant"`
	Md5    string `json:"md5"`
}

// ConfigBatchListenRequest listens to (or, with Listen false, stops
// listening to) several keys.
type ConfigBatchListenRequest struct {
	ConfigRequest                              // dataId, group and tenant are "" here
	Listen               bool                  `json:"listen"`
	ConfigListenContexts []ConfigListenContext `json:"configListenContexts"`
}

// ConfigContext names one config, with the tenant as the client sent it.
type ConfigContext struct {
	DataID string `json:"dataId"`
	Group  string `json:"group"`
	Tenant string `json:"tenant"`
}

// ConfigChangeBatchListenResponse lists the keys whose md5 differs.
type ConfigChangeBatchListenResponse struct {
	Response
	ChangedConfigs []ConfigContext `json:"changedConfigs"`
}

// ConfigChangeNotifyRequest is the config push (A.5): the key changed.
type ConfigChangeNotifyRequest struct {
	ConfigRequest
}
