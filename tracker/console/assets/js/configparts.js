// configparts.js: what the configuration pages share (config.js and the
// views it opens, configip.js and configevent.js, and the status page's
// configstatus.js): links around a moment, cells, table columns, the
// empty and unavailable notes. It imports only ui.js, so the
// configuration modules import it and not each other in a circle.

import {
  h, rangeText, fmtTime, fmtDuration, zoneName, emptyBox, resultBadge, PRESETS, WIDEST,
} from './ui.js';

// AROUND is the window of a jump to the other dimension.
const AROUND = 15 * 60 * 1000;

// aroundHash is the hash of a config query (params) around at.
export function aroundHash(params, at) {
  return `#/config?${new URLSearchParams({ ...params, range: 'custom', from: at - AROUND, to: at + AROUND })}`;
}

// configHash is the by-configuration query of r's configuration around at.
export function configHash(r, at) {
  return aroundHash({ by: 'config', dataId: r.dataId ?? r.service, group: r.group, namespace: r.namespace }, at);
}

export function unavailable(what) {
  return h('div', { class: 'unavailable', id: 'unavailable', role: 'status' },
    h('p', {}, h('strong', {}, `${what} is not available on this gateway.`)),
    h('p', {}, 'This Herald does not serve configuration tracking (its tracker API has no configuration routes). ' +
      'Registry pushes are tracked: see Registry push track and Delivery status now.'));
}

// md5Cell shows an md5 (its start; the whole as the title).
export function md5Cell(md5) {
  return md5 ? h('code', { title: md5 }, md5.slice(0, 12)) : h('span', { class: 'muted' }, '(none)');
}

// changeColumns are the columns of a change events table.
export function changeColumns(params) {
  return [
    { label: 'Time', cls: 'col-time', cell: (c) => fmtTime(c.at) },
    { label: 'Change', cls: 'col-op', cell: (c) => h('span', { class: `badge op-${c.result}` }, c.result) },
    { label: 'Configuration', cls: 'col-config', cell: (c) => h('a', { href: configHash(c, c.at), title: `${c.namespace} / ${c.group} / ${c.service}` }, c.service) },
    { label: 'MD5', cls: 'col-md5', cell: (c) => h('code', {}, c.md5 || '(removed)') },
    { label: 'Size', cls: 'col-size num', cell: (c) => `${c.payloadBytes || 0} B` },
    { label: 'Type', cls: 'col-type', cell: (c) => c.contentType || '' },
    { label: 'Source', cls: 'col-src', cell: (c) => [c.srcIp || '', c.appName ? h('small', { class: 'reason' }, c.appName) : null] },
    { label: 'Node', cls: 'col-node', cell: (c) => c.node },
    {
      label: '', cls: 'col-detail', cell: (c) => h('a', {
        href: `#/config?${new URLSearchParams({ ...params, view: 'event', id: c.id, dataId: c.service, group: c.group, namespace: c.namespace })}`,
        class: 'detail',
      }, 'Details'),
    },
  ];
}

// eventColumns are the columns of a per-client events table.
export function eventColumns() {
  return [
    { label: 'Time', cls: 'col-time', cell: (r) => fmtTime(r.at) },
    { label: 'Event', cls: 'col-result', cell: (r) => (r.kind === 'config' && isChange(r)
      ? h('span', { class: `badge op-${r.result}` }, r.result) : [resultBadge(r.result), r.reason ? h('small', { class: 'reason' }, r.reason) : null]) },
    { label: 'Client IP', cls: 'col-ip', cell: (r) => (r.clientIp ? h('a', { href: aroundHash({ by: 'ip', ip: r.clientIp }, r.at), title: 'this client around this time' }, r.clientIp) : '') },
    { label: 'Connection', cls: 'col-conn', cell: (r) => h('code', {}, r.connectionId || '') },
    { label: 'Configuration', cls: 'col-config', cell: (r) => h('a', { href: configHash(r, r.at), title: 'this configuration around this time' }, r.service) },
    { label: 'MD5', cls: 'col-md5', cell: (r) => md5Cell(r.md5) },
    { label: 'Applied', cls: 'col-applied', cell: (r) => (r.latestMd5 ? (r.md5 === r.latestMd5 ? 'latest' : 'behind') : '') },
    { label: 'Attempt', cls: 'col-attempt num', cell: (r) => (r.attempt ? String(r.attempt) : '') },
    { label: 'Ack latency', cls: 'col-latency num', cell: (r) => (r.result === 'acked' ? fmtDuration(r.networkMs || 0) : '') },
    { label: 'Node', cls: 'col-node', cell: (r) => r.node },
  ];
}

// named gives a table an id of its own (the shared helper names every
// table results-table).
export function named(wrap, id) {
  wrap.querySelector('table').id = id;
  return wrap;
}

// isChange reports whether a record is a change event.
export function isChange(r) { return ['publish', 'beta-publish', 'remove', 'beta-remove'].includes(r.result); }

// subject names what a configuration query (p) asks about.
export function subject(p) {
  if (p.by === 'ip') return `client ${p.ip}`;
  return `configuration ${p.dataId} (group ${p.group || 'DEFAULT_GROUP'}, namespace ${p.namespace || 'public'})`;
}

// emptyResult says nothing was found and offers the widest preset.
export function emptyResult(ctx, p, r, what) {
  const widest = PRESETS.find((x) => x.id === WIDEST);
  const isWidest = p.range === WIDEST || (r.custom && r.to - r.from >= ctx.info.maxWindowMs);
  return emptyBox(`No ${what} recorded for ${subject(p)} between ${rangeText(r)} (${zoneName(r.to)}).` +
    (isWidest ? ' This is the widest window the tracker keeps.' : ` Try the widest preset, “${widest.label}”.`),
  isWidest ? null : { label: `Search the ${widest.label.toLowerCase()}`, onclick: () => ctx.navigate('config', { ...p, range: WIDEST, from: '', to: '' }) });
}
