// Runs launch_container() on a ProjectSandbox built by hand from flags, so
// the container backend is tested on its own (the launch CLI and the
// project-sandbox builder live on another branch). Being the launching
// binary, it is also the in-container helper (__container-exec).
//
//   container_driver [--project DIR] [--uid N] [--gid N] [--cwd DIR]
//       [--hostname H] [--no-network | --host-network] [--env NAME=VALUE]... [--sudo]
//       [--nspawn PATH] [--bind SRC:DEST] [--ro-bind SRC:DEST]
//       [--dev-bind SRC:DEST] [--tmpfs DEST[:MODE]] [--dir DEST]
//       [--copy SRC:DEST] [--system DIR] ... -- COMMAND [ARG...]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "launcher/container/exec.hpp"
#include "launcher/container/launch.hpp"

using burrow::project::Share;

namespace {

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "container_driver: %s\n", why.c_str());
    std::exit(2);
}

Share share(Share::Kind k, const std::string& arg, const char* why) {
    Share s;
    s.kind = k;
    s.why = why;
    auto colon = arg.find(':');
    if (k == Share::Kind::tmpfs || k == Share::Kind::dir) {
        s.dest = arg.substr(0, colon);
        if (colon != std::string::npos) s.mode = std::stoul(arg.substr(colon + 1), nullptr, 8);
        return s;
    }
    // SRC:DEST split at the last colon (sources may hold colons).
    colon = arg.rfind(':');
    if (colon == std::string::npos) usage("SRC:DEST expected: " + arg);
    s.source = arg.substr(0, colon);
    s.dest = arg.substr(colon + 1);
    return s;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], burrow::container::kExecVerb) == 0)
        return burrow::container::container_exec_main(argc, argv);

    burrow::project::ProjectSandbox ps;
    ps.backend = burrow::project::Backend::container;
    ps.uid = ::getuid();
    ps.gid = ::getgid();
    ps.project_id = "driver";
    ps.hostname = "burrow-driver";
    burrow::launch::ContainerOptions o;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--no-network") {
            ps.network = burrow::project::Network::none;
            continue;
        }
        if (a == "--host-network") { // else the default: the container's private network
            ps.network = burrow::project::Network::host;
            continue;
        }
        if (a == "--sudo") {
            o.sudo = true;
            continue;
        }
        if (i + 1 >= argc) usage("missing value for " + a);
        std::string v = argv[++i];
        if (a == "--project") {
            ps.project_dir = v;
            ps.cwd = v;
            Share proj;
            proj.kind = Share::Kind::bind;
            proj.source = proj.dest = v;
            proj.why = "project";
            ps.shares.push_back(proj);
        } else if (a == "--uid")
            ps.uid = static_cast<uid_t>(std::stoul(v));
        else if (a == "--gid")
            ps.gid = static_cast<gid_t>(std::stoul(v));
        else if (a == "--cwd")
            ps.cwd = v;
        else if (a == "--hostname")
            ps.hostname = v;
        else if (a == "--nspawn")
            o.nspawn = v;
        else if (a == "--system")
            o.system = v;
        else if (a == "--env") {
            auto eq = v.find('=');
            if (eq == std::string::npos) usage("--env NAME=VALUE");
            ps.env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        } else if (a == "--bind")
            ps.shares.push_back(share(Share::Kind::bind, v, "user-bind"));
        else if (a == "--ro-bind")
            ps.shares.push_back(share(Share::Kind::ro_bind, v, "user-bind"));
        else if (a == "--dev-bind")
            ps.shares.push_back(share(Share::Kind::dev_bind, v, "dri"));
        else if (a == "--tmpfs")
            ps.shares.push_back(share(Share::Kind::tmpfs, v, "home"));
        else if (a == "--dir")
            ps.shares.push_back(share(Share::Kind::dir, v, "state"));
        else if (a == "--copy")
            ps.shares.push_back(share(Share::Kind::copy, v, "agent-config"));
        else
            usage("unknown option " + a);
    }
    for (; i < argc; ++i) ps.command.push_back(argv[i]);
    if (ps.command.empty()) usage("no command");
    ps.env.emplace_back("BURROW_SANDBOX", "1");
    ps.env.emplace_back("BURROW_BACKEND", "container");
    return burrow::launch::launch_container(ps, o);
}
