// The resident display page. It draws the one Screen the daemon sent (runtime/flows/screen-model.ts) and
// sends back keys and touches (Help too: the engine puts the explanation on the screen); it keeps
// nothing else. Every render replaces the whole screen, and a lost connection wipes it, so what a
// resident typed or measured never outlives the session.

const KEY_BADGES = { ok: 'OK', back: '◀', help: '?', home: '⌂' };

// The few words the page adds itself; everything else comes in the Screen, already translated.
const WORDS = {
  vi: {
    amount: 'Số tiền', reference: 'Mã hóa đơn', timeLeft: 'Còn lại', seconds: 'giây', currency: 'đồng', keys: 'Phím',
    emergency: 'Khẩn cấp',
    offline: 'Mất kết nối với trung tâm. Dữ liệu được lưu và sẽ gửi khi có mạng lại.',
    maintenance: 'Trạm đang bảo trì.',
  },
  en: {
    amount: 'Amount', reference: 'Bill reference', timeLeft: 'Time left', seconds: 's', currency: 'VND', keys: 'Keys',
    emergency: 'Emergency',
    offline: 'Central link is down. Records are kept and sent when it is back.',
    maintenance: 'The station is under maintenance.',
  },
};

// Browser keys that stand in for the keypad (PC keyboard, USB numeric pad).
const KEYBOARD = {
  Enter: 'ok', Backspace: 'back', Escape: 'back', F1: 'help', h: 'help', H: 'help', Home: 'home', '*': '*', '#': '#',
};
// A USB numeric pad reports Home, End, arrows... for its digits when Num Lock is off; the station
// has no use for those, so its keys are read by position (KeyboardEvent.code) instead.
const NUMPAD = { NumpadEnter: 'ok', NumpadMultiply: '*' };
// The emergency key for a USB keyboard (and tests): F9, which no numeric pad has and Chromium binds
// to nothing; Help's F1 and the digits are far from it.
const EMERGENCY_KEY = 'F9';
for (let d = 0; d <= 9; d++) {
  KEYBOARD[String(d)] = String(d);
  NUMPAD[`Numpad${d}`] = String(d);
}

const el = {
  body: document.body,
  banners: document.getElementById('banners'),
  title: document.getElementById('title'),
  screen: document.getElementById('screen'),
  keys: document.getElementById('keys'),
  emergency: document.getElementById('emergency'),
  emergencyWord: document.querySelector('#emergency .emergency-word'),
};

let words = WORDS.vi;
let countdownTimer;
let source;
let retryTimer;
let pageVersion;

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function keyButton(key, label, className) {
  const button = h('button', className);
  button.type = 'button';
  button.dataset.key = key;
  button.append(h('span', 'badge', KEY_BADGES[key] ?? key), h('span', 'label', label));
  return button;
}

function renderBanners(screen) {
  const banners = [];
  if (screen.banners?.offline) banners.push(h('div', 'banner banner-offline', words.offline));
  if (screen.banners?.maintenance) banners.push(h('div', 'banner banner-maintenance', words.maintenance));
  el.banners.replaceChildren(...banners);
}

function renderOptions(options) {
  const list = h('div', 'options');
  list.dataset.count = String(options.length);
  for (const option of options) {
    const button = h('button', 'option');
    button.type = 'button';
    button.dataset.key = option.key;
    const text = h('span', 'text');
    text.append(h('span', 'label', option.label));
    if (option.hint) text.append(h('span', 'hint', option.hint));
    button.append(h('span', 'badge', KEY_BADGES[option.key] ?? option.key), text);
    list.append(button);
  }
  return list;
}

// A mask marks character positions with `_` or `#`; anything else is a separator between groups.
// The screen's text goes in the left column above the field, so the keypad's twin keeps the whole
// height on the right and its last row never falls under the key bar.
function renderField(input, body) {
  const value = Array.from(input.value ?? '');
  const wrap = h('div', 'input-area');
  const left = h('div', 'input-left');
  if (body) left.append(body);
  let field;
  if (input.mask) {
    field = h('div', 'field');
    let i = 0;
    for (const c of input.mask) {
      if (c === '_' || c === '#') {
        const ch = value[i++];
        field.append(h('span', ch === undefined ? 'slot' : 'slot filled', ch ?? ''));
      } else {
        field.append(h('span', 'sep', c === ' ' ? '' : c));
      }
    }
  } else {
    field = h('div', 'field-plain', input.value ?? '');
  }
  field.setAttribute('aria-label', input.placeholder ?? '');
  left.append(field);
  if (input.placeholder && value.length === 0) left.append(h('div', 'placeholder', input.placeholder));
  wrap.append(left);
  // The physical keypad's twin for residents who touch instead: the same twelve keys in the same
  // places, so what the screen says about a key (e.g. "* to delete") holds for both.
  const pad = h('div', 'pad');
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const button = h('button', '', key);
    button.type = 'button';
    button.dataset.key = key;
    pad.append(button);
  }
  wrap.append(pad);
  return wrap;
}

function renderProgress(progress) {
  const box = h('div', 'progress');
  box.append(h('div', 'progress-label', progress.label));
  if (progress.value !== undefined && progress.value !== null) {
    const reading = h('div', 'reading', progress.value);
    if (progress.unit) reading.append(h('span', 'unit', progress.unit));
    box.append(reading);
  }
  if (typeof progress.fraction === 'number') {
    const bar = h('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuenow', String(Math.round(progress.fraction * 100)));
    const fill = h('div', 'bar-fill');
    fill.style.width = `${Math.max(0, Math.min(1, progress.fraction)) * 100}%`;
    bar.append(fill);
    box.append(bar);
  }
  return box;
}

// A band that only repeats its row's value (a dossier's status) is drawn in the value's place, once;
// the band column exists only for bands that add to a value (a blood pressure's class).
function renderRows(rows) {
  const own = (row) => row.band && row.band !== row.value;
  const table = h('table', rows.some(own) ? 'rows has-bands' : 'rows');
  for (const row of rows) {
    const tr = h('tr');
    tr.append(h('td', 'label', row.label));
    const chip = row.band ? h('span', `band tone-${row.tone ?? 'neutral'}`, row.band) : undefined;
    let value;
    if (chip && !own(row)) {
      value = h('td', 'value value-text');
      value.append(chip);
    } else {
      // Figures stay large; sentences (a procedure's name, what to do) read better at body size.
      value = h('td', row.value.length > 18 ? 'value value-text' : 'value', row.value);
      if (row.unit) value.append(h('span', 'unit', row.unit));
    }
    tr.append(value);
    const band = h('td', 'band-cell');
    if (chip && own(row)) band.append(chip);
    tr.append(band);
    table.append(tr);
  }
  return table;
}

function formatAmount(amount, locale) {
  return `${new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-US').format(amount)} ${words.currency}`;
}

function renderCountdown(seconds) {
  const box = h('div', 'countdown');
  const value = h('span', 'seconds', seconds);
  box.append(h('span', 'countdown-label', `${words.timeLeft}: `), value, h('span', 'countdown-unit', ` ${words.seconds}`));
  // Ticks locally between the engine's updates; each new screen restarts it from the engine's figure.
  const deadline = performance.now() + seconds * 1000;
  countdownTimer = setInterval(() => {
    value.textContent = String(Math.max(0, Math.ceil((deadline - performance.now()) / 1000)));
  }, 250);
  return box;
}

// The payment screen: the code on one side, and on the other what is paid, how long is left, what to
// do and how to cancel, one under the other.
function renderPay(view, body, options) {
  const { screen } = view;
  const pay = h('div', 'pay');
  if (view.qrSvg) {
    const qr = h('div', 'qr');
    qr.setAttribute('role', 'img');
    qr.setAttribute('aria-label', 'VietQR');
    // Drawn by the daemon from the engine's payload with the qrcode package; no flow text inside.
    qr.innerHTML = view.qrSvg;
    pay.append(qr);
  }
  const facts = h('div', 'pay-facts');
  if (typeof screen.qr.amount === 'number') {
    facts.append(h('div', 'fact-label', words.amount), h('div', 'amount', formatAmount(screen.qr.amount, screen.locale)));
  }
  if (screen.qr.reference) facts.append(h('div', 'fact-label', words.reference), h('div', 'reference', screen.qr.reference));
  if (typeof screen.countdown === 'number') facts.append(renderCountdown(screen.countdown));
  const side = h('div', 'pay-side');
  side.append(facts, ...[body, options].filter(Boolean));
  pay.append(side);
  return pay;
}

function render(view) {
  const { screen } = view;
  clearInterval(countdownTimer);
  words = WORDS[screen.locale] ?? WORDS.vi;
  document.documentElement.lang = screen.locale;
  el.body.dataset.kind = screen.kind;
  el.body.dataset.tone = screen.tone ?? 'neutral';
  el.body.dataset.seq = String(view.seq);
  el.title.textContent = screen.title;
  el.emergencyWord.textContent = words.emergency;
  el.emergency.lang = screen.locale;
  renderBanners(screen);

  const parts = [];
  const body = screen.body?.length ? h('div', 'body') : undefined;
  for (const paragraph of screen.body ?? []) body.append(h('p', '', paragraph));
  // On a result the measured values come first and the advice follows them; elsewhere the
  // instructions come first.
  const paying = Boolean(screen.qr);
  if (body && !paying && !screen.input && !(screen.kind === 'result' && screen.rows?.length)) parts.push(body);
  // A working step (lookup, submit, print) says what it is doing; the spinner shows it has not hung.
  if (screen.kind === 'lookup') parts.push(h('div', 'spinner'));
  if (screen.progress) parts.push(renderProgress(screen.progress));
  // The page just scanned (scan step): a small JPEG the daemon made, this resident's only.
  if (typeof screen.preview === 'string' && screen.preview.startsWith('data:image/jpeg;base64,')) {
    const preview = h('img', 'preview');
    preview.src = screen.preview;
    preview.alt = '';
    parts.push(preview);
  }
  if (screen.input) parts.push(renderField(screen.input, body));
  if (screen.rows?.length) parts.push(renderRows(screen.rows));
  if (body && screen.kind === 'result' && screen.rows?.length) parts.push(body);
  const options = screen.options?.length ? renderOptions(screen.options) : undefined;
  if (paying) parts.push(renderPay(view, body, options));
  else if (typeof screen.countdown === 'number') parts.push(renderCountdown(screen.countdown));
  if (options && !paying) parts.push(options);
  if (screen.errorCode) parts.push(h('div', 'error-code', screen.errorCode));
  const content = h('div', 'content');
  content.append(...parts);
  el.screen.replaceChildren(content);
  fit();

  el.keys.setAttribute('aria-label', words.keys);
  el.keys.replaceChildren(...screen.keys.map((k) => keyButton(k.key, k.label, 'key-button')));
}

// Long screens (a full health result, a notice) shrink until they fit rather than lose their last
// lines: nothing below the fold can be scrolled to from a keypad. Never below 75 %, nor so far that
// body type falls under 16 px (small type has its own floor, --min-type); touch targets keep 48 px
// (the CSS divides their minimum by --zoom). What still does not fit is the engine's to page.
const MIN_ZOOM = 0.75;
const MIN_TYPE_PX = 16;
function fit() {
  const content = el.screen.firstElementChild;
  if (!content) return;
  const rootPx = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const floor = Math.max(MIN_ZOOM, MIN_TYPE_PX / rootPx);
  let zoom = 1;
  content.style.zoom = '';
  content.style.removeProperty('--zoom');
  while (zoom > floor && el.screen.scrollHeight > el.screen.clientHeight + 1) {
    zoom = Math.max(floor, zoom - 0.05);
    content.style.zoom = String(zoom);
    content.style.setProperty('--zoom', String(zoom));
  }
}
addEventListener('resize', fit);

// Forgets the screen entirely: used while the daemon is away, so nothing personal stays visible.
function wipe() {
  clearInterval(countdownTimer);
  el.body.dataset.connected = 'false';
  el.body.dataset.kind = 'none';
  el.body.dataset.seq = '';
  el.title.textContent = '';
  el.banners.replaceChildren();
  el.screen.replaceChildren();
  el.keys.replaceChildren();
}

function connect() {
  clearTimeout(retryTimer);
  source = new EventSource('/events');
  source.addEventListener('screen', (event) => {
    const view = JSON.parse(event.data);
    // The daemon came back with other page files (an update): load them instead of running old code.
    if (pageVersion !== undefined && view.pageVersion !== pageVersion) {
      source.close();
      location.reload();
      return;
    }
    pageVersion = view.pageVersion;
    render(view);
    el.body.dataset.connected = 'true';
  });
  source.addEventListener('error', () => {
    wipe();
    // EventSource retries by itself after a dropped stream, but gives up for good after an HTTP
    // error (WHATWG HTML §9.2.3); then start over on our own.
    if (source.readyState === EventSource.CLOSED) retryTimer = setTimeout(connect, 1000);
  });
}

// Keys go to the daemon one request at a time, so fast typing arrives in the order it was typed
// (parallel requests may be answered in any order). A request that hangs gives up after 3 s so it
// cannot hold the keys behind it; the emergency key never waits behind them.
let sending = Promise.resolve();

function post(event) {
  return fetch('/input', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(event),
    cache: 'no-store',
    signal: AbortSignal.timeout(3000),
  }).catch(() => {
    // The daemon is away; the event stream shows "please wait" until it is back.
  });
}

function send(event) {
  if (event.type === 'emergency') {
    post(event);
    return;
  }
  sending = sending.then(() => post(event));
}

// Lights the thing the resident pressed so they see the station heard them.
function flash(key) {
  for (const node of document.querySelectorAll(`#screen [data-key="${CSS.escape(key)}"], #keys [data-key="${CSS.escape(key)}"]`)) {
    node.classList.add('pressed');
    setTimeout(() => node.classList.remove('pressed'), 180);
  }
}

document.addEventListener('keydown', (event) => {
  if (event.key === EMERGENCY_KEY) {
    event.preventDefault();
    if (!event.repeat) send({ type: 'emergency' });
    return;
  }
  const key = NUMPAD[event.code] ?? KEYBOARD[event.key];
  if (!key) return;
  event.preventDefault();
  if (event.repeat) return;
  // The request leaves before the highlight's style work, which would otherwise delay it.
  send({ type: 'key', key });
  flash(key);
});

// Emergency from any screen: a press is one event; the engine ignores a second one while its
// emergency flow runs.
el.emergency.addEventListener('click', () => send({ type: 'emergency' }));

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-key]') : null;
  if (!target) return;
  send({ type: 'touch', key: target.dataset.key });
});

document.addEventListener('contextmenu', (event) => event.preventDefault());

connect();
