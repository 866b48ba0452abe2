// The inbox web page: the messages the sandbox accepted, newest first, each openable to show
// the rendered email (or SMS template parameters, or the text of an SMS authentication
// message) beside the raw signed request body.
//
// Safety: message data is untrusted (it comes from whoever calls the API). The script only
// ever inserts it with textContent / setAttribute-free properties, never innerHTML; email HTML
// goes into <iframe sandbox srcdoc> without allow-scripts and with its own CSP, so it can
// neither run script nor load anything remote. The page itself is served with a strict CSP
// (see PAGE_CSP) and its script is an external file, so no inline script is needed.
import { codeFitsProduct } from './errors.mjs';
import { PHONE_TRIGGER_PREFIXES, PHONE_TRIGGERS } from './faults.mjs';

function titleOf(rec) {
  if (rec.kind === 'email') return rec.subject;
  // An SMS authentication message shows its text when the template is a known gift one.
  if (rec.kind === 'sms-auth') return rec.text ?? rec.templateCode;
  return rec.templateCode;
}

/** Short form of a delivery for the list and the SSE events. */
export function summarize(rec) {
  return {
    id: rec.id,
    kind: rec.kind,
    action: rec.action,
    to: rec.to,
    title: titleOf(rec),
    receivedAt: rec.receivedAt,
    region: rec.region,
  };
}

/** The number prefixes under which a PHONE_TRIGGERS row works, e.g. "999NN, 1999NN". */
function triggerPrefixes(row) {
  return Object.entries(PHONE_TRIGGER_PREFIXES)
    .filter(([product]) => !row.code || codeFitsProduct(row.code, product))
    .map(([, prefix]) => prefix);
}

// srcdoc iframes inherit the parent's CSP, so the parent must allow what emails legitimately
// use (inline styles, data: images) and nothing remote.
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Put in front of every email body shown in the iframe.
export const EMAIL_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

export const INBOX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aliyun sandbox inbox</title>
<link rel="stylesheet" href="/__sandbox/inbox.css">
<script src="/__sandbox/inbox.js" defer></script>
</head>
<body>
<header>
  <h1>Aliyun sandbox inbox</h1>
  <span id="status" class="status">connecting…</span>
  <button id="clear" type="button">Clear all</button>
</header>
<main>
  <section id="list-pane" aria-label="Messages">
    <p id="empty" class="empty">No messages yet. Point a connector's <code>endpoint</code> at this server and send one.</p>
    <ul id="messages"></ul>
  </section>
  <section id="detail" aria-label="Message" hidden></section>
</main>
<details id="help">
  <summary>Fault triggers</summary>
  <p>Send to <code>fault-&lt;mode or code&gt;@any.domain</code> (or <code>you+fault-&lt;…&gt;@…</code>) for email,
  or a phone number containing <code>+fault-&lt;…&gt;</code>. Modes: reset, hang, slow, html502, truncated, nonjson, empty500, echo.
  Codes: any Aliyun code, e.g. <code>fault-Throttling.User@sandbox.test</code>. Append <code>-&lt;ms&gt;</code> to delay the answer.</p>
  <p>Digit-only phone numbers (Logto accepts only digits): <code>999</code> + two digits + anything
  for SendSms; <code>1999</code> + two digits + five digits for SMS authentication (SendSmsVerifyCode,
  mainland numbers only, e.g. <code>+8619995200000</code>):</p>
  <table id="phone-triggers"><thead><tr><th>prefix</th><th>fault</th></tr></thead><tbody>
${Object.entries(PHONE_TRIGGERS)
  .sort(([a], [b]) => Number(a) - Number(b))
  .map(
    ([k, v]) =>
      `  <tr><td>${triggerPrefixes(v)
        .map((p) => `<code>${p}${k}</code>`)
        .join(' ')}</td><td>${v.code ?? v.mode}</td></tr>`,
  )
  .join('\n')}
  </tbody></table>
</details>
</body>
</html>
`;

export const INBOX_CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; color-scheme: light dark; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 1rem; padding: .5rem 1rem; border-bottom: 1px solid #8884; }
header h1 { font-size: 1.1rem; margin: 0; }
.status { font-size: .85rem; opacity: .7; flex: 1; }
main { display: grid; grid-template-columns: minmax(16rem, 24rem) 1fr; min-height: calc(100vh - 3rem); }
#list-pane { border-right: 1px solid #8884; overflow: auto; }
#messages { list-style: none; margin: 0; padding: 0; }
#messages li { padding: .5rem .75rem; border-bottom: 1px solid #8882; cursor: pointer; }
#messages li:hover, #messages li:focus { background: #8881; outline: none; }
#messages li.selected { background: #4a90e233; }
.kind { display: inline-block; font-size: .7rem; text-transform: uppercase; padding: 0 .3rem; border-radius: .2rem; background: #8883; margin-right: .3rem; }
.kind-sms-auth { background: #2e7d3233; }
.title { font-weight: 600; overflow-wrap: anywhere; }
.meta { font-size: .8rem; opacity: .75; overflow-wrap: anywhere; }
.empty { padding: 1rem; opacity: .7; }
#detail { padding: 1rem; overflow: auto; }
#detail h2 { margin-top: 0; overflow-wrap: anywhere; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .9rem; }
dl.fields dt { font-weight: 600; }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 60rem) { .columns, main { grid-template-columns: 1fr; } }
iframe.body { width: 100%; min-height: 24rem; border: 1px solid #8884; background: #fff; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #8881; padding: .5rem; border-radius: .3rem; font-size: .85rem; }
#help { padding: .5rem 1rem; border-top: 1px solid #8884; font-size: .9rem; }
#help table { border-collapse: collapse; }
#help td, #help th { padding: 0 .75rem 0 0; text-align: left; }
`;

// Browser script. Plain ES2020, no framework. Everything user-controlled goes through
// textContent (via el()) or the iframe's srcdoc property.
export const INBOX_JS = `'use strict';
const EMAIL_CSP = ${JSON.stringify(EMAIL_CSP)};
const list = document.getElementById('messages');
const empty = document.getElementById('empty');
const detail = document.getElementById('detail');
const statusEl = document.getElementById('status');
const KIND_LABELS = { email: 'email', sms: 'sms', 'sms-auth': 'sms auth' };
let selected = null;

function el(tag, props, children) {
  const node = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v; else node[k] = v;
  }
  for (const c of children || []) if (c) node.append(c);
  return node;
}

function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}

function itemFor(m) {
  const li = el('li', { tabIndex: 0 }, [
    el('div', {}, [
      el('span', { className: 'kind kind-' + m.kind, text: KIND_LABELS[m.kind] || m.kind }),
      el('span', { className: 'title', text: m.title || '(no subject)' }),
    ]),
    el('div', { className: 'meta', text: m.to }),
    el('div', { className: 'meta', text: when(m.receivedAt), title: m.receivedAt }),
  ]);
  li.dataset.id = String(m.id);
  li.addEventListener('click', () => select(m.id));
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(m.id); });
  return li;
}

// Summaries by id. The list is always rebuilt from this map, so an SSE event that races the
// initial load (or a reconnect) can neither be lost nor shown twice.
const items = new Map();
const MAX_ITEMS = 500;

function render() {
  const sorted = [...items.values()].sort((a, b) => b.id - a.id).slice(0, MAX_ITEMS);
  if (items.size > sorted.length) {
    items.clear();
    for (const m of sorted) items.set(m.id, m);
  }
  list.replaceChildren(...sorted.map(itemFor));
  for (const li of list.children) li.classList.toggle('selected', li.dataset.id === String(selected));
  empty.hidden = sorted.length > 0;
}

function add(m) {
  items.set(m.id, m);
  render();
}

function fields(rows) {
  const dl = el('dl', { className: 'fields' });
  for (const [k, v] of rows) if (v !== null && v !== undefined && v !== '') dl.append(el('dt', { text: k }), el('dd', { text: String(v) }));
  return dl;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function renderEmail(m) {
  const from = m.fromAlias ? m.fromAlias + ' <' + m.accountName + '>' : m.accountName;
  const body = [];
  if (m.htmlBody !== null) {
    const frame = el('iframe', { className: 'body', title: 'HTML body' });
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.srcdoc = '<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="' + EMAIL_CSP + '">' + m.htmlBody;
    body.push(el('h3', { text: 'HTML body' }), frame);
  }
  if (m.textBody !== null) body.push(el('h3', { text: 'Text body' }), el('pre', { className: 'text-body', text: m.textBody }));
  return [
    el('h2', { className: 'subject', text: m.subject }),
    fields([['From', from], ['To', m.to], ['Reply-To', m.replyAddress], ['Region', m.region], ['Host', m.host],
      ['Received', when(m.receivedAt)], ['EnvId', m.envId], ['RequestId', m.requestId]]),
    el('div', { className: 'columns' }, [el('div', {}, body), raw(m)]),
  ];
}

function renderSms(m) {
  return [
    el('h2', { className: 'subject', text: m.templateCode }),
    fields([['To', m.to], ['SignName', m.signName], ['TemplateCode', m.templateCode], ['Region', m.region],
      ['Host', m.host], ['Received', when(m.receivedAt)], ['BizId', m.bizId], ['RequestId', m.requestId]]),
    el('div', { className: 'columns' }, [
      el('div', {}, [el('h3', { text: 'TemplateParam' }), el('pre', { className: 'template-param', text: m.templateParam === null ? '(none)' : pretty(m.templateParam) })]),
      raw(m),
    ]),
  ];
}

function renderSmsAuth(m) {
  return [
    el('h2', { className: 'subject', text: m.templateCode }),
    fields([['To', m.to], ['SignName', m.signName], ['TemplateCode', m.templateCode], ['VerifyCode', m.verifyCode],
      ['OutId', m.outId], ['Region', m.region], ['Host', m.host], ['Received', when(m.receivedAt)], ['BizId', m.bizId],
      ['RequestId', m.requestId]]),
    el('div', { className: 'columns' }, [
      el('div', {}, [
        el('h3', { text: 'Message' }),
        el('pre', { className: 'sms-text', text: m.text === null ? '(not a gift template: no text to show)' : m.text }),
        el('h3', { text: 'TemplateParam' }),
        el('pre', { className: 'template-param', text: pretty(m.templateParam) }),
      ]),
      raw(m),
    ]),
  ];
}

const RENDERERS = { email: renderEmail, sms: renderSms, 'sms-auth': renderSmsAuth };

function raw(m) {
  return el('div', {}, [el('h3', { text: 'Raw signed request body' }), el('pre', { className: 'raw', text: m.rawBody })]);
}

async function select(id) {
  selected = id;
  for (const li of list.children) li.classList.toggle('selected', li.dataset.id === String(id));
  if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
  const res = await fetch('/__sandbox/api/messages/' + encodeURIComponent(id));
  if (selected !== id) return;
  detail.hidden = false;
  if (!res.ok) { detail.replaceChildren(el('p', { text: 'Message ' + id + ' not found.' })); return; }
  const m = await res.json();
  detail.replaceChildren(...(RENDERERS[m.kind] || renderSms)(m));
}

let firstLoad = true;
async function load() {
  const res = await fetch('/__sandbox/api/messages?summary=1&limit=' + MAX_ITEMS);
  for (const m of await res.json()) items.set(m.id, m);
  render();
  if (firstLoad) {
    firstLoad = false;
    const fromHash = Number(location.hash.slice(1));
    if (fromHash && items.has(fromHash)) await select(fromHash);
  }
  document.body.dataset.loaded = 'true';
}

// Subscribe first, then (re)load on every (re)connect: whatever was delivered while the
// stream was down is picked up by the load, whatever comes later by the stream.
function listen() {
  const source = new EventSource('/__sandbox/events');
  source.addEventListener('open', () => {
    statusEl.textContent = 'live';
    load().catch((e) => { statusEl.textContent = 'failed to load: ' + e.message; });
  });
  source.addEventListener('error', () => { statusEl.textContent = 'reconnecting…'; });
  source.addEventListener('message', (e) => add(JSON.parse(e.data)));
  source.addEventListener('clear', () => {
    items.clear(); render(); detail.hidden = true; detail.replaceChildren(); selected = null;
  });
}

document.getElementById('clear').addEventListener('click', async () => {
  if (confirm('Delete every message?')) await fetch('/__sandbox/api/messages', { method: 'DELETE' });
});

listen();
`;
