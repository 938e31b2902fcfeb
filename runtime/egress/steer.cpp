#include "runtime/egress/steer.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/namespaces.hpp"

namespace burrow::egress {

namespace {

// Every address through lo, so a connect() to any address reaches the nat
// hook instead of failing with ENETUNREACH. IPv4 needs the preferred
// source 127.0.0.1 (lo's addresses are host-scoped, a link-scoped route
// would leave the source 0.0.0.0 and the proxy's replies would go to
// 0.0.0.0), which SIOCADDRT cannot say: one rtnetlink request, hand-made
// because libmnl has no static archive in Debian and burrow is a static PIE.
void route_via_lo_v4() {
    Fd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock) fail_errno("network: socket(AF_NETLINK)");
    struct {
        nlmsghdr nh;
        rtmsg rt;
        char attrs[2 * RTA_SPACE(4)];
    } req{};
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
    req.nh.nlmsg_type = RTM_NEWROUTE;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    req.nh.nlmsg_seq = 1;
    req.rt.rtm_family = AF_INET;
    req.rt.rtm_table = RT_TABLE_MAIN;
    req.rt.rtm_protocol = RTPROT_BOOT;
    req.rt.rtm_scope = RT_SCOPE_LINK;
    req.rt.rtm_type = RTN_UNICAST;
    auto add = [&](unsigned short type, uint32_t value) {
        auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) +
                                              NLMSG_ALIGN(req.nh.nlmsg_len));
        rta->rta_type = type;
        rta->rta_len = RTA_LENGTH(4);
        std::memcpy(RTA_DATA(rta), &value, 4);
        req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_SPACE(4);
    };
    add(RTA_OIF, ::if_nametoindex("lo"));
    add(RTA_PREFSRC, htonl(INADDR_LOOPBACK));
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(sock.get(), &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        fail_errno("network: cannot add the default route through lo (rtnetlink)");
    char buf[512];
    const ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0) fail_errno("network: cannot add the default route through lo (rtnetlink)");
    const auto* nh = reinterpret_cast<const nlmsghdr*>(buf);
    if (!NLMSG_OK(nh, static_cast<unsigned>(n)) || nh->nlmsg_type != NLMSG_ERROR)
        fail("network: cannot add the default route through lo: no answer from rtnetlink");
    const int err = -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(nh))->error;
    if (err != 0) fail_errno("network: cannot add the default route through lo", err);
}

bool route_via_lo_v6() {
    Fd sock(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) return false;
    in6_rtmsg rt{};
    rt.rtmsg_ifindex = static_cast<int>(::if_nametoindex("lo"));
    rt.rtmsg_flags = RTF_UP;
    rt.rtmsg_metric = 1;
    return ::ioctl(sock.get(), SIOCADDRT, &rt) == 0;
}

// Egress::stack_template: the tap is persistent because this setup child
// ends at once; it goes with the namespace.
void add_template_link() {
    Fd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!tun) fail_errno("network: open /dev/net/tun");
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "burrow0", IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(tun.get(), TUNSETIFF, &ifr) != 0)
        fail_errno("network: cannot create the tap burrow0 (TUNSETIFF)");
    if (::ioctl(tun.get(), TUNSETPERSIST, 1) != 0)
        fail_errno("network: cannot keep the tap burrow0 (TUNSETPERSIST)");
}

Fd bound(int family, int type, const char* what, uint16_t port, bool loopback) {
    Fd s(::socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s) fail_errno(std::string("network: socket for the ") + what);
    const int one = 1, zero = 0;
    if (family == AF_INET6 &&
        ::setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, loopback ? &one : &zero, sizeof one) != 0)
        fail_errno(std::string("network: IPV6_V6ONLY for the ") + what);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
        len = sizeof *a;
    }
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
        fail_errno(std::string("network: bind for the ") + what);
    if (type == SOCK_STREAM && ::listen(s.get(), 512) != 0)
        fail_errno(std::string("network: listen for the ") + what);
    return s;
}

uint16_t port_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        fail_errno("network: getsockname");
    return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// libnftables is loaded here only: the proxy's setup process is the one
// user; every other burrow start does not pay for it and its five
// dependencies.
void apply_ruleset(const std::string& rules) {
    void* h = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail(std::string("network: cannot load libnftables.so.1 (Debian: apt install "
                         "libnftables1): ") +
             ::dlerror());
    using New = void* (*)(uint32_t);
    using Free = void (*)(void*);
    using Buffer = int (*)(void*);
    using Run = int (*)(void*, const char*);
    using Get = const char* (*)(void*);
    auto ctx_new = reinterpret_cast<New>(::dlsym(h, "nft_ctx_new"));
    auto ctx_free = reinterpret_cast<Free>(::dlsym(h, "nft_ctx_free"));
    auto buffer_error = reinterpret_cast<Buffer>(::dlsym(h, "nft_ctx_buffer_error"));
    auto run = reinterpret_cast<Run>(::dlsym(h, "nft_run_cmd_from_buffer"));
    auto get_error = reinterpret_cast<Get>(::dlsym(h, "nft_ctx_get_error_buffer"));
    if (!ctx_new || !ctx_free || !buffer_error || !run || !get_error)
        fail("network: libnftables.so.1 lacks the nft_ctx API");
    void* ctx = ctx_new(0); // NFT_CTX_DEFAULT
    if (!ctx) fail("network: nft_ctx_new failed");
    buffer_error(ctx);
    if (run(ctx, rules.c_str()) != 0) {
        std::string err = get_error(ctx) ? get_error(ctx) : "";
        while (!err.empty() && (err.back() == '\n' || err.back() == '^' || err.back() == ' '))
            err.pop_back();
        if (const auto nl = err.find('\n'); nl != std::string::npos) err.resize(nl);
        ctx_free(ctx);
        fail("network: cannot install the nftables rules in the sandbox's namespace: " +
             (err.empty() ? std::string("libnftables failed") : err));
    }
    ctx_free(ctx);
}

} // namespace

std::string ruleset(uint16_t tcp_port, uint16_t dns_port, bool ipv6, bool dns_only) {
    const std::string tcp = std::to_string(tcp_port), dns = std::to_string(dns_port);
    std::string r = "table inet burrow {\n"
                    " chain steer {\n"
                    "  type nat hook output priority -100; policy accept;\n"
                    "  udp dport 53 redirect to :" +
                    dns +
                    "\n"
                    "  tcp dport 53 redirect to :" +
                    tcp + "\n";
    if (dns_only) return r + " }\n}\n";
    r += "  ip daddr 127.0.0.0/8 return\n";
    if (ipv6) r += "  ip6 daddr ::1 return\n";
    r += "  meta l4proto tcp redirect to :" + tcp +
         "\n"
         " }\n"
         " chain only_loopback {\n"
         "  type filter hook output priority 0; policy drop;\n"
         "  ip daddr 127.0.0.0/8 accept\n";
    if (ipv6) r += "  ip6 daddr ::1 accept\n";
    r += " }\n"
         "}\n";
    return r;
}

Listeners steer(const Egress& egress) {
    Listeners l;
    ns::bring_up_loopback();
    if (egress.dns_only) {
        // The user-mode stack routes everything else; forwards are its own.
        Fd probe(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        l.ipv6 = probe.valid();
    } else {
        route_via_lo_v4();
        l.ipv6 = route_via_lo_v6();
        if (egress.stack_template) add_template_link();
    }
    l.tcp = bound(l.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, "proxy", 0, false);
    l.tcp_port = port_of(l.tcp.get());
    l.dns4 = bound(AF_INET, SOCK_DGRAM, "resolver", 0, true);
    l.dns_port = port_of(l.dns4.get());
    if (l.ipv6) l.dns6 = bound(AF_INET6, SOCK_DGRAM, "resolver", l.dns_port, true);
    if (egress.connect_proxy_port != 0 && !egress.dns_only) {
        const uint16_t port = egress.connect_proxy_port;
        l.forward.push_back(
            {bound(AF_INET, SOCK_STREAM, "proxy endpoint", port, true), port, true});
        if (l.ipv6)
            l.forward.push_back(
                {bound(AF_INET6, SOCK_STREAM, "proxy endpoint", port, true), port, true});
    }
    for (const PortForward& f : egress.dns_only ? std::vector<PortForward>{} : egress.forward) {
        l.forward.push_back({bound(AF_INET, SOCK_STREAM, "forward", f.port, true), f.port});
        if (l.ipv6)
            l.forward.push_back({bound(AF_INET6, SOCK_STREAM, "forward", f.port, true), f.port});
    }
    apply_ruleset(ruleset(l.tcp_port, l.dns_port, l.ipv6, egress.dns_only));
    return l;
}

namespace {

// The message: kinds and ports, then the fds in the same order.
struct Header {
    uint8_t ipv6;
    uint8_t count;
    uint16_t tcp_port, dns_port;
    uint16_t forward_ports[66];
    uint8_t connect_proxy[66];
};
constexpr std::size_t kMaxFds = 3 + 66;

} // namespace

void send_listeners(int sock, const Listeners& l) {
    Header h{};
    h.ipv6 = l.ipv6;
    h.tcp_port = l.tcp_port;
    h.dns_port = l.dns_port;
    std::vector<int> fds{l.tcp.get(), l.dns4.get(), l.ipv6 ? l.dns6.get() : l.dns4.get()};
    if (l.forward.size() > 66) fail("network: at most 32 forwarded ports");
    for (std::size_t i = 0; i < l.forward.size(); ++i) {
        h.forward_ports[i] = l.forward[i].port;
        h.connect_proxy[i] = l.forward[i].connect_proxy;
        fds.push_back(l.forward[i].fd.get());
    }
    h.count = static_cast<uint8_t>(l.forward.size());
    char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    iovec iov{&h, sizeof h};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof h))
        fail_errno("network: sendmsg of the listeners");
}

Listeners receive_listeners(int sock) {
    Header h{};
    char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    iovec iov{&h, sizeof h};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) fail_errno("network: recvmsg of the listeners");
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            const std::size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const std::size_t old = fds.size();
            fds.resize(old + k);
            std::memcpy(fds.data() + old, CMSG_DATA(c), k * sizeof(int));
        }
    std::vector<Fd> owned;
    for (int fd : fds) owned.emplace_back(fd);
    if (n != static_cast<ssize_t>(sizeof h) || (msg.msg_flags & MSG_CTRUNC) ||
        owned.size() != 3u + h.count || h.count > 66)
        fail("network: the proxy's setup process sent no listeners");
    Listeners l;
    l.ipv6 = h.ipv6 != 0;
    l.tcp_port = h.tcp_port;
    l.dns_port = h.dns_port;
    l.tcp = std::move(owned[0]);
    l.dns4 = std::move(owned[1]);
    if (l.ipv6) l.dns6 = std::move(owned[2]);
    for (std::size_t i = 0; i < h.count; ++i)
        l.forward.push_back({std::move(owned[3 + i]), h.forward_ports[i], h.connect_proxy[i] != 0});
    return l;
}

} // namespace burrow::egress
