# The "outside" of tests/integration/net_allow.sh, one process, one thread
# per listener. Every event is one line in LOG, so the test can show that a
# refused connection never reached its server:
#   dns NAME TYPE         a query to the resolver (127.0.0.1:53, UDP)
#   conn PORT             an accepted TCP connection
#   sni PORT NAME         the SNI of a TLS client (10.77.0.2:8443)
#   req PORT host=HOST    an HTTP request (10.77.0.2:8080 and :8443)
#   udp PAYLOAD           a datagram to the echo server (10.77.0.2:9999)
# Prints "ready" once every socket listens.
import socket, ssl, struct, sys, threading

log_path, cert, key = sys.argv[1:4]
log_file = open(log_path, "a", buffering=1)
log_lock = threading.Lock()


def log(line):
    with log_lock:
        log_file.write(line + "\n")


def tcp_listener(addr, port, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    if family != socket.AF_UNIX:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr if family == socket.AF_UNIX else (addr, port))
    s.listen(64)
    return s


def serve(sock, handler, port):
    while True:
        c, _ = sock.accept()
        log("conn %s" % port)
        threading.Thread(target=handler, args=(c, port), daemon=True).start()


# HTTP/1.0: answers the Host header back ("host=NAME").
def http(c, port, tls=None):
    try:
        c.settimeout(5)
        if tls is not None:
            c = tls.wrap_socket(c, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        host = "-"
        for line in data.split(b"\r\n")[1:]:
            if line.lower().startswith(b"host:"):
                host = line[5:].strip().decode(errors="replace").split(":")[0]
        log("req %s host=%s" % (port, host))
        body = ("host=%s\n" % host).encode()
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except (OSError, ssl.SSLError) as e:
        log("error %s %s" % (port, e))
    finally:
        c.close()


# Speaks first (a greeting line), then echoes: a protocol like SSH's, which a
# proxy must connect without waiting for the client's first bytes.
def greeter(greeting):
    def handle(c, port):
        try:
            c.settimeout(10)
            c.sendall(greeting + b"\n")
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()

    return handle


tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert, key)
tls.sni_callback = lambda s, name, ctx: log("sni 8443 %s" % name)

listeners = [
    (tcp_listener("10.77.0.2", 8080), http, 8080),
    (tcp_listener("10.77.0.2", 8443), lambda c, p: http(c, p, tls), 8443),
    (tcp_listener("10.77.0.3", 7000), greeter(b"tcp-7000"), 7000),
    (tcp_listener("10.77.0.3", 7001), greeter(b"tcp-7001"), 7001),
    (tcp_listener("fd77::2", 7002, socket.AF_INET6), greeter(b"tcp6-7002"), 7002),
    (tcp_listener("fd77::3", 7003, socket.AF_INET6), greeter(b"tcp6-7003"), 7003),
    (tcp_listener("127.0.0.1", 8081), greeter(b"host-loopback"), 8081),
    (tcp_listener("127.0.0.1", 8082), greeter(b"forwarded-8082"), 8082),
    (tcp_listener("\0burrow-net-allow-test", 0, socket.AF_UNIX), greeter(b"host-abstract"),
     "abstract"),
]
for sock, handler, port in listeners:
    threading.Thread(target=serve, args=(sock, handler, port), daemon=True).start()

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("10.77.0.2", 9999))


def udp_echo():
    while True:
        d, peer = udp.recvfrom(65536)
        log("udp %s" % d.decode(errors="replace"))
        udp.sendto(d, peer)


threading.Thread(target=udp_echo, daemon=True).start()

# DNS (UDP): A records for the names below, an empty answer for their other
# types, NXDOMAIN for any other name.
ZONE = {"allowed.test": "10.77.0.2", "www.wild.test": "10.77.0.2",
        "other.test": "10.77.0.2", "closed.test": "10.77.0.3", "loopy.test": "127.0.0.1"}
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 53))


def dns_serve():
    while True:
        q, peer = dns.recvfrom(4096)
        try:
            qid, flags = struct.unpack("!HH", q[:4])
            i, labels = 12, []
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
                i += 1 + q[i]
            qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
            question = q[12:i + 5]
        except (IndexError, struct.error, UnicodeDecodeError):
            continue
        name = ".".join(labels)
        log("dns %s %d" % (name, qtype))
        addr = ZONE.get(name)
        rcode = 3 if addr is None else 0
        answers = b""
        if addr is not None and qtype == 1:
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(addr)
        head = struct.pack("!HHHHHH", qid, 0x8080 | (flags & 0x0100) | rcode, 1,
                           1 if answers else 0, 0, 0)
        dns.sendto(head + question + answers, peer)


threading.Thread(target=dns_serve, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
