package tracker

import (
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// Configuration push tracking records (kind config). Besides the
// outcomes of config pushes (sent, acked, retried, failed, timeout,
// superseded, dropped: a notification, for HTTP long polls the poll
// answered), three events tell which content a client runs:
//
//	publish, beta-publish, remove, beta-remove
//	         a change event: the configuration as this gateway learned
//	         it, with its md5, content size (payloadBytes), type,
//	         lastModified, the publisher's address (srcIp) and app
//	served   a query answered with content: md5, size, and latestMd5
//	reported the md5 a client's listen says it holds (the Go SDK
//	         re-listens with the md5 it just fetched; a long-poll client
//	         re-polls with it), and latestMd5: it runs the latest content
//	         when the two are equal
//
// Change events are written to the configuration's change stream and to
// its topic stream, so the topic stream is the timeline of changes and
// per-client events, and the change stream lists the changes alone.

// Results of change records.
const (
	ResultPublish     = "publish"
	ResultBetaPublish = "beta-publish"
	ResultRemove      = "remove"
	ResultBetaRemove  = "beta-remove"
)

// IsChange reports whether r is a change event.
func (r *Record) IsChange() bool { return r.Kind == KindConfig && isChangeResult(r.Result) }

func isChangeResult(result string) bool {
	switch result {
	case ResultPublish, ResultBetaPublish, ResultRemove, ResultBetaRemove:
		return true
	}
	return false
}

// configFields fills the config fields of rec from o.
func configFields(rec *Record, o fanout.Outcome) {
	rec.Md5 = o.Digest
	next, _ := o.Value.(upstream.ConfigState)
	switch o.Event {
	case fanout.EventChanged:
		prior, _ := o.Prior.(upstream.ConfigState)
		changeFields(rec, prior, next)
	case fanout.EventServed, fanout.EventReported:
		rec.LatestMd5 = next.Md5For(o.Client.IP)
		rec.Bytes = o.Items
		rec.Cached = o.Event == fanout.EventServed && next.Cached
	}
}

// changeFields describes the change from prior to next.
func changeFields(rec *Record, prior, next upstream.ConfigState) {
	rec.Result = changeOp(prior.Config, next.Config)
	c := next.Config
	if c == nil {
		c = prior.Config
	}
	if c == nil {
		return
	}
	item := &c.ConfigItem
	switch rec.Result {
	case ResultBetaPublish:
		item = &c.Beta.ConfigItem
	case ResultBetaRemove:
		if prior.Config != nil && prior.Config.Beta != nil {
			item = &prior.Config.Beta.ConfigItem
		}
	case ResultRemove:
		item = &upstream.ConfigItem{}
	}
	rec.Md5, rec.Bytes, rec.LastModified = item.Md5, len(item.Content), item.LastModified
	rec.ContentType, rec.SrcIP, rec.AppName = c.Type, c.SrcIP, c.AppName
	rec.User = c.SrcUser // the publisher (authenticated, when auth is on)
}

// changeOp names what turned prior into next: a remove, a publish of the
// normal content (its md5 or lastModified moved), else a beta published
// or removed.
func changeOp(prior, next *upstream.Config) string {
	switch {
	case next == nil:
		return ResultRemove
	case prior == nil || prior.Md5 != next.Md5 || prior.LastModified != next.LastModified:
		return ResultPublish
	case next.Beta == nil && prior.Beta != nil:
		return ResultBetaRemove
	case next.Beta != nil:
		return ResultBetaPublish
	}
	return ResultPublish
}
