// The manager's dashboard in a real browser (issue 16): starts `burrow
// manager` on a free loopback port with a fresh state dir, drives Debian's
// headless Chromium through the DevTools protocol, logs in with the token
// (/login#token=...), creates a namespace sandbox through the form, waits
// for its card to show "running", opens its page, follows its live log
// (markup in it stays text), types into its terminal and reads the output
// back, stops it through the confirmation dialog and
// sees "exited", deletes it; Chromium's console must stay free of errors.
// PNG screenshots of each page go to --screens DIR/{root,user} (test
// artifacts).
//
// No npm package: Chromium is driven with --remote-debugging-pipe, the
// protocol's JSON messages NUL-separated on fds 3 (to Chromium) and 4 (from
// it); the small client is below. Exit 77 (skipped) without Chromium;
// CMake's wrapper exits 77 without Node.js.
//
// Every wait polls a condition against a deadline: no sleep synchronises.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const SKIP = 77;
const started = Date.now();

function log(msg) {
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(2)}s] ${msg}\n`);
}

function fail(msg) {
    const e = new Error(msg);
    e.testFailure = true;
    return e;
}

// Polls fn (sync or async) every 50 ms until it returns a truthy value;
// throws with what when the deadline passes.
async function until(what, fn, ms = 10000) {
    const deadline = Date.now() + ms;
    let last;
    for (;;) {
        try {
            last = await fn();
            if (last) return last;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw fail(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

function findChromium() {
    const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
    for (const c of candidates) {
        if (!c) continue;
        try {
            fs.accessSync(c, fs.constants.X_OK);
            return c;
        } catch (e) {
            /* next */
        }
    }
    return null;
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

// One HTTP request to the manager with the bearer token (the test's own
// look at the API, to check what the page shows against the truth).
function apiRequest(port, token, method, p) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: { Authorization: `Bearer ${token}` } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', reject);
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
        req.end();
    });
}

// --- the DevTools protocol over the pipe --------------------------------------

class Cdp {
    constructor(toBrowser, fromBrowser) {
        this.out = toBrowser;
        this.nextId = 1;
        this.pending = new Map();
        this.handlers = [];
        this.closed = null;
        let buf = Buffer.alloc(0);
        fromBrowser.on('data', (chunk) => {
            buf = Buffer.concat([buf, chunk]);
            let nul;
            while ((nul = buf.indexOf(0)) >= 0) {
                const msg = JSON.parse(buf.subarray(0, nul).toString('utf8'));
                buf = buf.subarray(nul + 1);
                this.dispatch(msg);
            }
        });
        fromBrowser.on('close', () => this.close(new Error('Chromium closed the DevTools pipe')));
        toBrowser.on('error', (e) => this.close(e));
    }

    close(err) {
        if (this.closed) return;
        this.closed = err;
        for (const { reject } of this.pending.values()) reject(err);
        this.pending.clear();
    }

    dispatch(msg) {
        if (msg.id !== undefined) {
            const p = this.pending.get(msg.id);
            if (!p) return;
            this.pending.delete(msg.id);
            if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
            else p.resolve(msg.result);
        } else {
            for (const h of this.handlers) h(msg.method, msg.params, msg.sessionId);
        }
    }

    send(method, params = {}, sessionId = undefined) {
        if (this.closed) return Promise.reject(this.closed);
        const id = this.nextId++;
        const msg = { id, method, params };
        if (sessionId) msg.sessionId = sessionId;
        this.out.write(JSON.stringify(msg) + '\0');
        return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    }

    on(handler) {
        this.handlers.push(handler);
    }
}

// One tab, attached with a flat session.
class Page {
    constructor(cdp, sessionId) {
        this.cdp = cdp;
        this.sid = sessionId;
    }

    send(method, params) {
        return this.cdp.send(method, params, this.sid);
    }

    async eval(expression) {
        const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) {
            const d = r.exceptionDetails;
            throw new Error(`page: ${(d.exception && d.exception.description) || d.text}`);
        }
        return r.result.value;
    }

    async navigate(url) {
        const r = await this.send('Page.navigate', { url });
        if (r.errorText) throw fail(`navigating to ${url}: ${r.errorText}`);
    }

    async click(selector) {
        const ok = await this.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
            if (!e || e.disabled) return false; e.click(); return true; })()`);
        if (!ok) throw fail(`no enabled element ${selector} to click`);
    }

    // Focuses the element and types text into it as keyboard input.
    async type(selector, text) {
        const ok = await this.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
            if (!e) return false; e.focus(); return true; })()`);
        if (!ok) throw fail(`no element ${selector} to type into`);
        await this.send('Input.insertText', { text });
    }

    async pressEnter() {
        const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
        await this.send('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', ...key });
        await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
    }

    // The whole page, not just the viewport (the detail page is long).
    async screenshot(file) {
        if (!file) return;
        const { cssContentSize: s } = await this.send('Page.getLayoutMetrics');
        const clip = { x: 0, y: 0, width: Math.ceil(s.width), height: Math.ceil(s.height), scale: 1 };
        const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip });
        fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
        log(`screenshot ${file}`);
    }
}

// --- the test ------------------------------------------------------------------

async function main() {
    const chromium = findChromium();
    if (!chromium) {
        console.error('manager_browser: no Chromium (/usr/bin/chromium; apt-get install chromium); skipping');
        return SKIP;
    }
    const burrow = process.env.BURROW_BIN;
    if (!burrow) {
        console.error('manager_browser: BURROW_BIN is not set (run through ctest)');
        return 1;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'burrow-manager-browser-'));
    const state = path.join(tmp, 'state');
    const project = path.join(tmp, 'project');
    fs.mkdirSync(project, { mode: 0o755 });
    // The sandbox's command follows this file: its lines are the log.
    const greeting = path.join(project, 'greeting.txt');
    // Markup in the sandbox's output must show as text, never as elements.
    fs.writeFileSync(greeting, 'log line 1: hello from the project <b>not bold</b>\n');
    let screens = null;
    const screensArg = process.argv.indexOf('--screens');
    if (screensArg > 0 && process.argv[screensArg + 1]) {
        // Artifacts, not assertions: a build dir the user cannot write to
        // costs the screenshots, not the test.
        const dir = path.join(process.argv[screensArg + 1], process.getuid() === 0 ? 'root' : 'user');
        try {
            fs.mkdirSync(dir, { recursive: true });
            fs.accessSync(dir, fs.constants.W_OK);
            screens = dir;
        } catch (e) {
            log(`no screenshots: ${dir}: ${e.message}`);
        }
    }
    const shot = (name) => (screens ? path.join(screens, name) : null);

    const children = [];
    let manager = null;
    let token = null;
    let port = 0;
    let sandboxId = null;
    let page = null;
    const errors = [];
    try {
        // The manager, on a port picked here (bind, read, close: the only
        // window for a clash is between that close and the manager's bind).
        port = await freePort();
        const mlog = fs.openSync(path.join(tmp, 'manager.stderr'), 'w');
        // Its own session registry and project state (XDG dirs in tmp):
        // other burrow processes of this user, another build's included,
        // neither see nor prune the test's sandbox, nor it theirs.
        const xdg = { XDG_RUNTIME_DIR: path.join(tmp, 'xdg-run'), XDG_STATE_HOME: path.join(tmp, 'xdg-state') };
        for (const d of Object.values(xdg)) fs.mkdirSync(d, { mode: 0o700 });
        manager = spawn(burrow, ['manager', '--listen', `127.0.0.1:${port}`, '--state-dir', state], {
            stdio: ['ignore', mlog, mlog],
            env: { ...process.env, ...xdg },
        });
        children.push(manager);
        let managerExit = null;
        manager.on('exit', (code, sig) => (managerExit = sig || code));
        const managerGone = () => {
            if (managerExit !== null) {
                const err = fs.readFileSync(path.join(tmp, 'manager.stderr'), 'utf8');
                throw fail(`burrow manager exited (${managerExit}): ${err.trim()}`);
            }
        };
        token = await until('the manager\'s token file', () => {
            managerGone();
            const t = fs.existsSync(path.join(state, 'token')) && fs.readFileSync(path.join(state, 'token'), 'utf8').trim();
            return t && t.length >= 32 ? t : null;
        });
        await until('the manager to answer', async () => {
            managerGone();
            return (await apiRequest(port, token, 'GET', '/api/v1/session')).status === 200;
        });
        log(`manager pid ${manager.pid} on 127.0.0.1:${port}`);

        // Chromium, headless, driven over fds 3 and 4. --no-sandbox: the
        // browser's own sandbox needs a setuid helper or root's consent,
        // and the page it shows is ours on loopback. No background
        // networking: this machine has no network beyond loopback.
        const profile = path.join(tmp, 'chromium');
        const browser = spawn(chromium, [
            '--headless=new', '--remote-debugging-pipe', '--no-sandbox', '--disable-gpu',
            '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-extensions',
            '--disable-default-apps', '--mute-audio', '--hide-scrollbars',
            `--user-data-dir=${profile}`, '--window-size=1280,900', 'about:blank',
        ], {
            stdio: ['ignore', 'ignore', fs.openSync(path.join(tmp, 'chromium.stderr'), 'w'), 'pipe', 'pipe'],
            env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_CACHE_HOME: path.join(tmp, 'cache'),
                   // Its singleton socket dir (org.chromium.Chromium.*) goes to TMPDIR: ours, removed at the end.
                   TMPDIR: tmp },
        });
        children.push(browser);
        const cdp = new Cdp(browser.stdio[3], browser.stdio[4]);
        const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
        const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
        page = new Page(cdp, sessionId);
        log(`chromium pid ${browser.pid}: ${(await cdp.send('Browser.getVersion')).product}`);

        // Everything the console says at level error, but for the one 404
        // the contract announces (no screenshots yet: "no display").
        cdp.on((method, p, sid) => {
            if (sid !== sessionId) return;
            if (method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
                errors.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
            } else if (method === 'Runtime.exceptionThrown') {
                const d = p.exceptionDetails;
                errors.push(`exception: ${(d.exception && d.exception.description) || d.text}`);
            } else if (method === 'Log.entryAdded' && p.entry.level === 'error') {
                const e = p.entry;
                if (e.source === 'network' && /\/api\/v1\/sandboxes\/[^/]+\/screenshot\?t=\d+$/.test(e.url || '') && / 404 /.test(e.text)) return;
                errors.push(`${e.source}: ${e.text}${e.url ? ' (' + e.url + ')' : ''}`);
            }
        });
        await page.send('Runtime.enable');
        await page.send('Log.enable');
        await page.send('Page.enable');
        await page.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });

        const base = `http://127.0.0.1:${port}`;
        const sel = (s) => JSON.stringify(s);

        // 1. The login page, then the token in the fragment logs in by itself.
        await page.navigate(`${base}/`);
        await until('the dashboard to send us to /login', () => page.eval(`location.pathname === '/login' && !!document.querySelector('#token')`));
        await page.screenshot(shot('01-login.png'));
        await page.navigate('about:blank');
        await page.navigate(`${base}/login#token=${token}`);
        await until('the dashboard after logging in', () =>
            page.eval(`location.pathname === '/' && !!document.querySelector('#create') && !!document.querySelector('#f-backend option[value=namespace]')`));
        if (await page.eval(`location.href.includes(${sel(token)})`)) throw fail('the token stayed in the address bar');
        log('logged in: the dashboard shows the create form');

        // 2. Create a namespace sandbox through the form.
        await page.eval(`(() => { const b = document.querySelector('#f-backend'); b.value = 'namespace';
            b.dispatchEvent(new Event('change')); })()`);
        await page.type('#f-name', 'browser-test');
        await page.type('#f-project', project);
        const command = ['tail', '-n', '+1', '-f', greeting];
        await page.type('#f-command', command.join(' '));
        await page.screenshot(shot('02-create-form.png'));
        await page.click('#f-submit');
        const cardSel = `article.sandbox`;
        const card = await until('the new sandbox\'s card', () =>
            page.eval(`(() => { const e = [...document.querySelectorAll(${sel(cardSel)})].find((c) =>
                c.querySelector('.card-title').textContent === 'browser-test'); return e ? e.dataset.id : null; })()`), 10000);
        sandboxId = card;
        log(`created ${sandboxId}`);
        const createErr = await page.eval(`document.querySelector('#create-error').hidden ? '' : document.querySelector('#create-error').textContent`);
        if (createErr) throw fail(`the form says: ${createErr}`);
        const cardStatus = `document.querySelector('article.sandbox[data-id=${sel(sandboxId)}] .status').dataset.status`;
        await until('the card to show running', async () => (await page.eval(cardStatus)) === 'running', 10000);
        const truth = JSON.parse((await apiRequest(port, token, 'GET', `/api/v1/sandboxes/${sandboxId}`)).body);
        if (truth.status !== 'running' || truth.backend !== 'namespace' || truth.project_dir !== project ||
            JSON.stringify(truth.command) !== JSON.stringify(command)) {
            throw fail(`the API disagrees with the form: ${JSON.stringify(truth)}`);
        }
        await page.screenshot(shot('03-dashboard-running.png'));
        log('the card shows running; the API agrees');

        // 3. Its page: a terminal into the sandbox.
        await page.click(`article.sandbox[data-id=${sel(sandboxId)}] .card-title`);
        await until('the detail page', () => page.eval(`location.hash === ${sel('#/sandbox/' + sandboxId)} &&
            document.querySelector('#d-name').textContent === 'browser-test'`));
        const xterm = await until('the terminal', () => page.eval(`(() => { const t = document.querySelector('#terminal');
            if (!t) return null; if (t.burrowTerminal) return 'xterm'; if (document.querySelector('#line-in')) return 'line'; return null; })()`));
        log(`terminal: ${xterm === 'xterm' ? 'xterm.js' : 'line mode (no xterm.js built in)'}`);
        const screenText = xterm === 'xterm'
            ? `(() => { const t = document.querySelector('#terminal').burrowTerminal; const b = t.buffer.active; const out = [];
                for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true)); return out.join('\\n'); })()`
            : `document.querySelector('#line-out').textContent`;
        // The live log: what is there, then what is appended while we look.
        const logText = `document.querySelector('#log').textContent`;
        await until('the log\'s first line', async () => (await page.eval(logText)).includes('log line 1: hello from the project'));
        if (await page.eval(`document.querySelector('#log').childElementCount`)) throw fail('the log\'s markup became elements');
        if (!(await page.eval(logText)).includes('<b>not bold</b>')) throw fail('the log\'s markup is not shown as text');
        fs.appendFileSync(greeting, 'log line 2: appended while the page is open\n');
        await until('the appended log line', async () => (await page.eval(logText)).includes('log line 2: appended while the page is open'));
        log('the live log shows the lines, including one appended after the page opened');
        // A shell prompt (anything on screen) means the pty is up.
        await until('the shell in the terminal', async () => (await page.eval(screenText)).trim().length > 0, 10000);
        if (xterm === 'xterm') {
            await page.eval(`document.querySelector('#terminal').burrowTerminal.focus()`);
            await page.send('Input.insertText', { text: 'echo hi-from-browser' });
            await page.pressEnter();
        } else {
            await page.type('#line-in', 'echo hi-from-browser');
            await page.pressEnter();
        }
        // The output line, not the echoed command line.
        await until('hi-from-browser as the command\'s output', async () =>
            (await page.eval(screenText)).split('\n').some((l) => l.trim() === 'hi-from-browser'), 10000);
        await until('the metrics', () => page.eval(`document.querySelector('#m-pids').textContent !== '–'`), 5000);
        await until('the screen box to settle', () => page.eval(`!!document.querySelector('#screenshot img, #no-display')`), 5000);
        await page.screenshot(shot('04-detail-terminal.png'));
        log('typed into the terminal and read the output back');

        // 4. Stop, through the confirmation dialog.
        await page.click('#d-stop');
        await until('the confirmation dialog', () => page.eval(`document.querySelector('#confirm').open`));
        await page.screenshot(shot('05-confirm-stop.png'));
        await page.click('#confirm-ok');
        const detailStatus = `document.querySelector('.detail-head .status').dataset.status`;
        await until('the page to show exited', async () => (await page.eval(detailStatus)) === 'exited', 12000);
        const after = JSON.parse((await apiRequest(port, token, 'GET', `/api/v1/sandboxes/${sandboxId}`)).body);
        if (after.status !== 'exited') throw fail(`the page says exited, the API ${after.status}`);
        await page.screenshot(shot('06-detail-exited.png'));
        log(`stopped: exited (${JSON.stringify({ exit_status: after.exit_status, signal: after.signal })})`);

        // 5. Delete, through the dialog: back on the list, the card is gone.
        await page.click('#d-delete');
        await until('the confirmation dialog', () => page.eval(`document.querySelector('#confirm').open`));
        await page.click('#confirm-ok');
        await until('the list without the card', () => page.eval(`location.hash === '#/' &&
            !!document.querySelector('#cards') && !document.querySelector('article.sandbox[data-id=${sel(sandboxId)}]')`));
        await until('the API to forget it', async () =>
            (await apiRequest(port, token, 'GET', `/api/v1/sandboxes/${sandboxId}`)).status === 404);
        sandboxId = null;
        log('deleted');

        if (errors.length) throw fail(`Chromium's console has errors:\n  ${errors.join('\n  ')}`);
        await cdp.send('Browser.close').catch(() => {});
        log('PASS');
        return 0;
    } catch (e) {
        console.error(`manager_browser: FAIL: ${e.testFailure ? e.message : e.stack}`);
        if (page) {
            // Where the browser was, what it showed and said.
            const where = await page.eval(`location.href + '\\n' + document.body.innerText.slice(0, 600)`).catch((x) => x.message);
            console.error(`--- the page: ${where}`);
        }
        if (errors.length) console.error(`--- Chromium's console:\n  ${errors.join('\n  ')}`);
        for (const f of ['manager.stderr', 'chromium.stderr']) {
            try {
                const t = fs.readFileSync(path.join(tmp, f), 'utf8').trim();
                if (t) console.error(`--- ${f} (last lines)\n${t.split('\n').slice(-15).join('\n')}`);
            } catch (x) {
                /* not started */
            }
        }
        return 1;
    } finally {
        // Only what this test started: its sandbox (through the API), then
        // its two children, by PID.
        if (sandboxId && token) await apiRequest(port, token, 'DELETE', `/api/v1/sandboxes/${sandboxId}`).catch(() => {});
        for (const c of children.reverse()) {
            if (c.exitCode !== null || c.signalCode !== null) continue;
            const gone = new Promise((r) => c.once('exit', r));
            c.kill('SIGTERM');
            const t = setTimeout(() => c.kill('SIGKILL'), 3000);
            await gone;
            clearTimeout(t);
        }
        fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    }
}

main().then((code) => process.exit(code), (e) => {
    console.error(e);
    process.exit(1);
});
