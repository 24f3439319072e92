package nacoslink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacospb/birequeststream"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// errUnregistered is Nacos errorCode 301: the upstream does not know the
// connection (it restarted or dropped it); the session must be replaced.
const errUnregistered = nacoswire.ErrUnregistered

// Error is a failure answered by the upstream (an ErrorResponse or a typed
// response with resultCode 500). Code 400 errors wrap upstream.ErrInvalid.
type Error struct {
	Type    string // the request type that failed
	Code    int    // Nacos errorCode
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("upstream %s: nacos error %d: %s", e.Type, e.Code, e.Message)
}

// Unwrap makes an INVALID_PARAM answer an upstream.ErrInvalid.
func (e *Error) Unwrap() error {
	if e.Code == 400 {
		return upstream.ErrInvalid
	}
	return nil
}

// serverHandler answers one request the upstream sent on the stream and
// returns the ack's type ("" = no ack).
type serverHandler func(s *session, typ string, body []byte) string

// session is one live connection to an upstream server: ServerCheck done,
// bidi stream open, ConnectionSetupRequest sent. It ends when the stream
// breaks or fail is called; done is closed then and err says why.
type session struct {
	server  string
	id      string // connection id from ServerCheck
	tr      *kitexTransport
	stream  birequeststream.BiRequestStream_requestBiStreamClient
	cancel  context.CancelFunc // ends the stream
	timeout time.Duration      // per unary request
	handle  serverHandler
	tokens  *tokens // the accessToken every request carries; nil = none

	sendMu sync.Mutex // serialises writes on stream

	established atomic.Bool // the upstream has registered the connection

	done     chan struct{} // closed by fail
	failOnce sync.Once
	err      error         // why the session ended; written before done is closed
	recvDone chan struct{} // closed when the receive loop returns
}

// dial connects to server: ServerCheck, stream, ConnectionSetupRequest
// (NACOS_PROTOCOL.md A.4). The receive loop runs until the session ends.
func dial(ctx context.Context, server string, o Options, tok *tokens, handle serverHandler) (*session, error) {
	tr, err := newTransport(server, o.RequestTimeout, o.TLS)
	if err != nil {
		return nil, err
	}
	s := &session{server: server, tr: tr, timeout: o.RequestTimeout, handle: handle, tokens: tok,
		done: make(chan struct{}), recvDone: make(chan struct{})}
	var check nacoswire.ServerCheckResponse
	if err := s.call(ctx, nacoswire.TypeServerCheckRequest, nacoswire.Internal(""), &check); err != nil {
		tr.close()
		return nil, fmt.Errorf("server check %s: %w", server, err)
	}
	if check.ConnectionID == "" {
		tr.close()
		return nil, fmt.Errorf("server check %s: no connectionId in the answer", server)
	}
	s.id = check.ConnectionID
	if err := s.open(o); err != nil {
		tr.close()
		return nil, fmt.Errorf("connection setup %s: %w", server, err)
	}
	go s.recvLoop()
	if err := s.awaitSetup(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("connection setup %s: %w", server, err)
	}
	return s, nil
}

// awaitSetup health-checks until the upstream has registered the
// connection: ConnectionSetupRequest gets no reply, and a request that
// overtakes it is answered 301 (the Go SDK sleeps 100 ms instead).
func (s *session) awaitSetup(ctx context.Context) error {
	deadline := time.Now().Add(s.timeout)
	for {
		err := s.call(ctx, nacoswire.TypeHealthCheckRequest, nacoswire.Internal(""), nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != errUnregistered {
			if err == nil {
				s.established.Store(true)
			}
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not registered within %v: %w", s.timeout, err)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return s.err
		}
	}
}

// open starts the bidi stream and sends ConnectionSetupRequest.
func (s *session) open(o Options) error {
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := s.tr.stream.RequestBiStream(sctx)
	if err != nil {
		cancel()
		return fmt.Errorf("open stream: %w", err)
	}
	s.stream, s.cancel = stream, cancel
	err = s.send(nacoswire.TypeConnectionSetupRequest, nacoswire.ConnectionSetupRequest{
		Request:       nacoswire.Internal(""),
		ClientVersion: o.ClientVersion, Labels: map[string]string{"source": "sdk", "module": "naming", "AppName": o.AppName},
		ClientAbilities: map[string]any{},
	})
	if err != nil {
		cancel()
		return err
	}
	return nil
}

// send writes one payload on the stream.
func (s *session) send(typ string, body any) error {
	p, err := nacoswire.NewPayload(typ, body)
	if err != nil {
		return err
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if err := s.stream.Send(p); err != nil {
		return fmt.Errorf("stream send %s: %w", typ, err)
	}
	return nil
}

// recvLoop reads the upstream's requests, answers them, and ends the
// session when the stream breaks.
func (s *session) recvLoop() {
	defer close(s.recvDone)
	for {
		p, err := s.stream.Recv()
		if err != nil {
			s.fail(fmt.Errorf("stream from %s ended: %w", s.server, err))
			return
		}
		s.serve(p)
	}
}

// serve answers one server request with an ack carrying its requestId.
func (s *session) serve(p *nacospb.Payload) {
	typ, body := nacoswire.Type(p), nacoswire.Body(p)
	var base nacoswire.Request
	if err := json.Unmarshal(body, &base); err != nil {
		return // not a request we can answer; Nacos clients ignore these too
	}
	ack := s.handle(s, typ, body)
	if ack == "" {
		return
	}
	resp := nacoswire.Success(base.RequestID)
	if err := s.send(ack, resp); err != nil {
		s.fail(err)
	}
}

// call sends one unary request and decodes the answer into out (a struct
// embedding nacoswire.Response, or nil). A failure answer is an *Error.
// With credentials, the request carries the accessToken; a token the
// upstream refuses (403) is renewed and the request sent once more.
func (s *session) call(ctx context.Context, typ string, body any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	token, loginErr, err := s.callWith(ctx, typ, body, out)
	var e *Error
	if errors.As(err, &e) && e.Code == nacoswire.ErrNoRight && s.tokens.refused(token) {
		_, loginErr, err = s.callWith(ctx, typ, body, out)
	}
	if errors.As(err, &e) && e.Code == nacoswire.ErrNoRight && loginErr != nil {
		return fmt.Errorf("%w (%v)", err, loginErr)
	}
	return err
}

// callWith sends one request with the current token and returns it, and
// why there is none when a login failed: the request goes without one
// then, and the upstream decides (an upstream with auth off serves it).
func (s *session) callWith(ctx context.Context, typ string, body any, out any) (token string, loginErr, err error) {
	p, err := nacoswire.NewPayload(typ, body)
	if err != nil {
		return "", nil, err
	}
	token, loginErr = s.tokens.get(ctx)
	if token != "" {
		p.Metadata.Headers = map[string]string{accessTokenHeader: token}
	}
	resp, err := s.tr.unary.Request(ctx, p)
	if err != nil {
		return token, loginErr, fmt.Errorf("upstream %s to %s: %w", typ, s.server, err)
	}
	return token, loginErr, s.decode(typ, resp, out)
}

// accessTokenHeader is the request header Nacos reads the token from.
const accessTokenHeader = "accessToken"

// decode checks the answer and unmarshals it into out.
func (s *session) decode(typ string, resp *nacospb.Payload, out any) error {
	var base nacoswire.Response
	raw := nacoswire.Body(resp)
	if err := json.Unmarshal(raw, &base); err != nil {
		return fmt.Errorf("upstream %s: answer %s is not JSON: %w", typ, nacoswire.Type(resp), err)
	}
	if !base.OK() || nacoswire.Type(resp) == nacoswire.TypeErrorResponse {
		e := &Error{Type: typ, Code: base.ErrorCode, Message: base.Message}
		if e.Code == errUnregistered && s.established.Load() {
			s.fail(e) // the upstream forgot the connection: replace it
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("upstream %s: decode %s: %w", typ, nacoswire.Type(resp), err)
	}
	return nil
}

// fail ends the session with err (the first reason wins).
func (s *session) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}

// close ends the stream and the transport and waits for the receive loop.
func (s *session) close() {
	s.fail(errors.New("session closed"))
	if s.cancel != nil {
		s.cancel()
	}
	s.tr.close()
	<-s.recvDone
}
