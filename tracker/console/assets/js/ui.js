// ui.js: the building blocks every page shares, so that a new page (the
// configuration push track) is a form spec, an API call and columns:
// elements, times in the viewer's zone, the query form with time
// presets, error and empty boxes, tables, the pager and the timeline.

// h builds an element. attrs: properties and attributes ("class", "for",
// data-*, on* handlers); children: nodes, strings (as text, never HTML),
// arrays, or null/false (skipped).
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'g', 'circle', 'line', 'text', 'rect', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (!svg && k in el && !k.includes('-')) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// ---- time -------------------------------------------------------------

const stamp = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23',
});

function parts(ms) {
  const p = {};
  for (const { type, value } of stamp.formatToParts(new Date(ms))) p[type] = value;
  return p;
}

// fmtTime is epoch ms as "YYYY-MM-DD HH:MM:SS.mmm" in the viewer's zone.
export function fmtTime(ms) {
  if (!ms) return '';
  const p = parts(ms);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}`;
}

// fmtAxis is a time for an axis spanning span ms: the date only past 20
// hours, seconds below 2 hours, milliseconds below 10 seconds.
export function fmtAxis(ms, span) {
  const p = parts(ms);
  let s = `${p.hour}:${p.minute}`;
  if (span < 2 * 60 * 60 * 1000) s += `:${p.second}`;
  if (span < 10 * 1000) s += `.${p.fractionalSecond}`;
  return span > 20 * 60 * 60 * 1000 ? `${p.month}-${p.day} ${s}` : s;
}

// zoneName names the viewer's zone: "Asia/Kolkata (UTC+05:30)".
export function zoneName(at = Date.now()) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const off = -new Date(at).getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${tz} (UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')})`;
}

// toLocalInput is epoch ms as a datetime-local value in the viewer's zone.
export function toLocalInput(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

// fromLocalInput reads a datetime-local value (the viewer's zone) as epoch ms.
export function fromLocalInput(v) {
  if (!v) return NaN;
  return new Date(v).getTime(); // a date-time without an offset is local time
}

// fmtDuration is a duration in words: "350 ms", "4.2 s", "3 min 5 s", "2 h 10 min".
export function fmtDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${m % 60} min`;
  return `${Math.floor(hr / 24)} d ${hr % 24} h`;
}

// ---- time ranges ----------------------------------------------------------

// PRESETS are the time range choices; the widest is clamped to the
// tracker's retention (info.maxWindowMs).
export const PRESETS = [
  { id: '30m', label: 'Last 30 minutes', ms: 30 * 60 * 1000 },
  { id: '1h', label: 'Last 1 hour', ms: 60 * 60 * 1000 },
  { id: '1d', label: 'Last 1 day', ms: 24 * 60 * 60 * 1000 },
];
export const WIDEST = PRESETS[PRESETS.length - 1].id;

// resolveRange turns the range params into a fixed {from, to} in epoch ms,
// so every page of one query reads the same window.
export function resolveRange(params, maxWindowMs, now = Date.now()) {
  if (params.range === 'custom') {
    return { from: Number(params.from), to: Number(params.to), custom: true };
  }
  const p = PRESETS.find((x) => x.id === params.range) || PRESETS[1];
  return { from: now - Math.min(p.ms, maxWindowMs), to: now, preset: p };
}

// rangeText describes a resolved range for summaries.
export function rangeText(r) {
  return `${fmtTime(r.from)} – ${fmtTime(r.to)}`;
}

// ---- the query form ---------------------------------------------------------

// queryForm renders the form of a track or status page.
//   spec.dimensions: [{id, label, fields: [{name, label, placeholder, required, value}]}]
//   spec.params: the current query (from the URL)
//   spec.range, spec.limit: show the time range and the page size
//   spec.maxWindowMs: the tracker's longest window
//   spec.onSubmit(params): run the query
export function queryForm(spec) {
  const p = spec.params;
  let dim = spec.dimensions.find((d) => d.id === p.by) || spec.dimensions[0];
  const fields = h('div', { class: 'fields' });
  const drawFields = () => {
    fields.replaceChildren(...dim.fields.map((f) => h('label', { class: 'field' },
      h('span', {}, f.label),
      h('input', {
        id: `f-${f.name}`, name: f.name, value: p[f.name] ?? f.value ?? '', placeholder: f.placeholder || '',
        required: !!f.required, autocomplete: 'off', spellcheck: false,
      }))));
  };
  drawFields();

  const dims = spec.dimensions.length > 1 ? h('fieldset', { class: 'dims' },
    h('legend', {}, 'Query'),
    spec.dimensions.map((d) => h('label', { class: 'choice' },
      h('input', {
        type: 'radio', name: 'by', id: `by-${d.id}`, value: d.id, checked: d === dim,
        onchange: () => { dim = d; drawFields(); },
      }), d.label))) : null;

  let range = null;
  const custom = h('div', { class: 'custom', hidden: p.range !== 'custom' },
    h('label', { class: 'field' }, h('span', {}, 'From'),
      h('input', { type: 'datetime-local', step: 1, id: 'f-from', value: p.from ? toLocalInput(Number(p.from)) : '' })),
    h('label', { class: 'field' }, h('span', {}, 'To'),
      h('input', { type: 'datetime-local', step: 1, id: 'f-to', value: p.to ? toLocalInput(Number(p.to)) : '' })));
  if (spec.range) {
    const current = p.range || '1h';
    const choice = (id, label) => h('label', { class: 'choice' },
      h('input', {
        type: 'radio', name: 'range', id: `range-${id}`, value: id, checked: current === id,
        onchange: () => { custom.hidden = id !== 'custom'; },
      }), label);
    range = h('fieldset', { class: 'range' }, h('legend', {}, 'Time range'),
      PRESETS.map((x) => choice(x.id, x.ms > spec.maxWindowMs ? `${x.label} (retention ${fmtDuration(spec.maxWindowMs)})` : x.label)),
      choice('custom', 'Custom'), custom);
  }

  const limit = spec.limit ? h('label', { class: 'field small' }, h('span', {}, 'Per page'),
    h('select', { id: 'f-limit' }, [10, 20, 50, 100, 500].map((n) =>
      h('option', { value: n, selected: String(n) === String(p.limit || 50) }, String(n))))) : null;

  const form = h('form', { class: 'query', id: 'query', novalidate: false },
    dims, fields, range, limit,
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'q-submit' }, spec.submitLabel || 'Query')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const out = { by: dim.id };
    for (const f of dim.fields) out[f.name] = form.querySelector(`#f-${f.name}`).value.trim();
    if (spec.range) {
      out.range = form.querySelector('input[name=range]:checked').value;
      if (out.range === 'custom') {
        out.from = fromLocalInput(form.querySelector('#f-from').value);
        out.to = fromLocalInput(form.querySelector('#f-to').value);
        if (Number.isNaN(out.from) || Number.isNaN(out.to)) {
          showFormProblem(form, 'Enter both ends of the custom range.');
          return;
        }
      }
    }
    if (spec.limit) out.limit = form.querySelector('#f-limit').value;
    spec.onSubmit(out);
  });
  return form;
}

function showFormProblem(form, msg) {
  let p = form.querySelector('.problem');
  if (!p) form.append(p = h('p', { class: 'problem', role: 'alert', id: 'form-problem' }));
  p.textContent = msg;
}

// ---- results ------------------------------------------------------------

// errorBox shows an API error as it came, with the parameter it names.
export function errorBox(err) {
  return h('div', { class: 'error', id: 'error', role: 'alert' },
    h('strong', {}, err.title || 'Something went wrong'),
    h('p', { id: 'error-message' }, err.message),
    err.param ? h('p', { class: 'muted' }, `Check the field “${err.param}”.`) : null);
}

// emptyBox says a query found nothing; action, if given, is a button
// ({label, onclick}) offering the wider query.
export function emptyBox(text, action) {
  return h('div', { class: 'empty', id: 'empty' }, h('p', {}, text),
    action ? h('button', { type: 'button', id: 'widen', onclick: action.onclick }, action.label) : null);
}

// table renders rows with columns [{label, cell(row) -> node|string, cls}].
export function table(cols, rows, rowAttrs = () => ({})) {
  return h('div', { class: 'table-wrap' }, h('table', { id: 'results-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: c.cls || '' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', rowAttrs(r), cols.map((c) => h('td', { class: c.cls || '' }, c.cell(r))))))));
}

// fleetScope is where a delivery status answer looks: the whole fleet
// (the fleet view in Redis) or this gateway alone.
export function fleetScope(info) {
  return info.fleet ? 'in the fleet' : `on gateway ${info.node}`;
}

// withGateway puts a Gateway column (the gateway the client is connected
// to) first when the status answers for the whole fleet.
export function withGateway(info, cols) {
  if (!info.fleet) return cols;
  return [{ label: 'Gateway', cls: 'col-gateway', cell: (s) => s.gateway || '' }, ...cols];
}

// pager offers the previous and next pages of a cursor-paged query.
export function pager({ page, hasPrev, hasNext, onPrev, onNext }) {
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('button', { type: 'button', id: 'prev', disabled: !hasPrev, onclick: onPrev }, '← Newer'),
    h('span', { id: 'page-no' }, `Page ${page}`),
    h('button', { type: 'button', id: 'next', disabled: !hasNext, onclick: onNext }, 'Older →'));
}

// resultBadge is a push result, coloured.
export function resultBadge(result) {
  return h('span', { class: `badge r-${result}` }, result === 'timeout' ? 'timed out' : result);
}

// RESULT_ORDER is the order of the timeline's lanes.
export const RESULT_ORDER = ['sent', 'acked', 'retried', 'timeout', 'failed', 'superseded', 'dropped'];

// timeline draws events across a time window as an SVG chart, one lane
// each: events [{at, lane, id, label}], lanes [names]. onPick(id) is
// called when an event is clicked.
export function timeline({ from, to, events, lanes, onPick, caption }) {
  const W = 1000, left = 96, right = 16, top = 8, lane = 22;
  const H = top + lanes.length * lane + 26;
  const span = Math.max(1, to - from);
  const x = (t) => left + ((Math.min(Math.max(t, from), to) - from) / span) * (W - left - right);
  const ticks = [];
  for (let i = 0; i <= 4; i++) {
    const t = from + (span * i) / 4;
    ticks.push(h('g', {},
      h('line', { x1: x(t), x2: x(t), y1: top, y2: H - 22, class: 'tick' }),
      h('text', { x: x(t), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle', class: 'axis' }, fmtAxis(t, span))));
  }
  const rows = lanes.map((name, i) => h('g', {},
    h('text', { x: left - 8, y: top + i * lane + lane / 2 + 4, 'text-anchor': 'end', class: 'lane' }, name),
    h('line', { x1: left, x2: W - right, y1: top + i * lane + lane / 2, y2: top + i * lane + lane / 2, class: 'laneline' })));
  const dots = events.map((e) => {
    const i = lanes.indexOf(e.lane);
    return h('circle', {
      cx: x(e.at), cy: top + i * lane + lane / 2, r: 5, class: `dot r-${e.lane}`, 'data-id': e.id,
      onclick: () => onPick && onPick(e.id),
    }, h('title', {}, e.label));
  });
  return h('figure', { class: 'timeline', id: 'timeline' },
    h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': caption || 'timeline' }, ticks, rows, dots),
    caption ? h('figcaption', {}, caption) : null);
}
