// The ops console: plain DOM, no build step, no third-party code. It calls the same API as every
// client, so roles and ownership apply to it as to anyone. Data is only ever set as text (never as
// HTML), so nothing a registration holds can run in this page.

const STATUSES = [
  'Active',
  'Revoked',
  'Disconnected',
  'PhoneNumberDeleted',
  'BusinessAccountReviewRejected',
  'DisplayNameReviewRejected',
  'DisplayNameReviewPending',
  'DisplayNameReviewNotStarted',
];
const STAGES = ['SignupStarted', 'BusinessAccountSelected', 'ProfileSelected', 'CodeRequested', 'CodeVerified', 'Connected', 'Cancelled'];
const FILTERS = ['status', 'stage', 'whatsAppBusinessAccountId', 'phoneNumber', 'owner'];
const PAGE_SIZE = 25;

const $ = (selector) => document.querySelector(selector);
const words = (name) =>
  name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ (\w)/g, (m) => m.toLowerCase());
const toneOf = (status) => (status === 'Active' ? 'ok' : status === null || status === undefined ? 'none' : status.startsWith('DisplayName') ? 'warn' : 'bad');
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  // Children may be nested lists (a fact is a dt and a dd; a group of facts is a list of them).
  for (const child of children.flat(Infinity)) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

// A function key given to the page (`?code=`) goes along with every API call, as Functions clients pass it.
const pageQuery = new URLSearchParams(location.search);
const functionKey = pageQuery.get('code');

class ApiProblem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, query = {}, json = undefined) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, value);
  if (functionKey) url.searchParams.set('code', functionKey);
  const headers = { accept: 'application/json', ...(json === undefined ? {} : { 'content-type': 'application/json' }) };
  const response = await fetch(url, { method, headers, credentials: 'same-origin', ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (response.status === 401) signIn();
  if (!response.ok) throw new ApiProblem(response.status, body);
  return body;
}

// In Azure, App Service Authentication answers for the API; send the browser through its sign-in once.
function signIn() {
  if (sessionStorage.getItem('ops-sign-in-tried')) return;
  sessionStorage.setItem('ops-sign-in-tried', '1');
  location.assign(`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
}

function showProblem(error) {
  const box = $('#error');
  box.replaceChildren();
  if (!error) {
    box.hidden = true;
    return;
  }
  const body = error.body || {};
  box.append(
    el('p', {}, el('strong', {}, body.title || 'Something went wrong'), body.status ? ` (HTTP ${body.status}${body.code ? `, ${body.code}` : ''})` : ''),
    el('p', {}, body.detail || error.message),
    ...(body.errors || []).map((e) => el('p', {}, `${e.path}: ${e.message}`)),
    body.suggestedAction ? el('p', {}, 'What to do: ', body.suggestedAction) : '',
    error.status === 401 ? el('p', {}, 'You are not signed in. ', el('a', { href: '/.auth/login/aad?post_login_redirect_uri=/api/ops' }, 'Sign in')) : '',
    error.status === 403 ? el('p', {}, 'Your account lacks the Registrations.Ops role: ask an administrator to grant it.') : '',
  );
  box.hidden = false;
}

function filtersFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || '']));
}

function hashOf(filters) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  return `#${params}`;
}

// ---- health -------------------------------------------------------------------------------
async function loadHealth() {
  const banner = $('#health-banner');
  let health;
  try {
    health = await api('GET', '/api/health');
  } catch (error) {
    health = error.body && error.body.checks ? error.body : { status: 'unavailable', checks: {} };
  }
  const broken = Object.entries(health.checks || {}).filter(([, check]) => check.status !== 'ok');
  const credential = broken.find(([name]) => /meta|credential|token/i.test(name));
  banner.className = `banner ${credential ? 'critical' : health.status}`;
  banner.replaceChildren(
    credential
      ? `Meta access is broken: ${credential[1].detail || credential[1].status}. Reconcile is stopped and statuses cannot be trusted until the token is replaced.`
      : health.status === 'ok'
        ? 'Service healthy'
        : `Service ${health.status}`,
    ...broken
      .filter((entry) => entry !== credential)
      .map(([name, check]) => el('div', {}, `${name}: ${check.status}${check.detail ? ` — ${check.detail}` : ''}`)),
  );
}

// ---- counts -------------------------------------------------------------------------------
async function loadCounts() {
  const summary = await api('GET', '/api/registrations/summary');
  const current = filtersFromHash().status;
  $('#counts').replaceChildren(
    ...STATUSES.map((status) =>
      el(
        'li',
        {},
        el(
          'a',
          { href: hashOf({ status }), class: `tone-${toneOf(status)}`, 'aria-current': current === status ? 'true' : false, 'data-status': status },
          el('span', { class: 'n' }, summary.byStatus[status] ?? 0),
          words(status),
        ),
      ),
    ),
  );
  $('#stage-counts').textContent =
    `${summary.total} registrations. By stage: ${STAGES.map((stage) => `${words(stage)} ${summary.byStage[stage] ?? 0}`).join(' · ')}`;
  $('#as-of').textContent = `As of ${when(summary.asOf)}`;
}

// ---- list ---------------------------------------------------------------------------------
let nextCursor = null;

function rowOf(registration) {
  const open = () => {
    const params = new URLSearchParams(location.hash.slice(1));
    params.set('id', registration.id);
    location.hash = `#${params}`;
  };
  const status = registration.status;
  const details = registration.statusDetails;
  return el(
    'tr',
    { class: 'row', 'data-id': registration.id, onclick: open },
    el('td', { 'data-label': 'Status' }, el('span', { class: `badge tone-${toneOf(status)}` }, status ? words(status) : words(registration.stage))),
    el('td', { 'data-label': 'Meaning' }, details ? details.meaning : `Onboarding: ${words(registration.stage)}`),
    el('td', { 'data-label': 'What to do' }, details ? details.suggestedAction || '—' : '—'),
    el(
      'td',
      { 'data-label': 'Number' },
      el(
        'a',
        {
          href: '#',
          onclick: (event) => {
            event.preventDefault();
            event.stopPropagation();
            open();
          },
        },
        registration.phoneNumber,
      ),
    ),
    el('td', { 'data-label': 'WABA' }, registration.whatsAppBusinessAccountId || '—'),
    el('td', { 'data-label': 'Owner' }, registration.owner || '—'),
    el('td', { 'data-label': 'Last change' }, when(registration.updatedAt)),
  );
}

async function loadList({ append = false } = {}) {
  const filters = filtersFromHash();
  const page = await api('GET', '/api/registrations', { ...filters, limit: String(PAGE_SIZE), cursor: append ? nextCursor : undefined });
  const body = $('#list tbody');
  const rows = page.items.map(rowOf);
  if (append) body.append(...rows);
  else body.replaceChildren(...rows);
  nextCursor = page.nextCursor;
  $('#more').hidden = !nextCursor;
  $('#list-empty').hidden = body.children.length > 0;
}

function syncFilterForm() {
  const filters = filtersFromHash();
  const form = $('#filters');
  for (const name of FILTERS) form.elements[name].value = filters[name];
}

// ---- one registration ---------------------------------------------------------------------
let shown = null;

function fact(term, ...value) {
  return [el('dt', {}, term), el('dd', {}, ...value)];
}

// Why the number cannot send or is limited, in Meta's words, with Meta's possible solutions.
function messagingWhy(messaging) {
  if (!messaging.reason) return [];
  const blockers = messaging.blockedBy || [];
  return [
    fact('Why', el('span', { class: 'messaging-reason' }, messaging.reason)),
    blockers.length
      ? fact(
          'Meta says',
          el(
            'ul',
            { class: 'blocked-by' },
            ...blockers.map((blocker) =>
              el(
                'li',
                {},
                `${blocker.entity}${blocker.code !== null ? ` (${blocker.code})` : ''}: ${blocker.description || 'no description'}`,
                blocker.possibleSolution ? el('div', { class: 'muted' }, `Possible solution: ${blocker.possibleSolution}`) : '',
              ),
            ),
          ),
        )
      : [],
  ];
}

async function loadDetail(id) {
  const section = $('#detail');
  if (!id) {
    section.hidden = true;
    shown = null;
    return;
  }
  const [registration, history] = await Promise.all([
    api('GET', `/api/registrations/${encodeURIComponent(id)}`),
    api('GET', `/api/registrations/${encodeURIComponent(id)}/history`),
  ]);
  shown = registration;
  const messaging = registration.messaging || {};
  const sms = registration.smsCapability;
  const channel = registration.acsChannel;
  $('#detail-title').textContent = `Registration ${registration.phoneNumber}`;
  $('#detail-body').replaceChildren(
    el(
      'dl',
      { class: 'facts' },
      fact(
        'Status',
        el('span', { class: `badge tone-${toneOf(registration.status)}` }, registration.status ? words(registration.status) : 'not connected yet'),
      ),
      registration.statusDetails ? fact('What it means', registration.statusDetails.meaning) : [],
      registration.statusDetails ? fact('What to do', registration.statusDetails.suggestedAction || 'Nothing') : [],
      fact('Stage', words(registration.stage)),
      fact('Id', registration.id),
      fact('Number', `${registration.phoneNumber} (${registration.phoneNumberSource === 'acs' ? 'ACS number' : 'own number'})`),
      fact('Display name', registration.displayName || '—'),
      fact(
        'Business account',
        registration.businessAccount ? `${registration.businessAccount.name || ''} ${registration.businessAccount.id || ''}`.trim() || '—' : '—',
      ),
      fact('WABA', registration.whatsAppBusinessAccountId || '—'),
      fact('Owner', registration.owner || '—'),
      fact(
        'Messaging',
        `${messaging.canSend ? 'can send' : 'cannot send'}${messaging.limited ? ', limited' : ''}${messaging.messagingLimit ? `, tier ${messaging.messagingLimit}` : ''}${messaging.qualityRating ? `, quality ${messaging.qualityRating}` : ''}`,
      ),
      messagingWhy(messaging),
      fact('SMS capability', sms ? `${sms.send}${sms.detail ? ` (${sms.detail})` : ''}, checked ${when(sms.checkedAt)}` : 'not checked'),
      fact(
        'ACS channel',
        channel
          ? `${channel.channelRegistrationId}: ${channel.reachable === null ? 'not probed' : channel.reachable ? 'reachable' : 'gone'}, checked ${when(channel.checkedAt)}`
          : 'not linked',
      ),
      fact('Updated', when(registration.updatedAt)),
    ),
  );
  showDisplayNameChange(registration);
  const canReconnect = ['Disconnected', 'Revoked', 'PhoneNumberDeleted'].includes(registration.status);
  for (const button of document.querySelectorAll('#actions button')) {
    const action = button.dataset.action;
    button.disabled =
      action === 'disconnect' ? registration.stage !== 'Connected' || registration.status === 'Disconnected' : action === 'reconnect' ? !canReconnect : false;
  }
  $('#timeline').replaceChildren(
    ...history.items.map((entry) =>
      el(
        'li',
        {},
        el('strong', {}, when(entry.at)),
        ' ',
        `${words(entry.from.stage)}${entry.from.status ? ` / ${words(entry.from.status)}` : ''} → ${words(entry.to.stage)}${entry.to.status ? ` / ${words(entry.to.status)}` : ''}`,
        el('div', { class: 'muted' }, `cause ${entry.cause}${entry.actor ? `, by ${entry.actor}` : ''}${entry.detail ? `: ${entry.detail}` : ''}`),
      ),
    ),
  );
  section.hidden = false;
}

const ACTION_TEXT = {
  disconnect: 'Disconnect this number from Azure Communication Services? It stops sending until it is reconnected; the WhatsApp account itself is not deleted.',
  reconnect: 'Reconnect this number? Onboarding starts again from the WhatsApp profile step and a new verification code will be needed.',
  reconcile: 'Read this registration from Meta now and correct its status?',
};

async function runAction(action) {
  if (!shown) return;
  const dialog = $('#confirm');
  $('#confirm-title').textContent = `${words(action)} ${shown.phoneNumber}`;
  $('#confirm-text').textContent = ACTION_TEXT[action];
  dialog.returnValue = '';
  dialog.showModal();
  const choice = await new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
  if (choice !== 'ok') return;
  const result = $('#action-result');
  try {
    const after = await api('POST', `/api/registrations/${encodeURIComponent(shown.id)}/${action}`);
    showProblem(null);
    result.textContent = `${words(action)} done: now ${words(after.stage)}${after.status ? ` / ${words(after.status)}` : ''}.`;
    await Promise.all([loadDetail(shown.id), loadCounts(), loadList()]);
  } catch (error) {
    result.textContent = `${words(action)} failed.`;
    showProblem(error);
  }
}

// ---- a new display name ------------------------------------------------------------------
// Meta rejected the display name: ops may submit another one (PUT …/display-name); a change in
// progress is shown instead of the form, since Meta reviews one name at a time.
function showDisplayNameChange(registration) {
  const change = registration.displayNameChange;
  const again = change && change.registeredAgain;
  const inProgress = change && (change.state === 'Pending' || (change.state === 'Approved' && again && !again.registeredAt));
  const line = $('#display-name-change');
  line.hidden = !change;
  if (change) {
    const outcome =
      change.state === 'Pending'
        ? `under review by Meta since ${when(change.requestedAt)}`
        : change.state === 'Rejected'
          ? `rejected ${when(change.decidedAt)}${change.rejectionReason ? `: ${change.rejectionReason}` : ''}`
          : `approved ${when(change.decidedAt)}; ${again && again.registeredAt ? `number registered again ${when(again.registeredAt)}` : `number to be registered again${again && again.retryNotBefore ? ` after ${when(again.retryNotBefore)}` : ''}`}`;
    line.textContent = `New display name “${change.requested}”: ${outcome}.`;
  }
  $('#display-name-form').hidden = registration.status !== 'DisplayNameReviewRejected' || Boolean(inProgress);
}

async function submitDisplayName(event) {
  event.preventDefault();
  if (!shown) return;
  const displayName = String(new FormData(event.target).get('displayName') || '').trim();
  const result = $('#action-result');
  try {
    const after = await api('PUT', `/api/registrations/${encodeURIComponent(shown.id)}/display-name`, {}, { displayName });
    showProblem(null);
    event.target.reset();
    result.textContent = `New display name “${after.displayNameChange.requested}” submitted to Meta for review.`;
    await loadDetail(shown.id);
  } catch (error) {
    result.textContent = 'Submitting the new display name failed.';
    showProblem(error);
  }
}

// ---- reconcile runs -------------------------------------------------------------------------
async function loadRuns() {
  try {
    const runs = await api('GET', '/api/reconcile/runs', { limit: '5' });
    $('#runs tbody').replaceChildren(
      ...(runs.items.length
        ? runs.items.map((run) =>
            el(
              'tr',
              {},
              el('td', { 'data-label': 'Started' }, when(run.startedAt)),
              el('td', { 'data-label': 'Finished' }, when(run.finishedAt)),
              el('td', { 'data-label': 'Checked' }, run.checked),
              el('td', { 'data-label': 'Changed' }, run.changed),
              el('td', { 'data-label': 'Failed' }, run.failed),
              el('td', { 'data-label': 'Rate-limited' }, run.rateLimited),
            ),
          )
        : [el('tr', {}, el('td', { colspan: '6' }, 'No run yet.'))]),
    );
  } catch (error) {
    $('#runs tbody').replaceChildren(
      el(
        'tr',
        {},
        el('td', { colspan: '6' }, error.status === 403 ? 'Reconcile runs need the Registrations.Ops role.' : `Could not load runs: ${error.message}`),
      ),
    );
  }
}

// ---- wiring -------------------------------------------------------------------------------
async function guarded(task) {
  try {
    await task();
  } catch (error) {
    showProblem(error);
  }
}

// Each render is numbered: only the newest one may show or clear a problem, so a slow render
// started for an earlier address never hides the error of the address now shown.
let renders = 0;

async function render() {
  syncFilterForm();
  const id = new URLSearchParams(location.hash.slice(1)).get('id');
  const mine = ++renders;
  try {
    await Promise.all([loadCounts(), loadList(), loadDetail(id)]);
    if (mine === renders) showProblem(null);
  } catch (error) {
    if (mine === renders) showProblem(error);
  }
  if (id && mine === renders) $('#detail').focus();
}

function init() {
  for (const [select, names] of [
    ['#filter-status', STATUSES],
    ['#filter-stage', STAGES],
  ]) {
    $(select).append(...names.map((name) => el('option', { value: name }, words(name))));
  }
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = hashOf(Object.fromEntries(FILTERS.map((name) => [name, String(data.get(name) || '').trim()])));
  });
  $('#clear-filters').addEventListener('click', () => {
    location.hash = '';
  });
  $('#more').addEventListener('click', () => guarded(() => loadList({ append: true })));
  $('#refresh').addEventListener('click', () => {
    loadHealth();
    loadRuns();
    render();
  });
  for (const button of document.querySelectorAll('#actions button')) button.addEventListener('click', () => runAction(button.dataset.action));
  $('#display-name-form').addEventListener('submit', submitDisplayName);
  window.addEventListener('hashchange', render);
  loadHealth();
  loadRuns();
  render().then(() => document.body.setAttribute('data-ready', 'true'));
}

init();
