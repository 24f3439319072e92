// config.js: the configuration push track. By configuration (dataId,
// group, namespace): its change events with their md5, and the timeline
// of changes and per-client events (sent, acked, served, reported...)
// drawn as a chart; clicking a change event marks it on the chart and in
// the table. By client IP (configip.js): the configurations the client
// listens to, the md5 it holds, their changes. Event details
// (configevent.js): one change and what followed it. Every client IP and
// configuration links to the other query around that moment. Until this
// gateway serves configuration tracking (info.features.configTracks) the
// page says it is not available.

import { getJSON } from './api.js';
import {
  h, queryForm, resolveRange, rangeText, fmtTime, fmtDuration, zoneName, errorBox, emptyBox, table, pager,
  resultBadge, timeline, PRESETS, WIDEST,
} from './ui.js';
import { clientConfigs } from './configip.js';
import { changeDetail } from './configevent.js';

// CONFIG_DIMENSIONS are the configuration page's query dimensions.
export const CONFIG_DIMENSIONS = [
  {
    id: 'config', label: 'By configuration', fields: [
      { name: 'dataId', label: 'Data ID', required: true, placeholder: 'application.yaml' },
      { name: 'group', label: 'Group', placeholder: 'DEFAULT_GROUP' },
      { name: 'namespace', label: 'Namespace', placeholder: 'public' },
    ],
  },
  { id: 'ip', label: 'By client IP', fields: [{ name: 'ip', label: 'Client IP', required: true, placeholder: '10.0.0.7' }] },
];

// CONFIG_LANES are the timeline's lanes, changes first.
export const CONFIG_LANES = ['change', 'sent', 'acked', 'served', 'reported', 'retried', 'timeout', 'failed', 'superseded', 'dropped'];

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
    { label: 'Event', cls: 'col-result', cell: (r) => (r.result && r.kind === 'config' && ['publish', 'beta-publish', 'remove', 'beta-remove'].includes(r.result)
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

function subject(p) {
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

export async function configPage(root, ctx) {
  if (!ctx.info.features.configTracks) {
    root.append(unavailable('Configuration push tracking'));
    ctx.done();
    return;
  }
  const p = { by: 'config', range: '1h', limit: '100', ...ctx.params };
  root.append(queryForm({
    dimensions: CONFIG_DIMENSIONS, params: p, range: true, limit: true, maxWindowMs: ctx.info.maxWindowMs,
    onSubmit: (q) => ctx.navigate('config', q),
  }));
  const results = h('div', { class: 'results', id: 'results' });
  root.append(results);
  if (p.view === 'event') return changeDetail(results, ctx, p);
  if (!(p.by === 'ip' ? p.ip : p.dataId)) {
    results.append(h('p', { class: 'muted', id: 'hint' }, 'Enter a Data ID, or choose “By client IP”, and run the query.'));
    ctx.done();
    return;
  }
  const r = resolveRange(p, ctx.info.maxWindowMs);
  if (p.by === 'ip') return clientConfigs(results, ctx, p, r);
  return byConfig(results, ctx, p, r);
}

async function byConfig(results, ctx, p, r) {
  const cursors = [''];
  let page = 0;
  const load = async () => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const body = await getJSON('/v1/tracks/config', {
        dataId: p.dataId, group: p.group, namespace: p.namespace, from: r.from, to: r.to, limit: p.limit, cursor: cursors[page],
      });
      if (body.next && cursors.length === page + 1) cursors.push(body.next);
      const nav = pager({ page: page + 1, hasPrev: page > 0, hasNext: !!body.next, onPrev: () => { page--; load(); }, onNext: () => { page++; load(); } });
      if (body.changes.length === 0 && body.records.length === 0) {
        results.replaceChildren(emptyResult(ctx, p, r, 'changes or pushes'), page > 0 ? nav : null);
      } else {
        drawConfig(results, p, r, body, nav, page);
      }
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
    ctx.done();
  };
  await load();
}

function drawConfig(results, p, r, body, nav, page) {
  const recs = body.records;
  const ats = recs.map((x) => x.at).concat(body.changes.map((c) => c.at));
  const lo = Math.min(...ats), hi = Math.max(...ats), pad = Math.max(50, (hi - lo) * 0.04);
  const lane = (rec) => (isChange(rec) ? 'change' : rec.result);
  const chart = timeline({
    from: lo - pad, to: hi + pad, lanes: CONFIG_LANES.filter((x) => recs.some((rec) => lane(rec) === x)),
    events: recs.map((rec) => ({
      at: rec.at, lane: lane(rec), id: rec.id,
      label: `${fmtTime(rec.at)} ${rec.result}${rec.clientIp ? ' → ' + rec.clientIp : ''}${rec.md5 ? ' md5 ' + rec.md5 : ''}`,
    })),
    onPick: (id) => pickRow(results, id),
    caption: `Changes and push events on this page, ${fmtTime(lo)} – ${fmtTime(hi)}; click a change event above to find it here, a dot to find its row.`,
  });
  const changes = named(table(changeColumns(p), body.changes, (c) => ({ 'data-id': c.id, 'data-md5': c.md5, class: 'row change', onclick: (ev) => {
    if (ev.target.closest('a')) return;
    pickChange(results, recs, c);
  } })), 'changes-table');
  results.replaceChildren(
    h('h2', { id: 'changes-title' }, `Change events (${body.changes.length}${body.changesNext ? '+' : ''})`),
    body.changes.length ? changes : h('p', { class: 'muted', id: 'no-changes' }, 'No change event in this window.'),
    h('h2', {}, 'Changes and push events'),
    h('p', { class: 'summary', id: 'summary' },
      `${recs.length} event${recs.length === 1 ? '' : 's'} on page ${page + 1} for ${subject(p)}, ${rangeText(r)}` +
      (r.preset ? ` (${r.preset.label.toLowerCase()})` : '') + ', newest first.'),
    chart,
    named(table(eventColumns(), recs, (rec) => ({ 'data-id': rec.id, 'data-result': rec.result, class: isChange(rec) ? 'row change' : 'row' })), 'results-table'),
    nav);
}

// pickRow marks the timeline row id.
function pickRow(results, id) {
  for (const tr of results.querySelectorAll('#results-table tr.picked')) tr.classList.remove('picked');
  const tr = results.querySelector(`#results-table tr[data-id="${CSS.escape(id)}"]`);
  if (tr) { tr.classList.add('picked'); tr.scrollIntoView({ block: 'center' }); }
}

// pickChange jumps from a change event to it in the timeline: the
// timeline's record of the same change (same revision) is marked, on the
// chart and in the table.
function pickChange(results, recs, c) {
  for (const el of results.querySelectorAll('.picked')) el.classList.remove('picked');
  results.querySelector(`#changes-table tr[data-id="${CSS.escape(c.id)}"]`)?.classList.add('picked');
  const same = recs.find((x) => isChange(x) && x.revision === c.revision && x.at === c.at);
  if (!same) return;
  const dot = results.querySelector(`#timeline circle[data-id="${CSS.escape(same.id)}"]`);
  if (dot) dot.classList.add('picked');
  pickRow(results, same.id);
  results.querySelector('#timeline')?.scrollIntoView({ block: 'center' });
}
