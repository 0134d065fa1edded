// dnsd's web page (SPEC §13): the registry at a glance, kept current through the JSON API
// of SPEC §4 and nothing else. Plain JavaScript, no framework; served from the binary.
// This file holds the state and the requests; view.js (loaded first) builds the elements.
//
// How it stays current:
// - GET /v1/status every POLL_MS: the overview, and the registry-wide index. When that
//   index moves, GET /v1/services refreshes the list (services added or removed, counts).
// - An open service is watched with a blocking query, GET /v1/services/{svc}?index=N&wait=..,
//   which returns as soon as that service changes. A browser opens only 6 connections to
//   one host, so at most MAX_WATCHES services are watched at once; other open services are
//   fetched again when the registry-wide index moves.
// - Lease countdowns tick here, from lease_remaining; a service is fetched again when one
//   of its leases would run out (renewed by a heartbeat, or lapsed).
'use strict';

const POLL_MS = 500;
const MAX_WATCHES = 3;
const MAX_FETCHES = 2;
const AUTO_OPEN = 20; // with at most this many services, each one starts open
const MAX_WAIT_S = 30;
const TOKEN_KEY = 'dnsd-token';

const services = new Map(); // name -> Service, in the API's order
let listIndex = -1;
let watches = 0;
let fetching = 0;
const fetchQueue = [];
let filterText = '';

// ---- talking to dnsd -----------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const enc = encodeURIComponent;

async function getJson(path, signal) {
  const r = await fetch(path, {cache: 'no-store', signal});
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

// ---- services -----------------------------------------------------------------------

class Service {
  constructor(name) {
    this.name = name;
    this.count = 0;
    this.healthy = 0;
    this.detail = null;      // the last GET /v1/services/{name}: {index, instances}
    this.text = '';          // what the filter searches in the detail
    this.fetchedAt = 0;      // performance.now() when the detail arrived
    this.askedAt = -Infinity; // and when it was asked for
    this.refreshAt = Infinity; // fetch again then (a lease runs out)
    this.watch = null;       // AbortController of its blocking query
    this.queued = false;
    this.counts = h('span', {class: 'counts'});
    this.chips = h('span', {class: 'chips'});
    this.body = h('div', {class: 'body'}, h('p', {class: 'loading'}, 'loading…'));
    this.el = h('details', {class: 'svc', 'data-service': name},
        h('summary', {}, h('span', {class: 'name'}, name), this.counts, this.chips), this.body);
    this.el.addEventListener('toggle', () => onToggle(this));
  }

  get open() { return this.el.open; }

  setCounts(count, healthy) {
    this.count = count;
    this.healthy = healthy;
    this.counts.textContent = healthy + '/' + count + ' healthy';
    this.el.dataset.health = healthy === count ? 'ok' : healthy === 0 ? 'none' : 'some';
  }
}

function applyList(list) {
  listIndex = list.index;
  const seen = new Set();
  let order = false;
  const autoOpen = list.services.length <= AUTO_OPEN;
  for (const s of list.services) {
    seen.add(s.name);
    let svc = services.get(s.name);
    if (!svc) {
      svc = new Service(s.name);
      services.set(s.name, svc);
      order = true;
      svc.setCounts(s.instances, s.healthy);
      applyFilterTo(svc);
      if (autoOpen) svc.el.open = true; // the toggle event starts its watch
    } else {
      svc.setCounts(s.instances, s.healthy);
      if (svc.open && !svc.watch) enqueueFetch(svc);
    }
  }
  for (const [name, svc] of services) {
    if (!seen.has(name)) {
      stopWatch(svc);
      svc.el.remove();
      services.delete(name);
    }
  }
  if (order) {
    const main = $('services');
    for (const s of list.services) main.append(services.get(s.name).el);
    // keep the API's order in the map too, for "first open service" choices
    const sorted = list.services.map((s) => [s.name, services.get(s.name)]);
    services.clear();
    for (const [k, v] of sorted) services.set(k, v);
  }
  $('empty').hidden = services.size !== 0;
  updateShown();
  startWatches();
}

function onToggle(svc) {
  if (svc.open) {
    startWatches();
    if (!svc.detail) enqueueFetch(svc); // no-op when it got a watch
  } else {
    stopWatch(svc);
    startWatches();
  }
}

// ---- fetching one service -----------------------------------------------------------

function waitSeconds(svc) {
  // Return when the nearest lease would run out, so that its countdown is fetched anew.
  const left = (svc.refreshAt - performance.now()) / 1000;
  return Math.min(MAX_WAIT_S, Math.max(1, Math.ceil(left)));
}

function startWatches() {
  for (const svc of services.values()) {
    if (watches >= MAX_WATCHES) return;
    if (svc.open && !svc.watch && !svc.el.hidden) watchLoop(svc);
  }
}

function stopWatch(svc) {
  if (svc.watch) svc.watch.abort();
}

async function watchLoop(svc) {
  const ctl = new AbortController();
  svc.watch = ctl;
  watches++;
  try {
    while (!ctl.signal.aborted && services.get(svc.name) === svc && svc.open) {
      let path = '/v1/services/' + enc(svc.name);
      if (svc.detail) path += '?index=' + svc.detail.index + '&wait=' + waitSeconds(svc) + 's';
      try {
        const asked = performance.now();
        applyDetail(svc, await getJson(path, ctl.signal), asked);
      } catch (e) {
        if (ctl.signal.aborted) break;
        await sleep(1000);
      }
    }
  } finally {
    watches--;
    if (svc.watch === ctl) svc.watch = null;
    startWatches();
  }
}

// A one-off GET for an open service without a watch; at most MAX_FETCHES at once.
function enqueueFetch(svc) {
  if (svc.queued || svc.watch) return;
  svc.queued = true;
  fetchQueue.push(svc);
  drainQueue();
}

function drainQueue() {
  while (fetching < MAX_FETCHES && fetchQueue.length) {
    const svc = fetchQueue.shift();
    svc.queued = false;
    if (svc.watch || services.get(svc.name) !== svc) continue;
    fetching++;
    const asked = performance.now();
    getJson('/v1/services/' + enc(svc.name))
        .then((body) => applyDetail(svc, body, asked))
        .catch(() => {})
        .finally(() => {
          fetching--;
          drainQueue();
        });
  }
}

// body: an answer to a GET of the service that was sent at `asked` (performance.now()).
function applyDetail(svc, body, asked) {
  // A one-off fetch and the watch may cross: an answer asked for before the one shown
  // says nothing newer.
  if (asked < svc.askedAt) return;
  svc.askedAt = asked;
  const now = performance.now();
  svc.detail = {index: body.index, instances: body.instances};
  svc.fetchedAt = now;
  let refresh = now + MAX_WAIT_S * 1000;
  const words = [];
  const byStatus = {};
  for (const inst of body.instances) {
    byStatus[inst.status] = (byStatus[inst.status] || 0) + 1;
    if (typeof inst.lease_remaining === 'number' && inst.lease_remaining > 0 &&
        inst.status !== 'maintenance') {
      refresh = Math.min(refresh, now + inst.lease_remaining * 1000 + 300);
    }
    words.push(inst.id, inst.address, String(inst.port), inst.status, ...(inst.tags || []));
    for (const [k, v] of Object.entries(inst.meta || {})) words.push(k + '=' + v);
  }
  svc.refreshAt = refresh;
  svc.text = words.join(' ').toLowerCase();
  svc.chips.replaceChildren(...Object.keys(byStatus).sort().map(
      (s) => h('span', {class: 'chip s-' + s}, byStatus[s] + ' ' + s)));
  renderInstances(svc, toggleMaintenance);
  if (filterText) applyFilterTo(svc);
}

function tick() {
  const now = performance.now();
  for (const span of document.querySelectorAll('details[open] .lease[data-deadline]')) {
    tickOne(span, now);
  }
  for (const svc of services.values()) {
    if (svc.open && !svc.watch && svc.detail && now >= svc.refreshAt) {
      svc.refreshAt = now + 1000; // at most one extra fetch a second
      enqueueFetch(svc);
    }
  }
}

// ---- writes and the token -----------------------------------------------------------

let tokenWaiter = null; // resolves the pending askToken() promise
let tokenAsked = null;   // that promise: writes waiting together share one form

function askToken(reason) {
  $('token-reason').textContent = reason;
  if (tokenAsked) return tokenAsked;
  $('token-form').hidden = false;
  $('token').value = '';
  $('token').focus();
  tokenAsked = new Promise((resolve) => { tokenWaiter = resolve; });
  return tokenAsked;
}

function closeTokenForm(token) {
  $('token-form').hidden = true;
  const resolve = tokenWaiter;
  tokenWaiter = null;
  tokenAsked = null;
  if (resolve) resolve(token);
}

// A write with the token kept for this tab; on 401/403 asks for one and tries again.
async function write(method, path, body) {
  for (;;) {
    const headers = {'Content-Type': 'application/json'};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const r = await fetch(path, {method, headers, body: JSON.stringify(body), cache: 'no-store'});
    if (r.status !== 401 && r.status !== 403) return r;
    let why = 'This dnsd needs a token to change anything.';
    try { why = (await r.json()).error || why; } catch (e) { /* keep the default */ }
    if (token) why = 'The token was refused (' + why + '). Try another one.';
    const got = await askToken(why);
    if (!got) return r;
    sessionStorage.setItem(TOKEN_KEY, got);
  }
}

async function toggleMaintenance(svc, inst, on, button) {
  button.disabled = true;
  const path = '/v1/services/' + enc(svc.name) + '/instances/' + enc(inst.id) + '/status';
  try {
    const r = await write('PUT', path, {status: on ? 'maintenance' : 'passing'});
    if (r.ok) {
      showMessage('');
    } else {
      let why = 'HTTP ' + r.status;
      try { why = (await r.json()).error || why; } catch (e) { /* keep the status */ }
      showMessage(svc.name + '/' + inst.id + ': ' + why, true);
    }
  } catch (e) {
    showMessage(svc.name + '/' + inst.id + ': ' + e.message, true);
  } finally {
    button.disabled = false;
  }
  if (!svc.watch) enqueueFetch(svc);
}

// ---- filter and toolbar -------------------------------------------------------------

function applyFilterTo(svc) {
  const hide = !!filterText && !svc.name.includes(filterText) && !svc.text.includes(filterText);
  if (svc.el.hidden !== hide) svc.el.hidden = hide;
}

function updateShown() {
  let shown = 0;
  for (const svc of services.values()) if (!svc.el.hidden) shown++;
  $('shown').textContent = filterText ? shown + ' of ' + services.size + ' services'
                                      : services.size + ' services';
}

function onFilter() {
  filterText = $('filter').value.trim().toLowerCase();
  for (const svc of services.values()) applyFilterTo(svc);
  updateShown();
  startWatches();
}

function setAllOpen(open) {
  for (const svc of services.values()) if (!svc.el.hidden) svc.el.open = open;
}

// ---- the main loop ------------------------------------------------------------------

async function pollLoop() {
  for (;;) {
    try {
      const st = await getJson('/v1/status');
      renderStatus(st);
      if (st.index !== listIndex) applyList(await getJson('/v1/services'));
      setConnected(true);
    } catch (e) {
      setConnected(false, e.message);
    }
    await sleep(POLL_MS);
  }
}

function main() {
  let debounce = null;
  $('filter').addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(onFilter, 100);
  });
  $('expand-all').addEventListener('click', () => setAllOpen(true));
  $('collapse-all').addEventListener('click', () => setAllOpen(false));
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    closeTokenForm($('token').value.trim() || null);
  });
  $('token-cancel').addEventListener('click', () => closeTokenForm(null));
  setInterval(tick, 250);
  pollLoop();
}

main();
