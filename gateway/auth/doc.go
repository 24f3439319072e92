// Package auth is Herald's one identity and permission mechanism, used by
// both client wires (gRPC in gateway, HTTP 1.x in gateway/http1). It models
// Nacos's auth: users with hashed passwords, roles bound to users, and per
// role read or write permissions on resources "namespace:group:kind/name"
// with "*" wildcards. A login issues a signed, stateless token with a TTL;
// every guarded request carries it (accessToken) and is checked before
// anything is done.
//
// The Authority holds no secret in a form that is logged: passwords are
// kept only as hashes, and the signing key never leaves the package.
package auth
