// registry.js: the registry push track. Query by service (name, group,
// namespace) or by client IP over a time preset or a custom range; one
// row per push event, newest first, paged with the API's cursors; a
// timeline of the page's events; from any row, a jump to the other
// dimension around that moment.

import { getJSON } from './api.js';
import {
  h, queryForm, resolveRange, rangeText, fmtTime, fmtDuration, zoneName, errorBox, emptyBox, table, pager,
  resultBadge, timeline, RESULT_ORDER, PRESETS, WIDEST,
} from './ui.js';

const DIMENSIONS = [
  {
    id: 'service', label: 'By service', fields: [
      { name: 'service', label: 'Service', required: true, placeholder: 'orders' },
      { name: 'group', label: 'Group', placeholder: 'DEFAULT_GROUP' },
      { name: 'namespace', label: 'Namespace', placeholder: 'public' },
    ],
  },
  { id: 'ip', label: 'By client IP', fields: [{ name: 'ip', label: 'Client IP', required: true, placeholder: '10.0.0.7' }] },
];

// AROUND is the window of a jump from an event to the other dimension.
const AROUND = 15 * 60 * 1000;

// around is the hash of a query of the other dimension around at.
function around(params, at) {
  const q = new URLSearchParams({ ...params, range: 'custom', from: at - AROUND, to: at + AROUND });
  return `#/registry?${q}`;
}

function columns(info) {
  return [
    { label: 'Time', cls: 'col-time', cell: (r) => h('span', { title: `sent ${fmtTime(r.sent)}${r.acked ? ', acked ' + fmtTime(r.acked) : ''}` }, fmtTime(r.at)) },
    { label: 'Client IP', cls: 'col-ip', cell: (r) => h('a', { href: around({ by: 'ip', ip: r.clientIp }, r.at), title: 'pushes to this client around this time' }, r.clientIp) },
    { label: 'Connection', cls: 'col-conn', cell: (r) => h('code', {}, r.connectionId) },
    {
      label: 'Service', cls: 'col-service', cell: (r) => h('a', {
        href: around({ by: 'service', service: r.service, group: r.group, namespace: r.namespace }, r.at),
        title: `${r.namespace} / ${r.group} / ${r.service}: pushes of this service around this time`,
      }, r.service),
    },
    { label: 'Group', cls: 'col-group', cell: (r) => r.group },
    { label: 'Instances', cls: 'col-instances num', cell: (r) => String(r.instances) },
    { label: 'Result', cls: 'col-result', cell: (r) => [resultBadge(r.result), r.reason ? h('small', { class: 'reason' }, r.reason) : null] },
    { label: 'Attempt', cls: 'col-attempt num', cell: (r) => String(r.attempt) },
    { label: 'Ack latency', cls: 'col-latency num', cell: (r) => (r.result === 'acked' ? fmtDuration(r.networkMs || 0) : '') },
    { label: 'Node', cls: 'col-node', cell: (r) => r.node },
    { label: 'Trace', cls: 'col-trace', cell: (r) => traceCell(info, r.traceId) },
  ];
}

function traceCell(info, id) {
  if (!id) return '';
  // The first 12 hex digits tell traces apart; the whole id is the title.
  const label = h('code', { title: id }, id.length > 12 ? `${id.slice(0, 12)}…` : id);
  if (!info.traceUrl) return label;
  return h('a', { href: info.traceUrl.replace('{traceId}', encodeURIComponent(id)), target: '_blank', rel: 'noopener noreferrer' }, label);
}

// subject names what was queried, for summaries and empty results.
function subject(p) {
  if (p.by === 'ip') return `client ${p.ip}`;
  return `service ${p.service} (group ${p.group || 'DEFAULT_GROUP'}, namespace ${p.namespace || 'public'})`;
}

export async function registryPage(root, ctx) {
  const p = { by: 'service', range: '1h', limit: '50', ...ctx.params };
  root.append(queryForm({
    dimensions: DIMENSIONS, params: p, range: true, limit: true, maxWindowMs: ctx.info.maxWindowMs,
    onSubmit: (q) => ctx.navigate('registry', q),
  }));
  const results = h('div', { class: 'results', id: 'results' });
  root.append(results);
  if (!(p.by === 'ip' ? p.ip : p.service)) {
    results.append(h('p', { class: 'muted', id: 'hint' }, 'Enter a service, or choose “By client IP”, and run the query.'));
    ctx.done();
    return;
  }
  const r = resolveRange(p, ctx.info.maxWindowMs);
  const api = p.by === 'ip'
    ? { path: '/v1/tracks/client', params: { ip: p.ip } }
    : { path: '/v1/tracks/service', params: { service: p.service, group: p.group, namespace: p.namespace } };
  const cursors = ['']; // cursors[i] starts page i
  let page = 0;

  const draw = (body) => {
    const recs = body.records;
    if (body.next && cursors.length === page + 1) cursors.push(body.next);
    const hasNext = !!body.next;
    const nav = pager({
      page: page + 1, hasPrev: page > 0, hasNext,
      onPrev: () => { page--; load(); }, onNext: () => { page++; load(); },
    });
    if (recs.length === 0) {
      const widest = PRESETS.find((x) => x.id === WIDEST);
      const isWidest = p.range === WIDEST || (r.custom && r.to - r.from >= ctx.info.maxWindowMs);
      const text = page > 0 ? 'No older pushes.' : `No pushes recorded for ${subject(p)} between ${rangeText(r)} (${zoneName(r.to)}).` +
        (isWidest ? ' This is the widest window the tracker keeps.' : ` Try the widest preset, “${widest.label}”.`);
      results.replaceChildren(emptyBox(text, isWidest || page > 0 ? null : {
        label: `Search the ${widest.label.toLowerCase()}`,
        onclick: () => ctx.navigate('registry', { ...p, range: WIDEST, from: '', to: '' }),
      }), page > 0 ? nav : null);
      return;
    }
    const ats = recs.map((x) => x.at);
    const lo = Math.min(...ats), hi = Math.max(...ats), pad = Math.max(50, (hi - lo) * 0.04);
    const pick = (id) => {
      for (const tr of results.querySelectorAll('tr.picked')) tr.classList.remove('picked');
      const tr = results.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
      if (tr) { tr.classList.add('picked'); tr.scrollIntoView({ block: 'center' }); }
    };
    results.replaceChildren(
      h('p', { class: 'summary', id: 'summary' },
        `${recs.length} push event${recs.length === 1 ? '' : 's'} on page ${page + 1} for ${subject(p)}, ${rangeText(r)}` +
        (r.preset ? ` (${r.preset.label.toLowerCase()})` : '') + `, newest first.`),
      timeline({
        from: lo - pad, to: hi + pad, lanes: RESULT_ORDER.filter((x) => recs.some((rec) => rec.result === x)),
        events: recs.map((rec) => ({ at: rec.at, lane: rec.result, id: rec.id, label: `${fmtTime(rec.at)} ${rec.result} → ${rec.clientIp} (${rec.service})` })),
        onPick: pick, caption: `Events on this page, ${fmtTime(lo)} – ${fmtTime(hi)}; click one to find its row.`,
      }),
      table(columns(ctx.info), recs, (rec) => ({ 'data-id': rec.id, 'data-result': rec.result, class: 'row' })),
      nav);
  };

  const load = async () => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      draw(await getJSON(api.path, { ...api.params, from: r.from, to: r.to, limit: p.limit, cursor: cursors[page] }));
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
    ctx.done();
  };
  await load();
}
