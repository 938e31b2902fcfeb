// The login page: a plain form posting the token to /login (the daemon sets
// the HttpOnly cookie and answers 303 to /). A URL ending in #token=T (as
// `burrow remote HOST ui` opens) is submitted by itself; the fragment never
// reaches a server, and it is removed from the address bar and history first.
// A wrong token comes back as /login?failed=1.
'use strict';
(function () {
    const form = document.getElementById('login');
    const field = document.getElementById('token');
    const params = new URLSearchParams(location.search);
    if (params.has('failed')) {
        const e = document.getElementById('login-error');
        e.textContent = 'That token was not accepted.';
        e.hidden = false;
    }
    const m = /^#token=([^&]*)/.exec(location.hash);
    if (m) {
        field.value = decodeURIComponent(m[1]);
        history.replaceState(null, '', location.pathname);
        form.submit();
    }
})();
