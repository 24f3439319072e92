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
import { h, queryForm, resolveRange, rangeText, fmtTime, errorBox, table, pager, timeline } from './ui.js';
import { unavailable, changeColumns, eventColumns, named, isChange, emptyResult, subject } from './configparts.js';
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
