// dnsd's web page, the view: building the page's elements from API answers. Values from
// the registry (ids, tags, meta, notes) only ever become text nodes, never HTML.
// Loaded before app.js, which holds the state and talks to the API.
'use strict';

const $ = (id) => document.getElementById(id);

// ---- small helpers ------------------------------------------------------------------

// h('td', {class: 'x', 'data-k': 'v'}, 'text', child): strings become text nodes, never HTML.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function formatDuration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400), hr = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  if (d) return d + 'd ' + hr + 'h';
  if (hr) return hr + 'h ' + m + 'm';
  if (m) return m + 'm ' + s + 's';
  return s + 's';
}

function showMessage(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.dataset.error = isError ? '1' : '';
  m.hidden = !text;
}

// ---- the overview (GET /v1/status) --------------------------------------------------

function renderStatus(st) {
  $('ov-services').textContent = st.services;
  $('ov-instances').textContent = st.instances;
  $('ov-healthy').textContent = st.healthy;
  $('ov-index').textContent = st.index;
  $('ov-version').textContent = (st.version || '?') + ', up ' + formatDuration(st.uptime_seconds);
  const sp = st.self_preservation || {};
  const spEl = $('ov-sp');
  if (!sp.enabled) {
    spEl.textContent = 'off';
    spEl.dataset.state = 'off';
  } else if (sp.active) {
    spEl.textContent = 'ACTIVE: ' + sp.held_back + ' lapse' + (sp.held_back === 1 ? '' : 's') +
        ' held back';
    spEl.dataset.state = 'active';
  } else {
    spEl.textContent = 'on, not active';
    spEl.dataset.state = 'armed';
  }
  const c = st.cluster;
  let cluster = 'single node';
  if (c) {
    cluster = (c.node ? 'node ' + c.node : 'cluster') + ', ' +
        (c.connected ? 'connected' : 'NOT connected to etcd');
    if (c.revision !== undefined) cluster += ', revision ' + c.revision;
    if (Array.isArray(c.replicas)) cluster += ', replicas: ' + c.replicas.join(', ');
  }
  $('ov-cluster').textContent = cluster;
  $('ov-cluster').dataset.state = c && !c.connected ? 'bad' : '';
  $('ov-storage').textContent = st.storage ? 'data dir ' + st.storage.data_dir : 'in memory';
}

function setConnected(ok, why) {
  const el = $('conn');
  el.dataset.state = ok ? 'live' : 'down';
  el.textContent = ok ? 'live' : 'no answer from dnsd, retrying' + (why ? ' (' + why + ')' : '');
}

// ---- rendering instances ------------------------------------------------------------

function cell(label, ...children) {
  return h('td', {'data-label': label}, ...children);
}

function tagList(tags) {
  if (!tags || !tags.length) return h('span', {class: 'none'}, '–');
  return h('span', {class: 'tags'}, ...tags.map((t) => h('span', {class: 'tag'}, t)));
}

function metaList(meta) {
  const entries = Object.entries(meta || {});
  if (!entries.length) return h('span', {class: 'none'}, '–');
  return h('span', {class: 'meta'},
      ...entries.map(([k, v]) => h('span', {class: 'kv'}, h('b', {}, k), '=' + v)));
}

function checkList(checks) {
  if (!Array.isArray(checks) || !checks.length) return h('span', {class: 'none'}, '–');
  return h('ul', {class: 'checks'}, ...checks.map((c) => {
    const what = c.name || c.http || c.tcp || '';
    return h('li', {class: 's-' + c.status},
        h('span', {class: 'badge s-' + c.status}, c.status || '?'),
        what ? ' ' + what : '', c.output ? h('div', {class: 'output'}, String(c.output)) : null,
        c.last_run ? h('div', {class: 'when'}, 'last run ' + c.last_run) : null);
  }));
}

function leaseCell(svc, inst) {
  if (typeof inst.lease_remaining !== 'number') {
    return cell('lease', h('span', {class: 'none'}, 'no lease'));
  }
  const deadline = svc.fetchedAt + inst.lease_remaining * 1000;
  const span = h('span', {class: 'lease', 'data-deadline': String(deadline)});
  span.dataset.ttl = String(inst.ttl);
  tickOne(span, performance.now());
  return cell('lease', span);
}

// Percentages (classes w16 ... in style.css), the same in every service's table.
const COLUMN_WIDTHS = [14, 12, 16, 12, 16, 10, 9, 11];

const PROTECTED_TITLE = 'its lease ran out, but self-preservation holds the lapse back';

// The instances of svc.detail as a table; onMaintenance(svc, inst, on, button) toggles.
function renderInstances(svc, onMaintenance) {
  const rows = svc.detail.instances.map((inst) => {
    const maint = inst.status === 'maintenance';
    const button = h('button', {type: 'button', class: 'maint'},
        maint ? 'End maintenance' : 'Maintenance');
    button.addEventListener('click', () => onMaintenance(svc, inst, !maint, button));
    return h('tr', {'data-instance': inst.id, 'data-status': inst.status},
        cell('instance', h('span', {class: 'id'}, inst.id)),
        cell('status', h('span', {class: 'badge s-' + inst.status}, inst.status),
            inst.protected ? h('span', {class: 'protected', title: PROTECTED_TITLE}, 'protected')
                           : null,
            inst.note ? h('div', {class: 'note'}, inst.note) : null),
        cell('address', h('span', {class: 'addr'}, hostPort(inst)),
            inst.weight !== 1 || inst.priority !== 1
                ? h('div', {class: 'sub'}, 'weight ' + inst.weight + ', priority ' + inst.priority)
                : null),
        cell('tags', tagList(inst.tags)),
        cell('meta', metaList(inst.meta)),
        leaseCell(svc, inst),
        cell('checks', checkList(inst.checks)),
        cell('', button));
  });
  if (!rows.length) {
    svc.body.replaceChildren(h('p', {class: 'none'}, 'no instances'));
    return;
  }
  const titles = ['instance', 'status', 'address', 'tags', 'meta', 'lease', 'checks', ''];
  const head = h('tr', {}, ...titles.map((t) => h('th', {scope: 'col'}, t)));
  const cols = h('colgroup', {}, ...COLUMN_WIDTHS.map((w) => h('col', {class: 'w' + w})));
  svc.body.replaceChildren(h('table', {class: 'instances'}, cols, h('thead', {}, head),
      h('tbody', {}, ...rows)));
}

function hostPort(inst) {
  const a = inst.address.includes(':') ? '[' + inst.address + ']' : inst.address;
  return a + ':' + inst.port + (inst.proto && inst.proto !== 'tcp' ? '/' + inst.proto : '');
}

function tickOne(span, now) {
  const left = (Number(span.dataset.deadline) - now) / 1000;
  const expired = left <= 0;
  span.textContent = expired ? 'ran out' : left.toFixed(1) + ' s of ' + span.dataset.ttl + ' s';
  span.dataset.expired = expired ? '1' : '';
}
