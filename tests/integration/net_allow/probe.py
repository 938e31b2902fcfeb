# The client side of tests/integration/net_allow.sh: every check of checks
# a-i, m, n and o, one line each:
#   CHECK <id> ok: <what it ran> -> <what it got>
#   CHECK <id> FAIL: <what it ran>: expected <outcome>, got <outcome> (<detail>)
# MODE "sandbox": run inside burrow under the test's allowlist policy;
# MODE "direct": run in the test's namespace without burrow, where every
# refusal check must see the server answer instead (the fixtures work, and
# each check can tell the two apart). Checks run in order: "a" resolves
# allowed.test, which "d" relies on (an address the resolver handed out).
import errno, os, socket, ssl, subprocess, sys

mode, ca = sys.argv[1], sys.argv[2]
sandbox = mode == "sandbox"
TIMEOUT = 3
failures = 0


def report(cid, what, expected, got, detail=""):
    global failures
    ok = got in expected if isinstance(expected, tuple) else got == expected
    if ok:
        print("CHECK %s ok: %s -> %s%s" % (cid, what, got, " (%s)" % detail if detail else ""))
    else:
        failures += 1
        print("CHECK %s FAIL: %s: expected %s, got %s (%s)" % (cid, what, expected, got, detail))
    sys.stdout.flush()


def resolve(name):
    """("ok", address) or ("nxdomain", why) or ("dns-error", why)."""
    try:
        return "ok", socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except socket.gaierror as e:
        return ("nxdomain" if e.errno == socket.EAI_NONAME else "dns-error"), str(e)


def classify(e):
    """A reset or an end of stream before any answer is a refusal (what the
    proxy does); anything else (a timeout, an unreachable network) is not."""
    if isinstance(e, (ConnectionResetError, ConnectionRefusedError, BrokenPipeError,
                      ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return "refused", "%s: %s" % (type(e).__name__, e)
    if isinstance(e, (TimeoutError, socket.timeout)):
        return "timeout", "no answer within %d s" % TIMEOUT
    return "error", "%s: %s" % (type(e).__name__, e)


def recv_all(s, limit=65536):
    data = b""
    while len(data) < limit:
        d = s.recv(4096)
        if not d:
            break
        data += d
    return data


def tcp(host, port, send=None, family=socket.AF_INET):
    """Connect to host:port (a name is resolved first); send SEND and read
    to the end, or (SEND None) read the greeting of a server that speaks
    first. ("works", data) / ("refused"|"timeout"|"error"|"nxdomain", why)."""
    addr = host
    if family == socket.AF_INET and not host.replace(".", "").isdigit():
        r, addr = resolve(host)
        if r != "ok":
            return r, addr
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(addr if family == socket.AF_UNIX else (addr, port))
        if send is None:
            data = s.recv(4096)
        else:
            s.sendall(send)
            data = recv_all(s)
    except OSError as e:
        return classify(e)
    finally:
        s.close()
    if not data:
        return "refused", "end of stream before any byte"
    return "works", data.decode(errors="replace").strip().splitlines()[-1]


def http_get(host, port, host_header):
    return tcp(host, port, b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host_header.encode())


def tls_get(addr, sni):
    ctx = ssl.create_default_context(cafile=ca)
    # The chain is checked (the test CA), the name not: a refusal must come
    # from the sandbox, never from this client.
    ctx.check_hostname = False
    s = socket.socket()
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, 8443))
        t = ctx.wrap_socket(s, server_hostname=sni)
        t.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % sni.encode())
        data = recv_all(t)
    except OSError as e:  # ssl.SSLError is an OSError
        return classify(e)
    finally:
        s.close()
    if not data:
        return "refused", "end of stream before any byte"
    return "works", data.decode(errors="replace").strip().splitlines()[-1]


def curl(*args):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    cmd = ["curl", "-sS", "--max-time", str(TIMEOUT)] + list(args)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    what = " ".join(cmd) + " (no *_proxy variables)"
    if r.returncode == 0:
        return what, "works", r.stdout.strip()
    return what, "exit %d" % r.returncode, r.stderr.strip()


def check_tcp(cid, host, port, expected, send=None, expect_data=None, family=socket.AF_INET):
    got, detail = tcp(host, port, send, family)
    if got == "works" and expect_data is not None and detail != expect_data:
        got = "wrong answer"
    what = "%s %s:%s%s" % ("unix" if family == socket.AF_UNIX else "tcp", repr(host)
                           if family == socket.AF_UNIX else host, port,
                           " send %r" % send[:40] if send else " read greeting")
    report(cid, what, expected, got, detail)


# The outcomes each check wants: (in the sandbox, without it).
REFUSED = ("refused", "works")
WORKS = ("works", "works")
# Unreachable: anything but an answer.
NOT = ("refused", "timeout", "error")
UNREACHABLE = (NOT, "works")

pick = lambda pair: pair[0] if sandbox else pair[1]

# a. An allowed name: curl (HTTP, HTTPS with the test CA), a raw socket.
what, got, detail = curl("http://allowed.test:8080/")
report("a.curl-http", what, "works", got if detail == "host=allowed.test" or got != "works"
       else "wrong answer", detail)
what, got, detail = curl("--cacert", ca, "https://allowed.test:8443/")
report("a.curl-https", what, "works", got if detail == "host=allowed.test" or got != "works"
       else "wrong answer", detail)
check_tcp("a.raw-socket", "allowed.test", 8080, "works",
          send=b"GET / HTTP/1.0\r\nHost: allowed.test\r\n\r\n", expect_data="host=allowed.test")

# b. A wildcard: a name below it works, the name itself does not exist.
check_tcp("b.wildcard-below", "www.wild.test", 8080, "works",
          send=b"GET / HTTP/1.0\r\nHost: www.wild.test\r\n\r\n", expect_data="host=www.wild.test")
got, detail = resolve("wild.test")
report("b.wildcard-apex", "getaddrinfo wild.test", "nxdomain", got, detail)

# c. A name not allowed: NXDOMAIN (the test checks the resolver never saw it).
got, detail = resolve("other.test")
report("c.not-allowed-name", "getaddrinfo other.test", pick(("nxdomain", "ok")), got, detail)

# d. The allowed name's address with another SNI: reset; with its own: works.
got, detail = tls_get("10.77.0.2", "other.test")
report("d.sni-other", "tls 10.77.0.2:8443 sni other.test", pick(REFUSED), got, detail)
got, detail = tls_get("10.77.0.2", "allowed.test")
if got == "works" and detail != "host=allowed.test":
    got = "wrong answer"
report("d.sni-allowed", "tls 10.77.0.2:8443 sni allowed.test", "works", got, detail)

# e. The allowed name's connection with another HTTP Host: reset.
check_tcp("e.host-other", "allowed.test", 8080, pick(REFUSED),
          send=b"GET / HTTP/1.0\r\nHost: other.test\r\n\r\n")

# f. An address no rule covers: reset; the port its address rule names: works
#    (the server speaks first, as SSH does).
check_tcp("f.address-not-allowed", "10.77.0.3", 7000, pick(REFUSED))
check_tcp("f.address-rule", "10.77.0.3", 7001, "works", expect_data="tcp-7001")

# g. An allowed name that resolves to loopback: not the host's service (the
#    resolver may also refuse to hand out a loopback address).
check_tcp("g.name-to-loopback", "loopy.test", 8081, pick((NOT + ("nxdomain",), "works")))

# h. The host's loopback services and abstract socket: unreachable; the
#    forwarded port: works.
check_tcp("h.host-loopback", "127.0.0.1", 8081, pick(UNREACHABLE))
check_tcp("h.host-address", "10.77.0.1", 8081, NOT)
check_tcp("h.host-abstract", "\0burrow-net-allow-test", "", pick(UNREACHABLE),
          family=socket.AF_UNIX)
check_tcp("h.forward", "127.0.0.1", 8082, "works", expect_data="forwarded-8082")

# i. UDP other than DNS: dropped (the test checks the echo server's log).
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(0.5)
token = b"burrow-udp-probe-" + mode.encode()
try:
    u.sendto(token, ("10.77.0.2", 9999))
    data, _ = u.recvfrom(4096)
    got, detail = ("works", data.decode(errors="replace"))
except (TimeoutError, socket.timeout):
    got, detail = "no answer", "nothing within 0.5 s"
except OSError as e:
    got, detail = "no answer", "%s: %s" % (type(e).__name__, e)
report("i.udp", "udp 10.77.0.2:9999 send %r" % token.decode(), pick(("no answer", "works")), got,
       detail)

# m. Programs that prefer a proxy: burrow sets HTTPS_PROXY to its CONNECT
#    endpoint (none without burrow); through it the same rules hold.
proxy = os.environ.get("HTTPS_PROXY", "")
report("m.proxy-variable", "HTTPS_PROXY", pick(("set", "unset")),
       "set" if proxy.startswith("http://127.0.0.1:") else "unset", proxy)
cmd = ["curl", "-sS", "--max-time", str(TIMEOUT)]
r = subprocess.run(cmd + ["--cacert", ca, "https://allowed.test:8443/"], capture_output=True,
                   text=True)
got = "works" if r.returncode == 0 and r.stdout.strip() == "host=allowed.test" else \
    "exit %d" % r.returncode
report("m.proxy-allowed", " ".join(cmd) + " https://allowed.test:8443/ (HTTPS_PROXY as set)",
       "works", got, (r.stdout + r.stderr).strip())
r = subprocess.run(cmd + ["--insecure", "https://other.test:8443/"], capture_output=True,
                   text=True)
got = "works" if r.returncode == 0 else ("refused" if "403" in r.stderr else
                                         "exit %d" % r.returncode)
report("m.proxy-other", " ".join(cmd) + " --insecure https://other.test:8443/ (HTTPS_PROXY as set)",
       pick(REFUSED), got, (r.stdout + r.stderr).strip())

# m. Plain http through the same endpoint (HTTP_PROXY): curl sends the
#    absolute-form request there; an allowed name's server answers it, any
#    other name is a 403. The server sees the request (log "req 8080
#    host=allowed.test"), the refused one never reaches it (net_allow.sh).
hproxy = os.environ.get("HTTP_PROXY", "")
report("m.http-proxy-variable", "HTTP_PROXY", pick(("set", "unset")),
       "set" if hproxy == proxy and proxy else "unset", hproxy)
r = subprocess.run(cmd + ["-v", "http://allowed.test:8080/"], capture_output=True, text=True)
via = "GET http://allowed.test:8080/" in r.stderr
got = "works" if r.returncode == 0 and r.stdout.strip() == "host=allowed.test" and \
    via == sandbox else "exit %d" % r.returncode
report("m.http-proxy-allowed", " ".join(cmd) + " http://allowed.test:8080/ (HTTP_PROXY as set)",
       "works", got, "through the proxy" if via else "direct")
r = subprocess.run(cmd + ["-f", "http://other.test:8080/"], capture_output=True, text=True)
got = "works" if r.returncode == 0 else ("refused" if "403" in r.stdout + r.stderr else
                                         "exit %d" % r.returncode)
report("m.http-proxy-other", " ".join(cmd) + " -f http://other.test:8080/ (HTTP_PROXY as set)",
       pick(REFUSED), got, (r.stdout + r.stderr).strip())

# n. IPv6 is steered and held to the rules like IPv4: the address rule's
#    server works, another address is reset.
check_tcp("n.v6-address-rule", "fd77::2", 7002, "works", expect_data="tcp6-7002",
          family=socket.AF_INET6)
check_tcp("n.v6-not-allowed", "fd77::3", 7003, pick(REFUSED), family=socket.AF_INET6)

# o. Clients that close early: a port probe (connect, close at once) is no
#    refusal (the test counts the denial lines); a request followed by a
#    half-close is still answered.
try:
    addr = socket.gethostbyname("allowed.test")
    p = socket.create_connection((addr, 8080), timeout=TIMEOUT)
    p.close()
    got, detail = "works", "connected and closed"
except OSError as e:
    got, detail = classify(e)
report("o.port-probe", "tcp allowed.test:8080 connect, close", "works", got, detail)
try:
    h = socket.create_connection((addr, 8080), timeout=TIMEOUT)
    h.sendall(b"GET / HTTP/1.0\r\nHost: allowed.test\r\n\r\n")
    h.shutdown(socket.SHUT_WR)
    data = recv_all(h)
    h.close()
    got, detail = ("works", data.decode(errors="replace").strip().splitlines()[-1]) if data \
        else ("refused", "end of stream before any byte")
    if got == "works" and detail != "host=allowed.test":
        got = "wrong answer"
except OSError as e:
    got, detail = classify(e)
report("o.half-close", "tcp allowed.test:8080 request, shutdown(SHUT_WR), read", "works", got,
       detail)

print("CHECKS %d failed" % failures)
