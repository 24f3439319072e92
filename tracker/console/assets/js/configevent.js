// configevent.js: one change event in detail: its md5 and what followed
// it on this gateway (the per-client events up to the next change, and
// their counts), with jumps to the configuration and to each client at
// that time.

import { getJSON } from './api.js';
import { h, fmtTime, errorBox, table } from './ui.js';
import { eventColumns, named, configHash } from './configparts.js';

export async function changeDetail(results, ctx, p) {
  results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const ev = await getJSON('/v1/tracks/config/event', { dataId: p.dataId, group: p.group, namespace: p.namespace, id: p.id, limit: 1000 });
    const c = ev.change;
    const counts = Object.entries(ev.counts).sort();
    results.replaceChildren(
      h('div', { class: 'card detail-card', id: 'event-detail' },
        h('h2', {}, `${c.result} of ${c.namespace} / ${c.group} / ${c.service}`),
        h('dl', {},
          h('dt', {}, 'Time'), h('dd', { 'data-key': 'at' }, fmtTime(c.at)),
          h('dt', {}, 'MD5'), h('dd', { 'data-key': 'md5' }, h('code', {}, c.md5 || '(removed)')),
          h('dt', {}, 'Size'), h('dd', { 'data-key': 'size' }, `${c.payloadBytes || 0} B`),
          h('dt', {}, 'Type'), h('dd', { 'data-key': 'type' }, c.contentType || ''),
          h('dt', {}, 'Source'), h('dd', { 'data-key': 'src' }, [c.srcIp, c.appName].filter(Boolean).join(' · ')),
          h('dt', {}, 'Revision'), h('dd', { 'data-key': 'revision' }, String(c.revision)),
          h('dt', {}, 'Node'), h('dd', { 'data-key': 'node' }, c.node),
          h('dt', {}, 'Next change'), h('dd', { 'data-key': 'next' }, ev.nextChange ? fmtTime(ev.nextChange.at) : 'none yet')),
        h('p', {}, h('a', { href: configHash(c, c.at), id: 'to-config' }, 'This configuration around this change'))),
      h('p', { class: 'summary', id: 'summary' }, `Followed by ${ev.following.length} event${ev.following.length === 1 ? '' : 's'}${ev.more ? ' (more after these)' : ''}: `,
        counts.length ? counts.map(([k, n], i) => [i ? ', ' : '', h('strong', { 'data-count': k }, `${n} ${k}`)]) : 'none.'),
      named(table(eventColumns(), ev.following, (rec) => ({ 'data-id': rec.id, 'data-result': rec.result, class: 'row' })), 'results-table'));
  } catch (err) {
    results.replaceChildren(errorBox(err));
  }
  ctx.done();
}
