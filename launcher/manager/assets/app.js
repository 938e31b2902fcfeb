// The burrow manager's dashboard: plain JavaScript, no framework, no build
// step. Every piece of data reaches the page through textContent or an
// attribute set by createElement (el() below), never through innerHTML, so
// a sandbox named "<img onerror=...>" is shown as those characters.
// API: launcher/manager/API.md.
'use strict';

const API = '/api/v1';
const POLL_MS = 1500;
const LOG_KEEP = 512 * 1024; // characters of log kept on the page

// --- small DOM helpers -----------------------------------------------------

// el('div', {class: 'x', onclick: f}, child, 'text', ...): children are
// nodes or strings (strings become text nodes).
function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else if (k === 'class') e.className = v;
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (v === true) e.setAttribute(k, '');
        else e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
        if (c === undefined || c === null || c === false) continue;
        e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
}

function setText(node, text) {
    const t = text === undefined || text === null ? '' : String(text);
    if (node.textContent !== t) node.textContent = t;
}

function fmtBytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

function fmtTime(secs) {
    if (!secs) return '–';
    return new Date(secs * 1000).toLocaleString();
}

function fmtAgo(secs) {
    if (!secs) return '';
    const d = Math.max(0, Math.round(Date.now() / 1000 - secs));
    if (d < 60) return d + ' s ago';
    if (d < 3600) return Math.floor(d / 60) + ' min ago';
    if (d < 86400) return Math.floor(d / 3600) + ' h ago';
    return Math.floor(d / 86400) + ' d ago';
}

function fmtExit(sb) {
    if (sb.status !== 'exited') return '';
    if (sb.signal !== null && sb.signal !== undefined) return 'killed by signal ' + sb.signal;
    if (sb.exit_status !== null && sb.exit_status !== undefined) return 'exit status ' + sb.exit_status;
    return '';
}

// Whitespace-separated words (the form's command and policies): no quoting,
// no shell; each word is one argv element.
function words(s) {
    return s.split(/\s+/).filter((w) => w.length > 0);
}

// --- the API -----------------------------------------------------------------

class ApiError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

const session = { csrf: null, version: '' };

async function api(method, path, body) {
    const headers = {};
    // The cookie authenticates us; every request that changes something
    // carries the CSRF token from GET /api/v1/session.
    if (method !== 'GET' && method !== 'HEAD') headers['X-Burrow-CSRF'] = session.csrf || '';
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    let r;
    try {
        r = await fetch(path, init);
    } catch (e) {
        throw new ApiError(0, 'the manager does not answer (' + e.message + ')');
    }
    if (r.status === 401) {
        location.assign('/login');
        throw new ApiError(401, 'not logged in');
    }
    if (!r.ok) {
        let msg = r.status + ' ' + r.statusText;
        try {
            const j = await r.json();
            if (j && typeof j.error === 'string') msg = j.error;
        } catch (e) {
            /* not JSON: keep the status line */
        }
        throw new ApiError(r.status, msg);
    }
    if (r.status === 204) return null;
    const type = r.headers.get('Content-Type') || '';
    return type.includes('json') ? r.json() : r.text();
}

function wsUrl(path) {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

// --- confirmation dialog -----------------------------------------------------

function confirmAction(text, okLabel) {
    const dlg = document.getElementById('confirm');
    setText(document.getElementById('confirm-text'), text);
    setText(document.getElementById('confirm-ok'), okLabel);
    return new Promise((resolve) => {
        dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
        dlg.returnValue = 'cancel';
        dlg.showModal();
        document.getElementById('confirm-cancel').focus();
    });
}

async function stopSandbox(sb, onError) {
    const ok = await confirmAction(
        'Stop sandbox “' + sb.name + '”? Its processes get 5 seconds to exit, then are killed.',
        'Stop'
    );
    if (!ok) return false;
    try {
        await api('POST', API + '/sandboxes/' + encodeURIComponent(sb.id) + '/stop', { grace: 5 });
        return true;
    } catch (e) {
        onError(e.message);
        return false;
    }
}

async function deleteSandbox(sb, onError) {
    const ok = await confirmAction(
        'Delete sandbox “' +
            sb.name +
            '”? It is stopped first if it runs; its record and its log are removed. The project directory is kept.',
        'Delete'
    );
    if (!ok) return false;
    try {
        await api('DELETE', API + '/sandboxes/' + encodeURIComponent(sb.id));
        return true;
    } catch (e) {
        onError(e.message);
        return false;
    }
}

// --- polling -----------------------------------------------------------------

// Calls fn now and then every ms after the previous call settled (never two
// at once, however slow the daemon); stop() ends it.
function poller(fn, ms) {
    let timer = null;
    let stopped = false;
    const tick = async () => {
        timer = null;
        try {
            await fn();
        } catch (e) {
            /* fn reports its own errors */
        }
        if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return {
        stop() {
            stopped = true;
            if (timer) clearTimeout(timer);
        },
        now() {
            if (stopped) return;
            if (timer) clearTimeout(timer);
            tick();
        },
    };
}

function statusBadge(status) {
    return el('span', { class: 'status status-' + status, dataset: { status } }, status);
}

function updateBadge(badge, status) {
    if (badge.dataset.status === status) return;
    badge.dataset.status = status;
    badge.className = 'status status-' + status;
    setText(badge, status);
}

// --- the list view: create form and cards ------------------------------------

function listView(root) {
    const banner = el('p', { class: 'error', id: 'list-error', hidden: true });
    const cards = el('section', { class: 'cards', id: 'cards' });
    const empty = el('p', { class: 'empty', id: 'empty', hidden: true }, 'No sandboxes yet: create one above, or run ',
        el('code', {}, 'burrow launch'), ' by hand.');
    const form = createForm(() => poll.now());
    root.append(form, banner, empty, cards);

    const byId = new Map();
    const showError = (msg) => {
        setText(banner, msg);
        banner.hidden = !msg;
    };

    function makeCard(sb) {
        const badge = statusBadge(sb.status);
        const title = el('a', { class: 'card-title', href: '#/sandbox/' + encodeURIComponent(sb.id) });
        const meta = el('dl', { class: 'meta' });
        const fields = {};
        for (const [key, label] of [
            ['backend', 'backend'],
            ['project_dir', 'project'],
            ['command', 'command'],
            ['created', 'created'],
            ['exit', 'exit'],
        ]) {
            fields[key] = el('dd', { class: 'f-' + key });
            meta.append(el('dt', {}, label), fields[key]);
        }
        const stop = el('button', {
            class: 'stop',
            onclick: async () => {
                if (await stopSandbox(card.sb, showError)) poll.now();
            },
        }, 'Stop');
        const del = el('button', {
            class: 'delete danger',
            onclick: async () => {
                if (await deleteSandbox(card.sb, showError)) poll.now();
            },
        }, 'Delete');
        const node = el('article', { class: 'card sandbox', dataset: { id: sb.id } },
            el('div', { class: 'card-head' }, title, badge),
            meta,
            el('div', { class: 'buttons' }, stop, del));
        const card = { node, title, badge, fields, stop, sb };
        return card;
    }

    function updateCard(card, sb) {
        card.sb = sb;
        setText(card.title, sb.name || sb.id);
        updateBadge(card.badge, sb.status);
        setText(card.fields.backend, sb.backend + (sb.created_by === 'hand' ? ' (by hand)' : ''));
        setText(card.fields.project_dir, sb.project_dir);
        setText(card.fields.command, (sb.command || []).join(' ') || '(default)');
        setText(card.fields.created, fmtAgo(sb.created));
        setText(card.fields.exit, fmtExit(sb) || '–');
        card.stop.disabled = sb.status !== 'running' && sb.status !== 'starting';
    }

    const poll = poller(async () => {
        let list;
        try {
            list = (await api('GET', API + '/sandboxes')).sandboxes;
        } catch (e) {
            showError('Cannot list the sandboxes: ' + e.message);
            return;
        }
        showError('');
        const seen = new Set();
        let prev = null;
        for (const sb of list) {
            seen.add(sb.id);
            let card = byId.get(sb.id);
            if (!card) {
                card = makeCard(sb);
                byId.set(sb.id, card);
            }
            updateCard(card, sb);
            // Keep the API's order (newest first) without rebuilding nodes.
            const want = prev ? prev.nextSibling : cards.firstChild;
            if (want !== card.node) cards.insertBefore(card.node, want);
            prev = card.node;
        }
        for (const [id, card] of byId) {
            if (!seen.has(id)) {
                card.node.remove();
                byId.delete(id);
            }
        }
        empty.hidden = list.length !== 0;
    }, POLL_MS);

    return { dispose: () => poll.stop() };
}

function createForm(onCreated) {
    const name = el('input', { name: 'name', id: 'f-name', placeholder: 'default: the project directory’s name', spellcheck: 'false' });
    const backend = el('select', { name: 'backend', id: 'f-backend' });
    const project = el('input', { name: 'project_dir', id: 'f-project', required: true, placeholder: '/home/you/project', spellcheck: 'false' });
    const network = el('select', { name: 'network', id: 'f-network' },
        el('option', { value: '' }, 'backend default'),
        ['none', 'private', 'host'].map((n) => el('option', { value: n }, n)));
    const allow = el('input', { name: 'allow_net', id: 'f-allow', placeholder: 'optional, e.g. github.com:443', spellcheck: 'false' });
    const display = el('input', { type: 'checkbox', name: 'display', id: 'f-display' });
    const command = el('input', { name: 'command', id: 'f-command', placeholder: 'e.g. sleep 600', spellcheck: 'false' });
    const policy = el('input', { name: 'policy', id: 'f-policy', placeholder: 'optional', spellcheck: 'false' });
    const error = el('p', { class: 'error', id: 'create-error', hidden: true });
    const submit = el('button', { type: 'submit', class: 'primary', id: 'f-submit' }, 'Create');

    api('GET', API + '/backends').then((r) => {
        for (const b of r.backends) {
            const label = b.name + (b.name !== b.backend ? ' (' + b.backend + ')' : '') + (b.available ? '' : ' – not available');
            backend.append(el('option', { value: b.name, disabled: !b.available }, label));
        }
        const first = r.backends.find((b) => b.available);
        if (first) backend.value = first.name;
    }, (e) => {
        setText(error, 'Cannot list the backends: ' + e.message);
        error.hidden = false;
    });

    const form = el('form', { class: 'card create', id: 'create', autocomplete: 'off' },
        el('h2', {}, 'New sandbox'),
        el('div', { class: 'grid' },
            el('label', {}, 'Name', name),
            el('label', {}, 'Backend', backend),
            el('label', { class: 'wide' }, 'Project directory (absolute path)', project),
            el('label', {}, 'Network', network),
            el('label', {}, 'Allowed destinations', allow,
                el('small', {}, 'Separated by spaces; each is one --allow-net (only these, through the egress proxy).')),
            el('label', { class: 'check' }, display, ' A display of its own (Xvfb; screenshots on its page)'),
            el('label', {}, 'Policy', policy,
                el('small', {}, 'Policy names or files, separated by spaces; each is one --policy.')),
            el('label', { class: 'wide' }, 'Command', command,
                el('small', {}, 'Split on whitespace into argv: no shell, no quoting, so no argument can ' +
                    'hold a space. Empty: the backend’s default.'))),
        error,
        el('div', { class: 'buttons' }, submit));

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        error.hidden = true;
        const body = { backend: backend.value, project_dir: project.value.trim() };
        if (name.value.trim()) body.name = name.value.trim();
        if (network.value) body.network = network.value;
        const rules = words(allow.value);
        if (rules.length) body.allow_net = rules;
        if (display.checked) body.display = true;
        const argv = words(command.value);
        if (argv.length) body.command = argv;
        const pol = words(policy.value);
        if (pol.length) body.policy = pol;
        submit.disabled = true;
        try {
            const sb = await api('POST', API + '/sandboxes', body);
            name.value = '';
            onCreated(sb);
        } catch (e) {
            setText(error, 'Not created: ' + e.message);
            error.hidden = false;
        } finally {
            submit.disabled = false;
        }
    });
    return form;
}

// --- the detail view -----------------------------------------------------------

function detailView(root, id) {
    const base = API + '/sandboxes/' + encodeURIComponent(id);
    const disposers = [];
    const title = el('h2', { id: 'd-name' }, id);
    const badge = statusBadge('starting');
    const banner = el('p', { class: 'error', id: 'detail-error', hidden: true });
    const showError = (msg) => {
        setText(banner, msg);
        banner.hidden = !msg;
    };
    let sb = null;
    const stop = el('button', {
        id: 'd-stop',
        disabled: true,
        onclick: async () => {
            if (sb && (await stopSandbox(sb, showError))) poll.now();
        },
    }, 'Stop');
    const del = el('button', {
        id: 'd-delete',
        class: 'danger',
        onclick: async () => {
            if (sb && (await deleteSandbox(sb, showError))) location.hash = '#/';
        },
    }, 'Delete');

    const info = el('dl', { class: 'meta info' });
    const fields = {};
    for (const [key, label] of [
        ['id', 'id'], ['backend', 'backend'], ['project_dir', 'project'], ['network', 'network'],
        ['policy', 'policy'], ['command', 'command'], ['pid', 'pid'], ['created', 'created'],
        ['started', 'started'], ['finished', 'finished'], ['exit', 'exit'], ['created_by', 'created by'],
        ['project_id', 'project id'],
    ]) {
        fields[key] = el('dd', { id: 'd-' + key });
        info.append(el('dt', {}, label), fields[key]);
    }
    const metrics = {
        cpu: el('span', { class: 'value', id: 'm-cpu' }, '–'),
        mem: el('span', { class: 'value', id: 'm-mem' }, '–'),
        pids: el('span', { class: 'value', id: 'm-pids' }, '–'),
    };
    const metricsBox = el('div', { class: 'metrics' },
        el('div', {}, el('span', { class: 'label' }, 'CPU'), metrics.cpu),
        el('div', {}, el('span', { class: 'label' }, 'memory'), metrics.mem),
        el('div', {}, el('span', { class: 'label' }, 'processes'), metrics.pids));
    const shot = el('div', { class: 'screenshot', id: 'screenshot' }, el('p', { class: 'muted' }, '…'));
    const logPre = el('pre', { class: 'log', id: 'log' });
    const logState = el('p', { class: 'muted', id: 'log-state' });
    const termBox = el('div', { class: 'terminal', id: 'terminal' });
    const termState = el('p', { class: 'muted', id: 'term-state' });

    root.append(
        el('p', {}, el('a', { href: '#/' }, '← all sandboxes')),
        el('div', { class: 'detail-head' }, title, badge, el('div', { class: 'buttons' }, stop, del)),
        banner,
        el('div', { class: 'detail-grid' },
            el('section', { class: 'card' }, el('h3', {}, 'Sandbox'), info),
            el('section', { class: 'card' }, el('h3', {}, 'Metrics'), metricsBox, el('h3', {}, 'Screen'), shot)),
        el('section', { class: 'card' }, el('h3', {}, 'Terminal'), termState, termBox),
        el('section', { class: 'card' }, el('h3', {}, 'Log'), logState, logPre));

    let logStarted = false;
    let termStarted = false;
    let shotTaken = false;

    const poll = poller(async () => {
        try {
            sb = await api('GET', base);
        } catch (e) {
            showError(e.status === 404 ? 'No such sandbox (deleted?).' : 'Cannot read the sandbox: ' + e.message);
            return;
        }
        showError('');
        setText(title, sb.name || sb.id);
        document.title = (sb.name || sb.id) + ' – burrow manager';
        updateBadge(badge, sb.status);
        setText(fields.id, sb.id);
        setText(fields.backend, sb.backend);
        setText(fields.project_dir, sb.project_dir);
        setText(fields.network, sb.network || 'default');
        setText(fields.policy, (sb.policy || []).join(' ') || '–');
        setText(fields.command, (sb.command || []).join(' ') || '(default)');
        setText(fields.pid, sb.pid || '–');
        setText(fields.created, fmtTime(sb.created));
        setText(fields.started, fmtTime(sb.started));
        setText(fields.finished, fmtTime(sb.finished));
        setText(fields.exit, fmtExit(sb) || '–');
        setText(fields.created_by, sb.created_by);
        setText(fields.project_id, sb.project_id || '–');
        stop.disabled = sb.status !== 'running' && sb.status !== 'starting';
        const live = sb.status === 'running' || sb.status === 'starting' || sb.status === 'stopping';
        if (live) {
            try {
                const m = await api('GET', base + '/metrics');
                setText(metrics.cpu, typeof m.cpu_seconds === 'number' ? m.cpu_seconds.toFixed(2) + ' s' : '–');
                setText(metrics.mem, fmtBytes(m.memory_bytes));
                setText(metrics.pids, m.pids ?? '–');
            } catch (e) {
                /* a sandbox exiting between the two requests: keep the last */
            }
        }
        if (!logStarted) {
            logStarted = true;
            if (sb.log_size === null || sb.log_size === undefined) setText(logState, 'No log: this sandbox was started by hand, not by the manager.');
            else disposers.push(followLog(base, logPre, logState));
        }
        if (!termStarted && sb.status === 'running') {
            termStarted = true;
            disposers.push(openTerminal(base, termBox, termState));
        } else if (!termStarted) {
            setText(termState, sb.status === 'exited' ? 'The sandbox has exited: no terminal.' : 'Waiting for the sandbox to run…');
        }
        if (!shotTaken) {
            shotTaken = true;
            disposers.push(screenshot(base, shot, sb.display === true));
        }
    }, POLL_MS);
    disposers.push(() => poll.stop());
    return { dispose: () => disposers.forEach((d) => d()) };
}

// The screen: GET .../screenshot is a PNG for a sandbox with a display, 404
// for one without. Loaded as a plain same-origin <img>, refreshed every 5 s
// while it loads; a sandbox with a display that is still starting is asked
// again.
function screenshot(base, box, hasDisplay) {
    let timer = null;
    let gone = false;
    const img = el('img', { alt: 'the sandbox’s screen', id: 'screen-img' });
    img.addEventListener('load', () => {
        if (gone) return;
        if (img.parentNode !== box) box.replaceChildren(img);
        timer = setTimeout(take, 5000);
    });
    img.addEventListener('error', () => {
        if (gone) return;
        // Not retried without a display: a sandbox does not grow one.
        box.replaceChildren(el('p', { class: 'muted', id: 'no-display' },
            hasDisplay ? 'no screen yet' : 'no display'));
        if (hasDisplay) timer = setTimeout(take, 2000);
    });
    const take = () => {
        img.src = base + '/screenshot?t=' + Date.now();
    };
    take();
    return () => {
        gone = true;
        if (timer) clearTimeout(timer);
        img.removeAttribute('src');
    };
}

// The live log: the logs WebSocket sends the log's bytes from offset 0 as
// they are appended and closes (1000) once the sandbox exited and all was
// sent.
function followLog(base, pre, state) {
    let ws;
    let closed = false;
    const decoder = new TextDecoder();
    setText(state, 'Following the log…');
    ws = new WebSocket(wsUrl(base + '/logs/ws?offset=0'));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => {
        const text = typeof ev.data === 'string' ? ev.data : decoder.decode(new Uint8Array(ev.data), { stream: true });
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        let all = pre.textContent + text;
        if (all.length > LOG_KEEP) all = '…\n' + all.slice(all.length - LOG_KEEP);
        pre.textContent = all;
        if (atBottom) pre.scrollTop = pre.scrollHeight;
    };
    ws.onclose = (ev) => {
        if (closed) return;
        setText(state, ev.code === 1000 ? 'The sandbox has exited: end of log.' : 'Log connection closed (' + ev.code + ').');
    };
    return () => {
        closed = true;
        ws.close();
    };
}

// --- the terminal ----------------------------------------------------------------

// The terminal WebSocket: a pty running `burrow enter PROJECT_DIR`; binary
// frames both ways are terminal bytes, a text frame {"resize":[cols,rows]}
// resizes it. With xterm.js compiled in it is a real terminal; without,
// a line-mode stand-in (a <pre> and an input line).
function openTerminal(base, box, state) {
    const ws = new WebSocket(wsUrl(base + '/terminal'));
    ws.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    const send = (s) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(s));
    };
    let closing = false;
    let cleanup;
    if (typeof window.Terminal === 'function') cleanup = xtermTerminal(ws, box, send);
    else cleanup = lineTerminal(ws, box, send, state);
    setText(state, 'Connecting…');
    ws.addEventListener('open', () => setText(state, 'Connected: a shell in the sandbox (burrow enter).'));
    ws.addEventListener('close', (ev) => {
        if (closing) return;
        setText(state, 'Terminal closed (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ').');
        box.classList.add('closed');
    });
    return () => {
        closing = true;
        ws.close();
        cleanup();
    };
}

function xtermTerminal(ws, box, send) {
    const term = new window.Terminal({
        convertEol: false,
        cursorBlink: true,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
        fontSize: 14,
        scrollback: 5000,
    });
    term.open(box);
    // No fit addon: size the terminal from the box's width and a measured
    // character cell of the same font.
    const fit = () => {
        const probe = el('span', { class: 'cell-probe' }, 'MMMMMMMMMM');
        box.append(probe);
        const cw = probe.getBoundingClientRect().width / 10;
        const ch = probe.getBoundingClientRect().height;
        probe.remove();
        if (!cw || !ch) return;
        const cols = Math.max(20, Math.floor((box.clientWidth - 16) / cw));
        const rows = 18;
        if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
    };
    fit();
    const sendSize = () => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ resize: [term.cols, term.rows] }));
    };
    term.onResize(sendSize);
    ws.addEventListener('open', () => {
        sendSize();
        term.focus();
    });
    term.onData(send);
    term.onBinary((s) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff));
    });
    ws.addEventListener('message', (ev) => {
        if (typeof ev.data === 'string') term.write(ev.data);
        else term.write(new Uint8Array(ev.data));
    });
    window.addEventListener('resize', fit);
    // Tests and curious people read the screen through this.
    box.burrowTerminal = term;
    return () => {
        window.removeEventListener('resize', fit);
        term.dispose();
    };
}

// Escape sequences the line-mode terminal drops: CSI, OSC and two-byte ESC.
const ANSI = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]|\r(?=\n)/g;

function lineTerminal(ws, box, send, state) {
    const note = el('p', { class: 'muted', id: 'no-xterm' },
        'xterm.js not built in: a line-mode terminal (Enter sends the line; escape sequences are dropped).');
    const out = el('pre', { class: 'line-out', id: 'line-out' });
    const input = el('input', { class: 'line-in', id: 'line-in', spellcheck: 'false', autocomplete: 'off', placeholder: 'type a line, Enter sends it' });
    const ctrlC = el('button', { type: 'button', onclick: () => send('\x03') }, 'Ctrl-C');
    const ctrlD = el('button', { type: 'button', onclick: () => send('\x04') }, 'Ctrl-D');
    box.classList.add('line-mode');
    box.append(note, out, el('div', { class: 'line-bar' }, input, ctrlC, ctrlD));
    const decoder = new TextDecoder();
    ws.addEventListener('open', () => input.focus());
    ws.addEventListener('message', (ev) => {
        const text = typeof ev.data === 'string' ? ev.data : decoder.decode(new Uint8Array(ev.data), { stream: true });
        let all = out.textContent + text.replace(ANSI, '');
        if (all.length > LOG_KEEP) all = all.slice(all.length - LOG_KEEP);
        out.textContent = all;
        out.scrollTop = out.scrollHeight;
    });
    input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
            ev.preventDefault();
            send(input.value + '\r');
            input.value = '';
        }
    });
    return () => {};
}

// --- header, routing, start ------------------------------------------------------

function systemLine(node) {
    return poller(async () => {
        try {
            const s = await api('GET', API + '/system');
            const load = (s.load || []).map((x) => x.toFixed(2)).join(' ');
            setText(node, 'load ' + load + ' · ' + s.cpus + ' CPUs · ' + fmtBytes(s.memory_available) + ' of ' +
                fmtBytes(s.memory_total) + ' free · ' + s.sandboxes + (s.sandboxes === 1 ? ' sandbox' : ' sandboxes'));
        } catch (e) {
            setText(node, '');
        }
    }, 5000);
}

let current = null;
let systemPoll = null;

function route() {
    if (current) current.dispose();
    if (systemPoll) systemPoll.now();
    const root = document.getElementById('view');
    root.replaceChildren();
    const m = /^#\/sandbox\/([^/]+)$/.exec(location.hash);
    document.title = 'burrow manager';
    if (m) {
        root.dataset.view = 'detail';
        current = detailView(root, decodeURIComponent(m[1]));
    } else {
        root.dataset.view = 'list';
        current = listView(root);
    }
}

async function start() {
    try {
        const s = await api('GET', API + '/session');
        session.csrf = s.csrf;
        session.version = s.version || '';
    } catch (e) {
        const root = document.getElementById('view');
        root.replaceChildren(el('p', { class: 'error' }, 'Cannot reach the manager: ' + e.message));
        return;
    }
    setText(document.getElementById('version'), session.version);
    systemPoll = systemLine(document.getElementById('system'));
    window.addEventListener('hashchange', route);
    route();
}

start();
