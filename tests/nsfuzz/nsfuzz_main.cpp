// burrow-nsfuzz: random but valid sandbox descriptions (bwrap command lines),
// each run for real with the probe as payload, with the host checked after
// every case. See tests/nsfuzz/README.md.
//
//   burrow-nsfuzz --seed N --cases K [--first I] [--keep-going] [--verbose]
//                 [--bwrap PATH] [--probe PATH]
//
// Exit status: 0 when every case held, 1 when one failed (its seed, number,
// command line and shrunk reproducer are printed), 2 on bad usage.
#include <signal.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/nsfuzz/nsfuzz_case.hpp"
#include "tests/nsfuzz/nsfuzz_host.hpp"
#include "tests/support/run_command.hpp"

namespace nsfuzz {
namespace {

constexpr int kStatusFd = 9;
constexpr const char* kOrphan = "nsfuzz-orphan";

struct Options {
    uint64_t seed = 1;
    unsigned cases = 100;
    unsigned first = 0;
    bool keep_going = false;
    bool verbose = false;
    std::vector<std::string> bwrap; // program and leading arguments
    std::string probe;
};

struct Failure {
    std::string
        kind; // what broke: exit, view, json, stderr, mounts, scratch, process, host, timeout
    std::vector<std::string> details;
    explicit operator bool() const { return !kind.empty(); }
};

class Harness {
  public:
    Harness(const Options& o, const Host& h) : o_(o), h_(h) {}

    Failure run(const Case& c) {
        Model m;
        size_t bad = 0;
        if (!build_model(h_, c, m, &bad))
            return {"internal", {"generated item " + std::to_string(bad) + " is not valid"}};
        for (const auto& it : c.items)
            if (!it.profile.empty()) {
                const std::string path = h_.scratch + "/cases/" + it.name;
                ::unlink(path.c_str());
                btest::write_file(path, it.profile);
            }

        const std::string mounts_before = mount_table();
        const Snapshot before = snapshot(h_.scratch + "/src");
        const Snapshot rw_before = snapshot(h_.scratch + "/rw");
        struct stat st;
        if (::lstat("/w", &st) == 0) return {"host", {"/w exists on the host before the case"}};

        btest::Command cmd;
        cmd.argv = o_.bwrap;
        for (auto& a : command_line(h_, c, m, o_.probe, kStatusFd)) cmd.argv.push_back(a);
        cmd.env = h_.env;
        cmd.timeout = std::chrono::milliseconds(20000);
        std::vector<int> opened; // host directories passed as fds, closed after the run
        for (const auto& it : c.items)
            for (const auto& f : it.fds) {
                if (f.host_path.empty()) {
                    cmd.fds.push_back(btest::data_fd(f.fd, f.data));
                    continue;
                }
                const std::string p = h_.scratch + "/" + f.host_path;
                opened.push_back(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (opened.back() < 0) return {"internal", {"open " + p}};
                cmd.fds.push_back(btest::inherit_fd(f.fd, opened.back()));
            }
        cmd.fds.push_back(btest::capture_fd(kStatusFd));
        btest::Result r = btest::run(cmd);
        for (int fd : opened) ::close(fd);

        Failure f;
        auto add = [&](const std::string& kind, const std::string& detail) {
            if (f.kind.empty()) f.kind = kind;
            if (f.details.size() < 12) f.details.push_back(detail);
        };
        // Leaks first: they matter even when the case failed otherwise.
        for (const auto& p : leftover_processes(kOrphan, 2000)) add("process", "left behind: " + p);
        if (r.timed_out) add("timeout", "no exit after 20 s: " + r.describe());
        for (const auto& d : mount_diff(mounts_before, mount_table())) add("mounts", d);
        std::vector<std::string> rw_dirs;
        for (const auto& it : c.items)
            if (it.kind == Item::Kind::bind || it.kind == Item::Kind::bind_try ||
                it.kind == Item::Kind::bind_fd)
                rw_dirs.push_back(it.src.substr(3));
        for (const auto& d : snapshot_diff(before, snapshot(h_.scratch + "/src"), {}))
            add("scratch", "src: " + d);
        for (const auto& d : snapshot_diff(rw_before, snapshot(h_.scratch + "/rw"), rw_dirs))
            add("scratch", "rw: " + d);
        if (::lstat("/w", &st) == 0) add("host", "/w was created on the host");
        if (f) return f;

        // A payload that is pid 1 cannot kill itself with a signal it does
        // not handle: the probe then exits 100.
        const int want = !c.exit_signal ? c.exit_code : m.as_pid_1 ? 100 : 128 + c.exit_signal;
        if (r.code() != want)
            add("exit", "exit status " + std::to_string(r.code()) + ", want " +
                            std::to_string(want) + "; stderr: " + r.err);
        if (!r.err.empty()) add("stderr", "unexpected stderr: " + r.err);
        check_view(c, m, r.out, add);
        check_status(m, r.captured[kStatusFd], want, add);
        return f;
    }

  private:
    template <class Add>
    void check_view(const Case& c, const Model& m, const std::string& out, Add& add) {
        std::map<std::string, std::string> seen;
        std::istringstream in(out);
        std::string line;
        while (std::getline(in, line)) {
            auto colon = line.find(": ");
            if (colon == std::string::npos) continue;
            std::string key = line.substr(0, colon), val = line.substr(colon + 2);
            if (key == "env" || key == "mount")
                seen[key] += val + "\n";
            else
                seen[key] = val;
        }
        for (const auto& [key, want] : expected_view(h_, c, m, false)) {
            auto i = seen.find(key);
            const std::string got = i == seen.end() ? "(nothing)" : i->second;
            if (!matches(want, got))
                add("view", key + ": got \"" + got + "\", want \"" + want + "\"");
        }
        if (c.orphan && seen["orphan"] != "left") add("view", "orphan: " + seen["orphan"]);
        if (has_proc(m)) check_mounts(m, seen["mount"], add);
    }

    // The mount table below /w as /proc/self/mountinfo shows it, against the
    // mounts the items made (ro/rw included), as multisets.
    template <class Add> void check_mounts(const Model& m, const std::string& lines, Add& add) {
        std::vector<std::string> opaque;
        for (const auto& mt : m.mounts)
            if (mt.fs == "proc" || mt.fs == "mqueue" || mt.opaque)
                opaque.push_back(mt.target + "/");
        std::multiset<std::string> got, want;
        std::istringstream in(lines);
        std::string l;
        while (std::getline(in, l)) {
            std::istringstream w(l);
            std::string mp, fs, flags;
            w >> mp >> fs >> flags;
            if (mp != "/w" && mp.compare(0, 3, "/w/") != 0) continue;
            bool below = false;
            for (const auto& o : opaque)
                if (mp.compare(0, o.size(), o) == 0) below = true;
            if (!below) got.insert(mp + (flags.compare(0, 2, "ro") == 0 ? " ro" : " rw"));
        }
        for (const auto& e : expected_mounts(m)) want.insert(e);
        if (got == want) return;
        for (const auto& g : got)
            if (got.count(g) > want.count(g)) add("mounts-inside", "unexpected mount " + g);
        for (const auto& w : want)
            if (want.count(w) > got.count(w)) add("mounts-inside", "missing mount " + w);
    }

    // Word by word; "*" in `want` matches any one word, "*" alone anything.
    static bool matches(const std::string& want, const std::string& got) {
        if (want == "*") return true;
        std::istringstream w(want), g(got);
        std::string a, b;
        for (;;) {
            bool more_a = static_cast<bool>(w >> a), more_b = static_cast<bool>(g >> b);
            if (!more_a || !more_b)
                return more_a == more_b && (want.find('\n') == std::string::npos || want == got);
            if (a != "*" && a != b) return false;
        }
    }

    template <class Add>
    void check_status(const Model& m, const std::string& text, int want, Add& add) {
        std::istringstream in(text);
        std::string start, end;
        std::getline(in, start);
        std::getline(in, end);
        try {
            auto s = nlohmann::json::parse(start);
            if (!s.contains("child-pid") || s["child-pid"].template get<long>() <= 0)
                add("json", "start object without a child-pid: " + start);
            std::set<std::string> keys;
            for (auto& [k, v] : s.items()) {
                if (k == "child-pid") continue;
                keys.insert(k);
                const std::string ns = k.substr(0, k.find("-namespace"));
                if (std::to_string(v.template get<unsigned long long>()) == ns_inode(ns))
                    add("json", k + " is the host's namespace");
            }
            std::set<std::string> expect;
            for (const auto& n : expected_namespaces(m)) expect.insert(n + "-namespace");
            if (keys != expect) add("json", "namespace keys differ: " + start);
            auto e = nlohmann::json::parse(end);
            if (e.value("exit-code", -1) != want) add("json", "exit object: " + end);
        } catch (const std::exception& ex) {
            add("json", std::string("json-status: ") + ex.what() + ": " + text);
        }
    }

    const Options& o_;
    const Host& h_;
};

// Drops items (and what depended on them) one at a time while the case
// still fails the same way.
Case shrink(Harness& h, const Host& host, Case c, const std::string& kind, unsigned& runs) {
    bool progress = true;
    while (progress && runs < 300) {
        progress = false;
        for (size_t i = c.items.size(); i-- > 0 && runs < 300;) {
            Case t = c;
            t.items.erase(t.items.begin() + static_cast<long>(i));
            Model m;
            size_t bad;
            while (!build_model(host, t, m, &bad)) {
                if (bad == t.items.size())
                    t.orphan = false;
                else
                    t.items.erase(t.items.begin() + static_cast<long>(bad));
            }
            ++runs;
            if (h.run(t).kind == kind) {
                c = t;
                progress = true;
                if (i > c.items.size()) i = c.items.size();
            }
        }
        for (int step = 0; step < 2 && runs < 300; ++step) {
            Case t = c;
            if (step == 0 && t.orphan)
                t.orphan = false;
            else if (step == 1 && (t.exit_signal || t.exit_code))
                t.exit_signal = t.exit_code = 0;
            else
                continue;
            ++runs;
            if (h.run(t).kind == kind) {
                c = t;
                progress = true;
            }
        }
    }
    return c;
}

void write_fds(const Case& c, const std::string& dir) {
    for (const auto& it : c.items)
        for (const auto& f : it.fds)
            if (f.host_path.empty()) btest::write_file(dir + "/fd" + std::to_string(f.fd), f.data);
}

int usage(const char* why) {
    std::fprintf(stderr,
                 "burrow-nsfuzz: %s\nusage: burrow-nsfuzz --seed N --cases K [--first I] "
                 "[--keep-going] [--verbose] [--bwrap PATH] [--probe PATH]\n",
                 why);
    return 2;
}

int main_impl(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--seed")
            o.seed = std::stoull(value());
        else if (a == "--cases")
            o.cases = static_cast<unsigned>(std::stoul(value()));
        else if (a == "--first")
            o.first = static_cast<unsigned>(std::stoul(value()));
        else if (a == "--keep-going")
            o.keep_going = true;
        else if (a == "--verbose")
            o.verbose = true;
        else if (a == "--bwrap")
            o.bwrap = {value()};
        else if (a == "--probe")
            o.probe = value();
        else if (a == "--help" || a == "-h") {
            usage("random sandboxes run for real, host invariants checked");
            return 0;
        } else
            return usage(("unknown option " + a).c_str());
    }
    if (o.bwrap.empty()) o.bwrap = {btest::burrow_bin(), "bwrap"};
    if (o.probe.empty()) o.probe = btest::probe_bin();

    // Orphans of a case come to us, so that none can hide.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) std::perror("PR_SET_CHILD_SUBREAPER");
    if (::chdir("/") != 0) std::perror("chdir /");
    ::signal(SIGPIPE, SIG_IGN);

    Host host;
    host.root = ::getuid() == 0;
    host.uid = ::getuid();
    host.gid = ::getgid();
    host.scratch = make_scratch();
    host.host_fs = fs_name(host.scratch);
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host.hostname = name;
    for (const char* ns : {"user", "pid", "net", "ipc", "uts", "cgroup", "mnt"})
        host.ns[ns] = ns_inode(ns);
    host.env = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", "NSFUZZ_A=a", "NSFUZZ_B=b c", "LANG=C"};
    Harness h(o, host);

    std::printf("nsfuzz: seed %llu, cases %u..%u, as uid %u, scratch %s\n",
                static_cast<unsigned long long>(o.seed), o.first, o.first + o.cases - 1, host.uid,
                host.scratch.c_str());
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    unsigned failed = 0, ran = 0, noise = 0;
    bool keep_scratch = false;
    for (unsigned n = o.first; n < o.first + o.cases; ++n) {
        Case c = generate(host, o.seed, n);
        const auto c0 = std::chrono::steady_clock::now();
        Failure f = h.run(c);
        const long case_ms =
            static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - c0)
                                  .count());
        ++ran;
        if (f && f.kind == "mounts") {
            // The host's mount table is shared with everything else running on
            // the machine: a change that does not come back was not ours.
            if (!h.run(c)) {
                ++noise;
                std::printf("nsfuzz: case %u: host mount table changed during the case but not "
                            "on a re-run (another process?):\n",
                            n);
                for (const auto& d : f.details) std::printf("    %s\n", d.c_str());
                continue;
            }
        }
        Model m;
        build_model(host, c, m);
        if (o.verbose)
            std::printf("case %u: %ld ms, %zu items: %s\n", n, case_ms, c.items.size(),
                        reproducer(host, c, m, o.bwrap, o.probe, "FD").c_str());
        if (!f) continue;
        ++failed;
        keep_scratch = true;
        const std::string dir = host.scratch + "/cases/case-" + std::to_string(n);
        ::mkdir(dir.c_str(), 0755);
        write_fds(c, dir);
        const std::vector<std::string>& prog = o.bwrap;
        std::printf("\nnsfuzz: FAILED seed %llu case %u (%s)\n",
                    static_cast<unsigned long long>(o.seed), n, f.kind.c_str());
        for (const auto& d : f.details) std::printf("    %s\n", d.c_str());
        std::printf("  command line:\n    %s\n",
                    reproducer(host, c, m, prog, o.probe, dir).c_str());
        std::fflush(stdout);
        unsigned runs = 0;
        Case small = shrink(h, host, c, f.kind, runs);
        Model sm;
        build_model(host, small, sm);
        Failure sf = h.run(small);
        std::printf("  minimal reproducer (%zu of %zu items, %u runs to shrink):\n    %s\n",
                    small.items.size(), c.items.size(), runs,
                    reproducer(host, small, sm, prog, o.probe, dir).c_str());
        for (const auto& d : sf.details) std::printf("    %s\n", d.c_str());
        std::fflush(stdout);
        if (!o.keep_going) break;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("nsfuzz: %u cases, %u failed, %u mount-table changes not ours, %.1f s (%.1f "
                "cases/s)\n",
                ran, failed, noise, secs, ran / secs);
    if (keep_scratch)
        std::printf("nsfuzz: scratch tree kept for the reproducers: %s\n", host.scratch.c_str());
    else
        remove_tree(host.scratch);
    return failed ? 1 : 0;
}

} // namespace
} // namespace nsfuzz

int main(int argc, char** argv) {
    try {
        return nsfuzz::main_impl(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "burrow-nsfuzz: %s\n", e.what());
        return 2;
    }
}
