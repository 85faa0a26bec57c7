// The emulator's dashboard: views over the admin API of this origin. Every value shown is set
// as text, never as HTML (request bodies come from whatever called the emulator).
'use strict';
const query = new URLSearchParams(location.search);
const TOKEN = query.get('token') || sessionStorage.getItem('emulator-token') || '';
if (query.get('token')) {
  // Kept for this tab only, and out of the address bar (and of screenshots and history).
  sessionStorage.setItem('emulator-token', TOKEN);
  history.replaceState(null, '', location.pathname + location.hash);
}
const $ = (s) => document.querySelector(s);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const kid of kids.flat()) if (kid != null) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}

async function api(method, path, body) {
  const res = await fetch('/__emulator/' + path, {
    method,
    headers: { 'X-Emulator-Token': TOKEN, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let value;
  try { value = JSON.parse(text); } catch (_) { value = text; }
  if (!res.ok) throw new Error((value && value.message) || res.status);
  return value;
}

function toast(text, bad) {
  const t = $('#toast');
  t.textContent = text;
  t.className = 'on' + (bad ? ' bad' : '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = ''; }, 3000);
}

async function act(label, method, path, body) {
  try {
    await api(method, path, body);
    toast(label + ': done');
  } catch (e) {
    toast(label + ': ' + e.message, true);
  }
  refresh();
}

// Views --------------------------------------------------------------------------------------

let view = 'requests';
function show(name) {
  view = name;
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('on', b.dataset.view === name));
  document.querySelectorAll('.view').forEach((v) => v.classList.toggle('on', v.id === name));
  refresh();
}
document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => show(b.dataset.view)));

// Requests: appended as they come (the journal's seq), filtered on the client.
let lastSeq = 0;
const requests = [];
function verdictClass(r) { return r.verdict === 'signature ok' ? 'ok' : 'bad'; }
function requestRow(r) {
  return el('tr', { 'data-seq': r.seq, on: { click: () => openRequest(r.seq) } },
    el('td', {}, r.seq), el('td', {}, r.method),
    el('td', { title: r.path }, r.template || r.path), el('td', {}, r.protocol + ' ' + r.version),
    el('td', {}, r.status), el('td', { class: verdictClass(r) }, r.verdict));
}
function filterRequests() {
  const f = $('#filter').value.toLowerCase();
  for (const tr of $('#request-list tbody').children) {
    tr.hidden = f !== '' && !tr.textContent.toLowerCase().includes(f) && !tr.cells[2].title.toLowerCase().includes(f);
  }
}
$('#filter').addEventListener('input', filterRequests);
async function loadRequests() {
  const fresh = await api('GET', 'requests?since=' + lastSeq);
  const body = $('#request-list tbody');
  for (const r of fresh) {
    requests.push(r);
    lastSeq = Math.max(lastSeq, r.seq);
    body.prepend(requestRow(r));
  }
  while (body.children.length > 1000) body.lastChild.remove();
  if (fresh.length) filterRequests();
}
function kv(pairs) {
  return el('table', {}, el('tbody', {}, pairs.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
}
function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}
async function openRequest(seq) {
  document.querySelectorAll('#request-list tr.sel').forEach((t) => t.classList.remove('sel'));
  const tr = document.querySelector(`#request-list tr[data-seq="${seq}"]`);
  if (tr) tr.classList.add('sel');
  const r = await api('GET', 'requests/' + seq);
  const auth = Object.entries(r.authorization || {});
  $('#request-detail').replaceChildren(
    el('h2', {}, r.method + ' ' + r.path + (r.query ? '?' + r.query : '')),
    el('p', { class: verdictClass(r) }, r.status + ' · ' + r.verdict),
    el('h2', {}, 'Authorization'), auth.length ? kv(auth) : el('p', { class: 'muted' }, 'none'),
    el('h2', {}, 'Canonical string the emulator checked'), el('pre', {}, r.canonical),
    el('h2', {}, 'Headers'), kv(r.headers),
    el('h2', {}, 'Body'), el('pre', {}, pretty(r.body) || '(empty)'),
    el('h2', {}, 'Answer'), el('pre', {}, pretty(r.answer) || '(empty)'));
}

// Orders and refunds.
function payLink(no) {
  return location.origin + '/__emulator/?token=' + encodeURIComponent(TOKEN) + '#pay=' + encodeURIComponent(no);
}
function pay(no) {
  const openid = $('#payer').value.trim();
  act('pay ' + no, 'POST', 'orders/' + encodeURIComponent(no) + '/pay', openid ? { openid } : {});
}
function orderRow(o) {
  const no = o.out_trade_no;
  const enc = encodeURIComponent(no);
  const open = o.trade_state === 'NOTPAY';
  return el('tr', { 'data-no': no, on: { click: (e) => { if (e.target.tagName !== 'BUTTON') openOrder(o); } } },
    el('td', {}, no), el('td', {}, o.trade_type), el('td', {}, o.trade_state),
    el('td', {}, (o.amount && o.amount.total) + ' ' + ((o.amount && o.amount.currency) || '')),
    el('td', {}, (o.payer && o.payer.openid) || ''), el('td', {}, o.transaction_id || ''),
    el('td', {}, open ? [
      el('button', { class: 'pay', on: { click: () => pay(no) } }, 'pay'),
      el('button', { class: 'expire', on: { click: () => act('expire ' + no, 'POST', 'orders/' + enc + '/expire') } }, 'expire'),
      el('button', { class: 'close', on: { click: () => act('close ' + no, 'POST', 'orders/' + enc + '/close') } }, 'close'),
    ] : []));
}
async function openOrder(o) {
  const no = o.out_trade_no;
  const [history, deliveries] = await Promise.all([api('GET', 'requests?mentions=' + encodeURIComponent(no)), api('GET', 'deliveries')]);
  const notes = deliveries.filter((d) => d.subject === no);
  const side = [el('h2', {}, 'History'),
    el('ul', {}, history.map((r) => el('li', {}, '#' + r.seq + ' ' + r.method + ' ' + (r.template || r.path) + ' → ' + r.status + ' ' + r.verdict)),
      notes.map((d) => el('li', {}, d.event_type + ' attempt ' + d.attempt + ' → ' + (d.status || '-') + ' ' + d.outcome)))];
  if (o.trade_type === 'NATIVE' && o.trade_state === 'NOTPAY') {
    const link = payLink(no);
    side.unshift(el('div', { class: 'cols' },
      el('img', { class: 'qr', alt: 'QR code: pay ' + no, src: '/__emulator/qr.svg?text=' + encodeURIComponent(link) }),
      el('p', {}, 'The buyer scans this code: it opens ', el('a', { href: link, target: '_blank' }, 'the pay link'),
        ', which pays the order as the buyer\u2019s phone would.')));
  }
  $('#order-detail').replaceChildren(el('h2', {}, 'Order ' + no),
    el('div', { class: 'split' }, el('pre', {}, JSON.stringify(o, null, 2)), el('div', {}, side)));
}
function refundRow(r) {
  const no = encodeURIComponent(r.out_refund_no);
  return el('tr', { 'data-no': r.out_refund_no },
    el('td', {}, r.out_refund_no), el('td', {}, r.out_trade_no), el('td', {}, r.status),
    el('td', {}, r.amount.refund + ' / ' + r.amount.total),
    el('td', {},
      el('button', { on: { click: () => act('refund success', 'POST', 'refunds/' + no + '/success') } }, 'success'),
      el('button', { on: { click: () => act('refund abnormal', 'POST', 'refunds/' + no + '/abnormal') } }, 'abnormal')));
}
async function loadOrders() {
  const [orders, refunds] = await Promise.all([api('GET', 'orders'), api('GET', 'refunds')]);
  $('#order-list tbody').replaceChildren(...orders.slice().reverse().map(orderRow));
  $('#refund-list tbody').replaceChildren(...refunds.slice().reverse().map(refundRow));
}

// Notifications.
function deliveryRow(d) {
  const answer = (d.status == null ? '-' : d.status) + (d.millis == null ? '' : ' in ' + d.millis + ' ms');
  const outcome = d.outcome + (d.next_retry_seconds ? ', next in ' + d.next_retry_seconds + ' s' : '') + (d.error ? ' (' + d.error + ')' : '');
  return el('tr', { 'data-id': d.id, class: d.outcome, on: { click: (e) => { if (e.target.tagName !== 'BUTTON') openDelivery(d); } } },
    el('td', {}, d.event_type), el('td', {}, d.subject), el('td', {}, d.attempt), el('td', {}, answer),
    el('td', { class: d.outcome === 'delivered' ? 'ok' : 'bad' }, outcome), el('td', {}, d.url),
    el('td', {}, el('button', { class: 'redeliver', on: { click: () => act('re-deliver ' + d.event_type, 'POST', 'deliveries/' + d.id + '/redeliver') } }, 're-deliver')));
}
function openDelivery(d) {
  $('#delivery-detail').replaceChildren(
    el('h2', {}, d.event_type + ' → ' + d.url + ' (attempt ' + d.attempt + ')'),
    el('div', { class: 'split' },
      el('div', {}, el('h2', {}, 'Sealed, as sent'), el('pre', {}, d.envelope ? pretty(d.envelope) : '(not sent)')),
      el('div', {}, el('h2', {}, 'Decrypted resource'), el('pre', {}, JSON.stringify(d.resource, null, 2)))),
    el('h2', {}, 'The handler answered'), el('pre', {}, (d.status == null ? 'no answer' : d.status) + '\n' + (d.reply || '')));
}
async function loadDeliveries() {
  const list = await api('GET', 'deliveries');
  $('#deliveries tbody').replaceChildren(...list.map(deliveryRow).reverse());
  if (!$('#events').children.length) {
    const all = await api('GET', 'notifications');
    $('#events').replaceChildren(...all.map((n) => el('option', { value: n.name }, n.title)));
  }
}
$('#due').addEventListener('click', () => act('deliver due now', 'POST', 'deliveries/due'));
$('#send').addEventListener('submit', async (e) => {
  e.preventDefault();
  let resource;
  try { resource = JSON.parse($('#send-resource').value || '{}'); } catch (err) { toast('resource: ' + err.message, true); return; }
  const name = $('#send-event').value.trim();
  const body = { to: $('#send-url').value.trim(), resource, retry: $('#send-retry').checked };
  try {
    const r = await api('POST', 'notify/' + name.split('/').map(encodeURIComponent).join('/'), body);
    $('#send-result').textContent = r.scheduled ? 'scheduled' : 'answered ' + r.status + (r.accepted ? ' (accepted)' : ' (not the documented success)');
    $('#send-sent').hidden = !r.resource;
    if (r.resource) $('#send-sent').textContent = JSON.stringify(r.resource, null, 2);
  } catch (err) {
    $('#send-result').textContent = err.message;
  }
  refresh();
});

// Bills and keys.
function loadFiles() {
  const date = $('#bill-date');
  if (!date.value) date.value = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  $('#bill-trade').href = '/__emulator/bills/trade?date=' + date.value;
  $('#bill-fundflow').href = '/__emulator/bills/fundflow?date=' + date.value;
  const files = ['apiclient_key.pem', 'apiclient_cert.pem', 'pub_key.pem', 'wechatpay_platform.pem', 'emulator_ca.pem', 'env.sh'];
  const t = encodeURIComponent(TOKEN);
  $('#key-files').replaceChildren(...files.map((f) => el('li', {}, el('a', { href: '/__emulator/keys/' + f + '?token=' + t, download: f }, f))));
  api('GET', 'bills').then((b) => { $('#same-day').checked = b.same_day_bills; }, () => {});
  api('GET', 'keys/env.sh').then((text) => { $('#env-lines').textContent = text; }, (e) => { $('#env-lines').textContent = e.message; });
}
$('#bill-date').addEventListener('change', loadFiles);
$('#same-day').addEventListener('change', (e) => act('same-day bills', e.target.checked ? 'POST' : 'DELETE', 'same-day-bills'));

// Key mode and faults.
const FAULTS = [['DropConnection', 'drop the connection'], ['Slow', 'slow (1 s)'], ['BadSignature', 'bad signature'],
  ['SkewedClock', 'skewed clock'], ['WrongSerial', 'unknown serial'], ['ServerError', 'server error (500)']];
async function loadSettings() {
  const [config, faults] = await Promise.all([api('GET', 'config'), api('GET', 'faults')]);
  $('#strict').checked = !!config.strict;
  const on = new Set(faults.map((f) => f.replace(/\(.*$/, '')));
  $('#faults').replaceChildren(...FAULTS.map(([name, label]) => el('label', {},
    el('input', { type: 'checkbox', 'data-fault': name, ...(on.has(name) ? { checked: '' } : {}),
      on: { change: (e) => act(label, e.target.checked ? 'POST' : 'DELETE', 'faults/' + name) } }), ' ' + label, el('br'))));
  try {
    const m = await api('GET', 'mode');
    $('#mode').value = m.mode;
    $('#mode-result').textContent = '';
  } catch (e) {
    $('#mode-result').textContent = 'this emulator has no mode switch: ' + e.message;
  }
}
$('#strict').addEventListener('change', (e) => act('strict', e.target.checked ? 'POST' : 'DELETE', 'strict'));
$('#mode').addEventListener('change', (e) => act('key mode', 'PUT', 'mode', { mode: e.target.value }));

// Polling: the requests always (they are the live list), the open view's data.
async function refresh() {
  try {
    await loadRequests();
    if (view === 'orders') await loadOrders();
    if (view === 'notifications') await loadDeliveries();
    if (view === 'files') loadFiles();
    if (view === 'settings') await loadSettings();
    $('#status').textContent = TOKEN ? 'live' : 'read-only: open the URL the emulator printed';
  } catch (e) {
    $('#status').textContent = 'emulator unreachable: ' + e.message;
  }
}
setInterval(() => { if (view === 'requests' || view === 'orders' || view === 'notifications') refresh(); }, 1000);

// The buyer's link (the QR code of a Native order): pays, then shows the order.
(async () => {
  const m = /^#pay=(.+)$/.exec(location.hash);
  if (m) {
    const no = decodeURIComponent(m[1]);
    history.replaceState(null, '', location.pathname);
    await act('the buyer paid ' + no, 'POST', 'orders/' + encodeURIComponent(no) + '/pay', {});
    show('orders');
  } else {
    refresh();
  }
})();
