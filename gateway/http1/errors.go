package http1

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/herald-gateway/herald/upstream"
)

// httpError is an error answered with a status code and a plain-text body,
// as the Nacos 1.x API does ("caused: <message>;" for parameter errors).
type httpError struct {
	status int
	param  string // the offending parameter, when there is one
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// badRequest is a 400 naming param.
func badRequest(param, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, param: param, msg: fmt.Sprintf(format, args...)}
}

// forbidden is Nacos's 403 for an authentication failure.
func forbidden(msg string) error { return &httpError{status: http.StatusForbidden, msg: msg} }

// notFound is a 404.
func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// fromRegistry turns a registry input error into a 400 (naming the field
// when the registry did) and passes other errors through.
func fromRegistry(err error) error {
	var fe *upstream.FieldError
	if errors.As(err, &fe) {
		return badRequest(fe.Field, "%s", fe.Error())
	}
	if errors.Is(err, upstream.ErrInvalid) {
		return badRequest("", "%v", err)
	}
	return err
}

// statusOf returns the status and body for err: its own for an
// *httpError, 500 otherwise.
func statusOf(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		if he.status == http.StatusBadRequest {
			return he.status, "caused: " + he.msg + ";"
		}
		return he.status, he.msg
	}
	return http.StatusInternalServerError, "caused: " + err.Error() + ";"
}
