// configip.js: the configuration push track by client IP: every
// configuration the client listens to (now, or in the window's records),
// the md5 it holds, whether that is the latest, the configurations'
// change events, and the client's config events.

import { getJSON } from './api.js';
import { h, fmtTime, fmtDuration, errorBox, table, pager, rangeText } from './ui.js';
import { changeColumns, eventColumns, md5Cell, named, configHash, emptyResult } from './configparts.js';

function configColumns(now) {
  return [
    { label: 'Configuration', cls: 'col-config', cell: (c) => h('a', { href: configHash(c, now), title: 'this configuration around now' }, c.dataId) },
    { label: 'Group', cls: 'col-group', cell: (c) => c.group },
    { label: 'Namespace', cls: 'col-ns', cell: (c) => c.namespace },
    { label: 'Listening', cls: 'col-listening', cell: (c) => (c.listening ? 'now' : 'in records') },
    { label: 'State', cls: 'col-state', cell: (c) => h('span', { class: `badge ${c.upToDate ? 's-ok' : 's-behind'}` }, c.upToDate ? 'up to date' : 'behind') },
    { label: 'Holds MD5', cls: 'col-md5', cell: (c) => md5Cell(c.md5) },
    { label: 'Latest MD5', cls: 'col-latest', cell: (c) => md5Cell(c.latestMd5) },
    { label: 'Since', cls: 'col-since', cell: (c) => fmtTime(c.heldSince) },
    { label: 'Behind for', cls: 'col-behind num', cell: (c) => (!c.upToDate && c.behindMs ? fmtDuration(c.behindMs) : '') },
    { label: 'Connection', cls: 'col-conn', cell: (c) => h('code', {}, c.connectionId || '') },
    { label: 'Changes', cls: 'col-changes num', cell: (c) => String(c.changes.length) },
  ];
}

export async function clientConfigs(results, ctx, p, r) {
  const cursors = [''];
  let page = 0;
  const load = async () => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const body = await getJSON('/v1/tracks/config/client', { ip: p.ip, from: r.from, to: r.to, limit: p.limit, cursor: cursors[page] });
      if (body.next && cursors.length === page + 1) cursors.push(body.next);
      const nav = pager({ page: page + 1, hasPrev: page > 0, hasNext: !!body.next, onPrev: () => { page--; load(); }, onNext: () => { page++; load(); } });
      if (body.configs.length === 0 && body.records.length === 0) {
        results.replaceChildren(emptyResult(ctx, p, r, 'configuration listens or pushes'), page > 0 ? nav : null);
      } else {
        const now = Date.now();
        const changes = body.configs.flatMap((c) => c.changes)
          .filter((c, i, all) => all.findIndex((x) => x.id === c.id && x.service === c.service && x.group === c.group && x.namespace === c.namespace) === i)
          .sort((a, b) => b.at - a.at);
        const behind = body.configs.filter((c) => !c.upToDate).length;
        results.replaceChildren(
          h('p', { class: 'summary', id: 'summary' }, `Client ${body.ip}: ${body.configs.length} configuration listen${body.configs.length === 1 ? '' : 's'}, `,
            h('strong', { id: 'count-behind', class: behind ? 'behind' : '' }, `${behind} behind`), `; ${rangeText(r)}.`),
          named(table(configColumns(now), body.configs, (c) => ({ 'data-config': c.dataId, 'data-md5': c.md5, class: c.upToDate ? 'row' : 'row behind' })), 'configs-table'),
          h('h2', {}, `Change events of these configurations (${changes.length})`),
          changes.length ? named(table(changeColumns(p), changes, (c) => ({ 'data-id': c.id, 'data-md5': c.md5, class: 'row change' })), 'changes-table')
            : h('p', { class: 'muted', id: 'no-changes' }, 'No change event in this window.'),
          h('h2', {}, `Config events of ${body.ip} (${body.records.length} on page ${page + 1})`),
          named(table(eventColumns(), body.records, (rec) => ({ 'data-id': rec.id, 'data-result': rec.result, class: 'row' })), 'results-table'),
          nav);
      }
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
    ctx.done();
  };
  await load();
}
