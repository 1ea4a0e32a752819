// The live dashboard: counters from the SSE stream, top items per location from the HTTP API.
// Plain browser JavaScript with no build step. All text goes into the page through textContent,
// never as HTML, because item and location names can hold anything.

const REFETCH_MIN_INTERVAL_MS = 1000;
const BACKLOG_POLL_MS = 1000;
const SAFETY_REFRESH_MS = 30_000;
const RECONNECT_DELAY_MS = 3000;
const TOP_CHOICES = [5, 10, 20];
const DEFAULT_TOP = 5;
const COUNTERS = ['accepted', 'stored', 'duplicates', 'conflicts', 'invalid', 'unknown_location'];
const WINDOW_LABELS = { all: 'all time', 'last:1h': 'last hour', 'last:24h': 'last 24 hours' };
const WINDOWS = Object.keys(WINDOW_LABELS);

const numberFormat = new Intl.NumberFormat();
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const state = {
  location: '',
  window: 'all',
  top: DEFAULT_TOP,
  locations: new Map(),
  pickerOids: new Set(),
  stats: null,
  statsSignature: '',
  lastFetchAt: 0,
  fetchTimer: 0,
  fetching: false,
  fetchAgain: false,
  requestSerial: 0,
  source: null,
};

const $ = (selector) => document.querySelector(selector);

/** Creates an element; `text` is always set as text, so markup in data stays inert. */
function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function compareOids(a, b) {
  const negativeA = a.startsWith('-');
  const negativeB = b.startsWith('-');
  if (negativeA !== negativeB) return negativeA ? -1 : 1;
  const order = a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return negativeA ? -order : order;
}

// ---------------------------------------------------------------------------------------------
// URL state: the hash keeps the chosen location, window and top across reloads.

function readHash() {
  const params = new window.URLSearchParams(window.location.hash.slice(1));
  const windowParam = params.get('window');
  const topParam = Number(params.get('top'));
  state.location = /^-?\d+$/.test(params.get('location') || '') ? params.get('location') : '';
  state.window = WINDOWS.includes(windowParam) ? windowParam : 'all';
  state.top = TOP_CHOICES.includes(topParam) ? topParam : DEFAULT_TOP;
}

function writeHash() {
  const params = new window.URLSearchParams();
  if (state.location) params.set('location', state.location);
  if (state.window !== 'all') params.set('window', state.window);
  if (state.top !== DEFAULT_TOP) params.set('top', String(state.top));
  const hash = params.toString();
  window.history.replaceState(null, '', hash ? `#${hash}` : window.location.pathname + window.location.search);
}

// ---------------------------------------------------------------------------------------------
// Counters and connection state

function setConnection(connection, label) {
  const node = $('[data-testid="connection"]');
  node.dataset.state = connection;
  $('[data-testid="connection-label"]').textContent = label;
}

function setCounter(name, value, display) {
  const node = $(`[data-testid="counter-${name}"]`);
  const text = value === null || value === undefined ? '–' : String(value);
  if (node.dataset.value === text) return;
  const changed = node.dataset.value !== '';
  node.dataset.value = text;
  node.querySelector('.counter-value').textContent = display ?? (value === null || value === undefined ? '–' : numberFormat.format(value));
  if (changed) {
    node.classList.remove('bump');
    // Reading layout restarts the animation when the value changes again quickly.
    void node.offsetWidth;
    node.classList.add('bump');
  }
}

function applyStats(stats) {
  state.stats = stats;
  const counters = stats.counters || {};
  for (const name of COUNTERS) setCounter(name, typeof counters[name] === 'number' ? counters[name] : null);
  const backlog = stats.backlog || {};
  const known = [backlog.events, backlog.changes].filter((value) => typeof value === 'number');
  setCounter('backlog', known.length ? known.reduce((sum, value) => sum + value, 0) : null);
  const describe = (value) => (typeof value === 'number' ? numberFormat.format(value) : 'n/a');
  $('[data-testid="backlog-detail"]').textContent = `${describe(backlog.events)} events · ${describe(backlog.changes)} changes`;
  $('[data-testid="host-info"]').textContent =
    `${stats.host === 'azure' ? 'Azure' : 'Local runtime'} · ${numberFormat.format(stats.locations || 0)} locations in Dataset B`;
  if (typeof stats.locations === 'number' && stats.locations !== state.locations.size) void loadLocations();

  const signature = JSON.stringify([counters, backlog]);
  if (signature !== state.statsSignature) {
    state.statsSignature = signature;
    scheduleFetch();
  }
}

function connectStream() {
  if (state.source) state.source.close();
  const source = new EventSource('api/stream');
  state.source = source;
  source.addEventListener('open', () => setConnection('live', 'Live'));
  source.addEventListener('stats', (message) => {
    setConnection('live', 'Live');
    try {
      applyStats(JSON.parse(message.data));
    } catch (error) {
      console.warn('dashboard: unreadable stats event', error);
    }
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setConnection('offline', 'Offline · retrying');
      window.setTimeout(connectStream, RECONNECT_DELAY_MS);
    } else {
      setConnection('reconnecting', 'Reconnecting…');
    }
  });
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

async function loadHealth() {
  try {
    applyStats(await getJson('api/health'));
  } catch (error) {
    console.warn('dashboard: health not available yet', error);
  }
}

// ---------------------------------------------------------------------------------------------
// Locations

async function loadLocations() {
  try {
    const rows = await getJson('api/locations');
    state.locations = new Map(rows.map((row) => [String(row.geographical_location_oid), row.geographical_location]));
    renderLocationPicker();
  } catch (error) {
    console.warn('dashboard: locations not available yet', error);
  }
}

function locationName(oid, fromRow) {
  if (typeof fromRow === 'string') return fromRow;
  return state.locations.get(oid) ?? null;
}

function renderLocationPicker(extraOids = []) {
  const picker = $('[data-testid="location-picker"]');
  const oids = new Set([...state.locations.keys(), ...extraOids]);
  if (state.location) oids.add(state.location);
  const options = [el('option', { value: '', text: 'All locations' })];
  for (const oid of [...oids].sort(compareOids)) {
    const name = state.locations.get(oid);
    options.push(
      el('option', { value: oid, text: name === undefined || name === null ? `Unknown location (#${oid})` : `${name} (#${oid})` }),
    );
  }
  state.pickerOids = oids;
  picker.replaceChildren(...options);
  picker.value = state.location;
}

// ---------------------------------------------------------------------------------------------
// Top items

/** Fetches at most once per interval; a change during a fetch triggers one more afterwards. */
function scheduleFetch(immediately = false) {
  if (state.fetching) {
    state.fetchAgain = true;
    return;
  }
  if (state.fetchTimer) return;
  const wait = immediately ? 0 : Math.max(0, state.lastFetchAt + REFETCH_MIN_INTERVAL_MS - Date.now());
  state.fetchTimer = window.setTimeout(() => {
    state.fetchTimer = 0;
    void fetchTopItems();
  }, wait);
}

function backlogPending() {
  const backlog = state.stats?.backlog || {};
  return (backlog.events || 0) > 0 || (backlog.changes || 0) > 0;
}

async function fetchTopItems() {
  state.fetching = true;
  state.fetchAgain = false;
  state.lastFetchAt = Date.now();
  const serial = ++state.requestSerial;
  const params = new window.URLSearchParams({ window: state.window, top: String(state.top) });
  if (state.location) params.set('location', state.location);
  try {
    const rows = await getJson(`api/top-items?${params}`);
    if (serial === state.requestSerial) renderResults(rows);
  } catch (error) {
    console.warn('dashboard: top items not available', error);
  } finally {
    state.fetching = false;
  }
  // Counting trails storing: poll while a backlog remains, so the last folded counts show up.
  if (state.fetchAgain || backlogPending()) {
    if (state.fetchAgain) scheduleFetch();
    else window.setTimeout(() => scheduleFetch(), BACKLOG_POLL_MS);
  }
}

function groupRows(rows) {
  const groups = new Map();
  for (const row of rows) {
    const oid = String(row.geographical_location_oid);
    let group = groups.get(oid);
    if (!group) groups.set(oid, (group = { oid, name: locationName(oid, row.geographical_location), rows: [] }));
    group.rows.push(row);
  }
  for (const group of groups.values()) group.rows.sort((a, b) => a.item_rank - b.item_rank);
  return [...groups.values()].sort((a, b) => compareOids(a.oid, b.oid));
}

function renderResults(rows) {
  const results = $('[data-testid="results"]');
  const groups = groupRows(Array.isArray(rows) ? rows : []);
  const unknown = groups.filter((group) => !state.locations.has(group.oid)).map((group) => group.oid);
  if (unknown.some((oid) => !state.pickerOids.has(oid))) renderLocationPicker([...state.pickerOids, ...unknown]);

  results.dataset.mode = state.location ? 'single' : 'all';
  results.replaceChildren(...groups.map((group) => locationCard(group, Boolean(state.location))));
  renderEmptyState(groups.length === 0);
  $('[data-testid="updated-at"]').textContent = `Updated ${timeFormat.format(new Date())}`;
}

function renderEmptyState(empty) {
  const node = $('[data-testid="empty-state"]');
  node.hidden = !empty;
  if (!empty) return;
  const nothingStored = !state.stats || !state.stats.counters || !state.stats.counters.stored;
  node.dataset.reason = nothingStored ? 'no-data' : 'no-data-in-view';
  node.querySelector('.empty-title').textContent = nothingStored ? 'No detections yet' : 'Nothing to show here yet';
  node.querySelector('.empty-text').textContent = nothingStored
    ? 'Start the camera simulator in another terminal and watch the bars grow:'
    : state.location
      ? 'This location has no detections in this window. Pick another window or location, or send more detections:'
      : 'No location has detections in this window. Pick another window, or send more detections:';
}

function locationCard(group, large) {
  const max = Math.max(1, ...group.rows.map((row) => row.item_count));
  const title = group.name === null ? 'Unknown location' : group.name;
  const header = el('header', { className: 'card-header' }, [
    el('h2', { className: group.name === null ? 'card-title unknown' : 'card-title', text: title, title }),
    el('span', { className: 'oid', text: `#${group.oid}`, title: `geographical_location_oid ${group.oid}` }),
  ]);
  const list = el(
    'ol',
    { className: 'bars' },
    group.rows.map((row) => barRow(row, max)),
  );
  const attributes = {
    className: large ? 'card card-large' : 'card',
    'data-testid': 'location-card',
    'data-location-oid': group.oid,
  };
  if (!large) {
    attributes.tabindex = '0';
    attributes.role = 'button';
    attributes['aria-label'] = `Show the top items of ${title}`;
  }
  const caption = large ? el('p', { className: 'card-caption', text: `Top ${state.top} items · ${WINDOW_LABELS[state.window]}` }) : null;
  const card = el('article', attributes, [
    header,
    caption,
    list,
    group.name === null ? el('p', { className: 'card-note', text: 'Not in Dataset B, counted all the same' }) : null,
  ]);
  if (!large) {
    const open = () => selectLocation(group.oid);
    card.addEventListener('click', open);
    card.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      }
    });
  }
  return card;
}

function barRow(row, max) {
  const share = Math.max(2, (row.item_count / max) * 100);
  return el(
    'li',
    { className: 'bar', 'data-testid': 'bar', 'data-item-name': row.item_name, 'data-count': row.item_count, 'data-rank': row.item_rank },
    [
      el('span', { className: 'bar-rank', text: row.item_rank }),
      el('span', { className: 'bar-name', text: row.item_name, title: row.item_name }),
      el('span', { className: 'bar-track', 'aria-hidden': 'true' }, [
        el('span', { className: 'bar-fill', style: `width: ${share.toFixed(2)}%` }),
      ]),
      el('span', { className: 'bar-count', 'data-testid': 'bar-count', text: numberFormat.format(row.item_count) }),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Controls

function selectLocation(oid) {
  state.location = oid;
  $('[data-testid="location-picker"]').value = oid;
  writeHash();
  scheduleFetch(true);
  window.scrollTo({ top: 0, behavior: 'smooth' });
}

function renderWindowPicker() {
  for (const button of document.querySelectorAll('[data-testid="window-picker"] button')) {
    button.setAttribute('aria-checked', String(button.dataset.window === state.window));
  }
}

function bindControls() {
  $('[data-testid="location-picker"]').addEventListener('change', (event) => selectLocation(event.target.value));
  for (const button of document.querySelectorAll('[data-testid="window-picker"] button')) {
    button.addEventListener('click', () => {
      state.window = button.dataset.window;
      renderWindowPicker();
      writeHash();
      scheduleFetch(true);
    });
  }
  const topPicker = $('[data-testid="top-picker"]');
  topPicker.value = String(state.top);
  topPicker.addEventListener('change', () => {
    state.top = Number(topPicker.value);
    writeHash();
    scheduleFetch(true);
  });
  window.addEventListener('hashchange', () => {
    readHash();
    renderWindowPicker();
    $('[data-testid="location-picker"]').value = state.location;
    topPicker.value = String(state.top);
    scheduleFetch(true);
  });
}

function start() {
  readHash();
  renderWindowPicker();
  renderLocationPicker();
  bindControls();
  connectStream();
  void loadLocations().then(() => scheduleFetch(true));
  void loadHealth();
  // Sliding windows (last hour) move with the clock even when nothing new arrives.
  window.setInterval(() => scheduleFetch(), SAFETY_REFRESH_MS);
}

start();
