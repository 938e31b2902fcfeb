// parse_bwrap_args(): bubblewrap 0.11.1's parse_args_recurse() and the checks
// main() makes before creating the sandbox, with the same messages, the same
// order of checks and the same exit status (1), resolved into a Sandbox.
//
// bwrap prints warnings as it parses and dies at the first error, so the
// parser records warnings in order and throws BwrapUsageError carrying them.
//
// Where Debian 12's bwrap 0.8.0 differs, 0.11.1 is followed: --argv0 (0.9),
// --level-prefix and --overlay-src/--overlay/--tmp-overlay/--ro-overlay
// (0.11) exist; "--userns 0", "--userns2 0" and "--pidns 0" name fd 0 instead
// of being ignored (0.11.1); --version says 0.11.1. From 0.12 only
// --not-a-security-boundary is taken; burrow never runs setuid, so bwrap's
// setuid-only refusals apply only if HostFacts::setuid is set.
#include "policy/bwrap/args.hpp"

#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/bwrap/env.hpp"
#include "policy/bwrap/caps_names.hpp"
#include "policy/nix/closure.hpp"
#include "runtime/io.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/log.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "policy/seccomp/profile_file.hpp"

namespace burrow {

namespace {

// bwrap refuses more than this many arguments in total (command line plus
// every --args payload), as hardening against absurd inputs.
constexpr long kMaxArgs = 9000;
// bwrap reads fds until it runs out of memory; burrow stops earlier and
// reports EFBIG ("File too large") the way bwrap reports a failed read.
constexpr std::size_t kMaxFdPayload = std::size_t{256} << 20;
// bwrap's MAX_TMPFS_BYTES: half the address space.
constexpr unsigned long long kMaxTmpfsBytes = SIZE_MAX >> 1;

struct Stop {}; // --help/--version reached: parsing ends there, like bwrap's exit()

class Parser {
  public:
    explicit Parser(const HostFacts& host) : host_(host), env_(host.env) {
        // bwrap run by root keeps the caps it was started with unless told
        // otherwise; everyone else starts from none.
        if (host.uid == 0 && !host.setuid) caps_ = host.effective_caps;
    }

    BwrapInvocation run(const std::vector<std::string>& args);
    static bool knows(std::string_view option) { return handlers().count(option) != 0; }

  private:
    using Argv = const std::string*;
    // Returns how many arguments after the option it consumed.
    using Handler = std::size_t (Parser::*)(const std::string& opt, Argv argv, std::size_t argc);
    static const std::unordered_map<std::string_view, Handler>& handlers();

    // Parses argv[0..argc) and returns the index of the first argument that is
    // not an option (the command), bwrap's parse_args_recurse().
    std::size_t parse(Argv argv, std::size_t argc, bool in_file);
    void finish(BwrapInvocation& inv, std::vector<std::string> command);

    [[noreturn]] void die(const std::string& message) const {
        BwrapUsageError e(message);
        e.level_prefix = level_prefix_;
        e.warnings = warnings_;
        throw e;
    }
    [[noreturn]] void die_errno(const std::string& what, int err) const {
        die(what + ": " + std::strerror(err));
    }
    [[noreturn]] void usage() const {
        BwrapUsageError e("", true);
        e.level_prefix = level_prefix_;
        e.warnings = warnings_;
        throw e;
    }
    void warn(const std::string& message) { warnings_.push_back({message, level_prefix_}); }
    void warn_only_last(const char* name) {
        warn(std::string("Only the last ") + name + " option will take effect");
    }

    // bwrap's fd/id parsing: strtol(), the whole string must be a number, and
    // the result is stored in an int (so it wraps like bwrap's) and must not
    // be negative.
    static std::optional<int> parse_int(const std::string& s) {
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        const long v = std::strtol(s.c_str(), &end, 10);
        if (*end != '\0') return std::nullopt;
        const int i = static_cast<int>(v);
        if (i < 0) return std::nullopt;
        return i;
    }
    int fd_arg(const std::string& s) const {
        auto v = parse_int(s);
        if (!v) die("Invalid fd: " + s);
        return *v;
    }
    static std::optional<uint32_t> parse_octal_perms(const std::string& s) {
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        const unsigned long v = std::strtoul(s.c_str(), &end, 8);
        if (end == nullptr || *end != '\0' || v > 07777) return std::nullopt;
        return static_cast<uint32_t>(v);
    }
    void need(std::size_t argc, std::size_t n, const std::string& message) const {
        if (argc < n) die(message);
    }
    std::string read_whole_fd(int fd, const char* what) const;
    std::vector<sock_filter> load_seccomp(int fd) const;

    FsOp& add_op(FsOpKind kind, const std::string& dest) {
        fs_.push_back(FsOp{});
        fs_.back().kind = kind;
        fs_.back().dest = dest;
        return fs_.back();
    }
    // --perms applies to the next file-creating option only.
    uint32_t take_perms(uint32_t fallback) {
        const uint32_t p = next_perms_ ? *next_perms_ : fallback;
        next_perms_.reset();
        return p;
    }
    FsOp& add_overlay(FsOpKind kind, const std::string& dest) {
        FsOp& op = add_op(kind, dest);
        op.overlay_sources = std::move(pending_overlay_src_);
        pending_overlay_src_.clear();
        return op;
    }

    // Option handlers, named after the option.
    std::size_t opt_args(const std::string&, Argv, std::size_t);
    std::size_t opt_argv0(const std::string&, Argv, std::size_t);
    std::size_t opt_flag(const std::string&, Argv, std::size_t);
    std::size_t opt_chdir(const std::string&, Argv, std::size_t);
    std::size_t opt_remount_ro(const std::string&, Argv, std::size_t);
    std::size_t opt_bind(const std::string&, Argv, std::size_t);
    std::size_t opt_bind_fd(const std::string&, Argv, std::size_t);
    std::size_t opt_overlay_src(const std::string&, Argv, std::size_t);
    std::size_t opt_overlay(const std::string&, Argv, std::size_t);
    std::size_t opt_tmp_overlay(const std::string&, Argv, std::size_t);
    std::size_t opt_ro_overlay(const std::string&, Argv, std::size_t);
    std::size_t opt_label(const std::string&, Argv, std::size_t);
    std::size_t opt_simple_mount(const std::string&, Argv, std::size_t);
    std::size_t opt_tmpfs(const std::string&, Argv, std::size_t);
    std::size_t opt_dir(const std::string&, Argv, std::size_t);
    std::size_t opt_file_from_fd(const std::string&, Argv, std::size_t);
    std::size_t opt_symlink(const std::string&, Argv, std::size_t);
    std::size_t opt_lock_file(const std::string&, Argv, std::size_t);
    std::size_t opt_status_fd(const std::string&, Argv, std::size_t);
    std::size_t opt_seccomp(const std::string&, Argv, std::size_t);
    std::size_t opt_add_seccomp_fd(const std::string&, Argv, std::size_t);
    std::size_t opt_seccomp_profile(const std::string&, Argv, std::size_t);
    std::size_t opt_ns_fd(const std::string&, Argv, std::size_t);
    std::size_t opt_setenv(const std::string&, Argv, std::size_t);
    std::size_t opt_unsetenv(const std::string&, Argv, std::size_t);
    std::size_t opt_id(const std::string&, Argv, std::size_t);
    std::size_t opt_hostname(const std::string&, Argv, std::size_t);
    std::size_t opt_cap(const std::string&, Argv, std::size_t);
    std::size_t opt_perms(const std::string&, Argv, std::size_t);
    std::size_t opt_size(const std::string&, Argv, std::size_t);
    std::size_t opt_chmod(const std::string&, Argv, std::size_t);
    std::size_t opt_nix(const std::string&, Argv, std::size_t);

    const HostFacts& host_;
    BwrapInvocation::Action action_ = BwrapInvocation::Action::run;
    std::vector<BwrapWarning> warnings_;
    bool level_prefix_ = false;
    long total_args_ = 0;

    bool unshare_user_ = false, unshare_user_try_ = false, unshare_ipc_ = false,
         unshare_pid_ = false, unshare_net_ = false, unshare_uts_ = false, unshare_cgroup_ = false,
         unshare_cgroup_try_ = false;
    bool disable_userns_ = false, assert_userns_disabled_ = false;
    bool new_session_ = false, die_with_parent_ = false, as_pid_1_ = false;
    bool not_a_security_boundary_ = false;
    int userns_fd_ = -1, userns2_fd_ = -1, pidns_fd_ = -1;
    int sync_fd_ = -1, block_fd_ = -1, userns_block_fd_ = -1, info_fd_ = -1, json_status_fd_ = -1,
        seccomp_fd_ = -1;
    std::optional<uid_t> uid_;
    std::optional<gid_t> gid_;
    std::optional<std::string> hostname_, chdir_, argv0_, exec_label_, file_label_;
    BwrapEnvironment env_;
    uint64_t caps_ = 0;
    bool caps_edited_ = false; // any --cap-add/--cap-drop seen
    bool has_lock_file_ = false;
    std::vector<FsOp> fs_;
    std::vector<std::vector<sock_filter>> seccomp_programs_;
    bool add_seccomp_fd_seen_ = false; // --seccomp-profile programs may share the list
    bool log_denials_ = false;
    // --seccomp-log-denials logs the first --seccomp-profile's denials, else
    // those of the first program (one listener per process: one program).
    std::optional<std::size_t> first_profile_program_;
    // One-shot modifiers for the next option (bwrap's next_perms,
    // next_size_arg, next_overlay_src_count).
    std::optional<uint32_t> next_perms_;
    unsigned long long next_size_ = 0;
    std::vector<std::string> pending_overlay_src_;
    // burrow extension --nix-*: resolved once all options are known.
    nix::ClosureRequest nix_;
    bool nix_used_ = false;
};

const std::unordered_map<std::string_view, Parser::Handler>& Parser::handlers() {
    static const std::unordered_map<std::string_view, Handler> table = {
        {"--args", &Parser::opt_args},
        {"--argv0", &Parser::opt_argv0},
        {"--level-prefix", &Parser::opt_flag},
        {"--unshare-all", &Parser::opt_flag},
        {"--unshare-user", &Parser::opt_flag},
        {"--unshare-user-try", &Parser::opt_flag},
        {"--unshare-ipc", &Parser::opt_flag},
        {"--unshare-pid", &Parser::opt_flag},
        {"--unshare-net", &Parser::opt_flag},
        {"--unshare-uts", &Parser::opt_flag},
        {"--unshare-cgroup", &Parser::opt_flag},
        {"--unshare-cgroup-try", &Parser::opt_flag},
        {"--share-net", &Parser::opt_flag},
        {"--chdir", &Parser::opt_chdir},
        {"--disable-userns", &Parser::opt_flag},
        {"--assert-userns-disabled", &Parser::opt_flag},
        {"--remount-ro", &Parser::opt_remount_ro},
        {"--bind", &Parser::opt_bind},
        {"--bind-try", &Parser::opt_bind},
        {"--ro-bind", &Parser::opt_bind},
        {"--ro-bind-try", &Parser::opt_bind},
        {"--dev-bind", &Parser::opt_bind},
        {"--dev-bind-try", &Parser::opt_bind},
        {"--bind-fd", &Parser::opt_bind_fd},
        {"--ro-bind-fd", &Parser::opt_bind_fd},
        {"--overlay-src", &Parser::opt_overlay_src},
        {"--overlay", &Parser::opt_overlay},
        {"--tmp-overlay", &Parser::opt_tmp_overlay},
        {"--ro-overlay", &Parser::opt_ro_overlay},
        {"--proc", &Parser::opt_simple_mount},
        {"--exec-label", &Parser::opt_label},
        {"--file-label", &Parser::opt_label},
        {"--dev", &Parser::opt_simple_mount},
        {"--tmpfs", &Parser::opt_tmpfs},
        {"--mqueue", &Parser::opt_simple_mount},
        {"--dir", &Parser::opt_dir},
        {"--file", &Parser::opt_file_from_fd},
        {"--bind-data", &Parser::opt_file_from_fd},
        {"--ro-bind-data", &Parser::opt_file_from_fd},
        {"--symlink", &Parser::opt_symlink},
        {"--lock-file", &Parser::opt_lock_file},
        {"--sync-fd", &Parser::opt_status_fd},
        {"--block-fd", &Parser::opt_status_fd},
        {"--userns-block-fd", &Parser::opt_status_fd},
        {"--info-fd", &Parser::opt_status_fd},
        {"--json-status-fd", &Parser::opt_status_fd},
        {"--seccomp", &Parser::opt_seccomp},
        {"--add-seccomp-fd", &Parser::opt_add_seccomp_fd},
        {"--seccomp-profile", &Parser::opt_seccomp_profile},
        {"--userns", &Parser::opt_ns_fd},
        {"--userns2", &Parser::opt_ns_fd},
        {"--pidns", &Parser::opt_ns_fd},
        {"--clearenv", &Parser::opt_flag},
        {"--setenv", &Parser::opt_setenv},
        {"--unsetenv", &Parser::opt_unsetenv},
        {"--uid", &Parser::opt_id},
        {"--gid", &Parser::opt_id},
        {"--hostname", &Parser::opt_hostname},
        {"--new-session", &Parser::opt_flag},
        {"--die-with-parent", &Parser::opt_flag},
        {"--as-pid-1", &Parser::opt_flag},
        {"--seccomp-log-denials", &Parser::opt_flag},
        {"--cap-add", &Parser::opt_cap},
        {"--cap-drop", &Parser::opt_cap},
        {"--perms", &Parser::opt_perms},
        {"--size", &Parser::opt_size},
        {"--chmod", &Parser::opt_chmod},
        {"--nix-closure", &Parser::opt_nix},
        {"--nix-closure-file", &Parser::opt_nix},
        {"--nix-daemon", &Parser::opt_nix},
        {"--nix-db", &Parser::opt_nix},
        {"--nix-reader", &Parser::opt_nix},
        // bubblewrap 0.12
        {"--not-a-security-boundary", &Parser::opt_flag},
    };
    return table;
}

std::size_t Parser::parse(Argv argv, std::size_t argc, bool in_file) {
    if (total_args_ > kMaxArgs)
        die("Exceeded maximum number of arguments " + std::to_string(kMaxArgs));

    std::size_t i = 0;
    while (i < argc) {
        const std::string& arg = argv[i];
        if (arg == "--help") {
            action_ = BwrapInvocation::Action::help;
            throw Stop{};
        }
        if (arg == "--version") {
            action_ = BwrapInvocation::Action::version;
            throw Stop{};
        }
        if (arg == "--") return i + 1;

        const auto& table = handlers();
        auto it = table.find(arg);
        if (it == table.end()) {
            if (!arg.empty() && arg[0] == '-') die("Unknown option " + arg);
            return i; // the command
        }
        if (arg == "--args" && in_file) die("--args not supported in arguments file");
        const std::size_t used = (this->*(it->second))(arg, argv + i, argc - i);

        // A modifier must be used by the very next option, or it was misplaced.
        const bool modifier = arg == "--perms" || arg == "--size";
        if (!modifier && next_perms_)
            die("--perms must be followed by an option that creates a file");
        if (!modifier && next_size_ != 0) die("--size must be followed by --tmpfs");
        if (arg != "--overlay-src" && !pending_overlay_src_.empty())
            die("--overlay-src must be followed by another --overlay-src or one of --overlay, "
                "--tmp-overlay, or --ro-overlay");
        i += 1 + used;
    }
    return argc;
}

std::string Parser::read_whole_fd(int fd, const char* what) const {
    std::string data;
    const int err = read_fd_to_end(fd, data, kMaxFdPayload);
    // bwrap closes these fds after reading so the payload does not inherit them.
    (void)::close(fd);
    if (err != 0) die_errno(what, err);
    return data;
}

std::vector<sock_filter> Parser::load_seccomp(int fd) const {
    const std::string data = read_whole_fd(fd, "Can't read seccomp data");
    if (data.size() % sizeof(sock_filter) != 0) die("Invalid seccomp data, must be multiple of 8");
    std::vector<sock_filter> prog(data.size() / sizeof(sock_filter));
    if (!data.empty()) std::memcpy(prog.data(), data.data(), data.size());
    return prog;
}

std::size_t Parser::opt_args(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--args takes an argument");
    const int fd = fd_arg(argv[1]);
    const std::string data = read_whole_fd(fd, "Can't read --args data");

    // NUL-separated; a final argument without a trailing NUL still counts.
    std::vector<std::string> items;
    std::size_t p = 0;
    while (p < data.size()) {
        if (++total_args_ > kMaxArgs)
            die("Exceeded maximum number of arguments " + std::to_string(kMaxArgs));
        std::size_t nul = data.find('\0', p);
        if (nul == std::string::npos) nul = data.size();
        items.emplace_back(data, p, nul - p);
        p = nul + 1;
    }
    // Like bwrap, whatever follows the options in the file (a command, or
    // anything after "--") is ignored: the command comes from the real argv.
    (void)parse(items.data(), items.size(), true);
    return 1;
}

std::size_t Parser::opt_argv0(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--argv0 takes one argument");
    if (argv0_) die("--argv0 used multiple times");
    argv0_ = argv[1];
    return 1;
}

std::size_t Parser::opt_flag(const std::string& opt, Argv, std::size_t) {
    if (opt == "--level-prefix") {
        level_prefix_ = true;
    } else if (opt == "--unshare-all") {
        // The -try variants: --unshare-all must work where the kernel lacks
        // user or cgroup namespaces.
        unshare_user_try_ = unshare_ipc_ = unshare_pid_ = unshare_uts_ = unshare_cgroup_try_ =
            unshare_net_ = true;
    } else if (opt == "--unshare-user") {
        unshare_user_ = true;
    } else if (opt == "--unshare-user-try") {
        unshare_user_try_ = true;
    } else if (opt == "--unshare-ipc") {
        unshare_ipc_ = true;
    } else if (opt == "--unshare-pid") {
        unshare_pid_ = true;
    } else if (opt == "--unshare-net") {
        unshare_net_ = true;
    } else if (opt == "--unshare-uts") {
        unshare_uts_ = true;
    } else if (opt == "--unshare-cgroup") {
        unshare_cgroup_ = true;
    } else if (opt == "--unshare-cgroup-try") {
        unshare_cgroup_try_ = true;
    } else if (opt == "--share-net") {
        unshare_net_ = false; // order matters: "--share-net --unshare-all" unshares
    } else if (opt == "--disable-userns") {
        disable_userns_ = true;
    } else if (opt == "--assert-userns-disabled") {
        assert_userns_disabled_ = true;
    } else if (opt == "--clearenv") {
        env_.clear();
    } else if (opt == "--new-session") {
        new_session_ = true;
    } else if (opt == "--die-with-parent") {
        die_with_parent_ = true;
    } else if (opt == "--as-pid-1") {
        as_pid_1_ = true;
    } else if (opt == "--not-a-security-boundary") {
        not_a_security_boundary_ = true;
    } else if (opt == "--seccomp-log-denials") {
        log_denials_ = true;
    }
    return 0;
}

std::size_t Parser::opt_chdir(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--chdir takes one argument");
    if (chdir_) warn_only_last("--chdir");
    chdir_ = argv[1];
    return 1;
}

std::size_t Parser::opt_remount_ro(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--remount-ro takes one argument");
    add_op(FsOpKind::remount_ro, argv[1]);
    return 1;
}

std::size_t Parser::opt_bind(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 3, opt + " takes two arguments");
    FsOp& op = add_op(FsOpKind::bind, argv[2]);
    op.source = argv[1];
    op.readonly = opt.starts_with("--ro-");
    op.allow_dev = opt.starts_with("--dev-");
    op.optional = opt.ends_with("-try");
    return 2;
}

std::size_t Parser::opt_bind_fd(const std::string& opt, Argv argv, std::size_t argc) {
    // bwrap says "--bind-fd" for --ro-bind-fd too.
    need(argc, 3, "--bind-fd takes two arguments");
    const int fd = fd_arg(argv[1]);
    FsOp& op = add_op(FsOpKind::bind_fd, argv[2]);
    op.fd = fd;
    op.readonly = opt == "--ro-bind-fd";
    return 2;
}

std::size_t Parser::opt_overlay_src(const std::string&, Argv argv, std::size_t argc) {
    if (host_.setuid) die("The --overlay-src option is not permitted in setuid mode");
    // bwrap does not check for a missing argument here: "--overlay-src" last
    // on the line ends parsing and then fails the "must be followed" check.
    if (argc < 2) {
        pending_overlay_src_.emplace_back();
        return 1;
    }
    pending_overlay_src_.push_back(argv[1]);
    return 1;
}

std::size_t Parser::opt_overlay(const std::string&, Argv argv, std::size_t argc) {
    if (host_.setuid) die("The --overlay option is not permitted in setuid mode");
    need(argc, 4, "--overlay takes three arguments");
    if (pending_overlay_src_.empty()) die("--overlay requires at least one --overlay-src");
    FsOp& op = add_overlay(FsOpKind::overlay, argv[3]);
    op.overlay_upper = argv[1];
    op.overlay_work = argv[2];
    return 3;
}

std::size_t Parser::opt_tmp_overlay(const std::string&, Argv argv, std::size_t argc) {
    if (host_.setuid) die("The --tmp-overlay option is not permitted in setuid mode");
    need(argc, 2, "--tmp-overlay takes an argument");
    if (pending_overlay_src_.empty()) die("--tmp-overlay requires at least one --overlay-src");
    add_overlay(FsOpKind::tmp_overlay, argv[1]);
    return 1;
}

std::size_t Parser::opt_ro_overlay(const std::string&, Argv argv, std::size_t argc) {
    if (host_.setuid) die("The --ro-overlay option is not permitted in setuid mode");
    need(argc, 2, "--ro-overlay takes an argument");
    if (pending_overlay_src_.size() < 2) die("--ro-overlay requires at least two --overlay-src");
    add_overlay(FsOpKind::ro_overlay, argv[1]);
    return 1;
}

std::size_t Parser::opt_label(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 2, opt + " takes an argument");
    auto& slot = opt == "--exec-label" ? exec_label_ : file_label_;
    if (slot) warn_only_last(opt.c_str());
    slot = argv[1];
    if (!host_.selinux_enabled) die("labeling not supported on this system");
    if (host_.check_selinux_context) {
        const int err = host_.check_selinux_context(argv[1]);
        if (err != 0) die_errno("invalid label " + argv[1], err);
    }
    return 1;
}

std::size_t Parser::opt_simple_mount(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 2, opt + " takes an argument");
    const FsOpKind kind = opt == "--proc"  ? FsOpKind::proc
                          : opt == "--dev" ? FsOpKind::dev
                                           : FsOpKind::mqueue;
    add_op(kind, argv[1]);
    return 1;
}

std::size_t Parser::opt_tmpfs(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--tmpfs takes an argument");
    FsOp& op = add_op(FsOpKind::tmpfs, argv[1]);
    op.perms = take_perms(0755);
    if (next_size_ != 0) op.size = next_size_;
    next_size_ = 0;
    return 1;
}

std::size_t Parser::opt_dir(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--dir takes an argument");
    add_op(FsOpKind::dir, argv[1]).perms = take_perms(0755);
    return 1;
}

std::size_t Parser::opt_file_from_fd(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 3, opt + " takes two arguments");
    const int fd = fd_arg(argv[1]);
    const bool plain_file = opt == "--file";
    FsOp& op = add_op(plain_file ? FsOpKind::file : FsOpKind::bind_data, argv[2]);
    op.fd = fd;
    op.readonly = opt == "--ro-bind-data";
    // Defaults as bwrap: creat() with 0666 for --file; the mkstemp() mode 0600
    // for the hidden file behind --bind-data.
    op.perms = take_perms(plain_file ? 0666 : 0600);
    return 2;
}

std::size_t Parser::opt_symlink(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 3, "--symlink takes two arguments");
    add_op(FsOpKind::symlink, argv[2]).source = argv[1];
    return 2;
}

std::size_t Parser::opt_lock_file(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--lock-file takes an argument");
    add_op(FsOpKind::lock_file, argv[1]);
    has_lock_file_ = true;
    return 1;
}

std::size_t Parser::opt_status_fd(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 2, opt + " takes an argument");
    int& slot = opt == "--sync-fd"           ? sync_fd_
                : opt == "--block-fd"        ? block_fd_
                : opt == "--userns-block-fd" ? userns_block_fd_
                : opt == "--info-fd"         ? info_fd_
                                             : json_status_fd_;
    if (slot != -1) warn_only_last(opt.c_str());
    slot = fd_arg(argv[1]);
    return 1;
}

std::size_t Parser::opt_seccomp(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--seccomp takes an argument");
    if (add_seccomp_fd_seen_) die("--seccomp cannot be combined with --add-seccomp-fd");
    if (seccomp_fd_ != -1) warn_only_last("--seccomp");
    // Read once parsing is over (only the last --seccomp counts), as bwrap.
    seccomp_fd_ = fd_arg(argv[1]);
    return 1;
}

std::size_t Parser::opt_add_seccomp_fd(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--add-seccomp-fd takes an argument");
    if (seccomp_fd_ != -1) die("--add-seccomp-fd cannot be combined with --seccomp");
    seccomp_programs_.push_back(load_seccomp(fd_arg(argv[1])));
    add_seccomp_fd_seen_ = true;
    return 1;
}

// burrow extension: a built-in profile or a profile file, compiled here for
// every ABI (burrow-seccomp(7)); stacks with --add-seccomp-fd/--seccomp in
// command-line order (--seccomp's program is read last, as in bwrap).
std::size_t Parser::opt_seccomp_profile(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--seccomp-profile takes an argument");
    if (argv[1] == "none") return 1; // an allow-everything filter would only cost time
    try {
        if (!first_profile_program_) first_profile_program_ = seccomp_programs_.size();
        seccomp_programs_.push_back(seccomp::compile_named_profile(argv[1]));
    } catch (const seccomp::ProfileError& e) {
        die(std::string("--seccomp-profile: ") + e.what());
    }
    return 1;
}

// burrow extensions: the Nix store view (burrow-nix(1)). Collected here and
// resolved in finish(), so the view is appended after every other
// filesystem operation and a later --ro-bind of / cannot cover it.
std::size_t Parser::opt_nix(const std::string& opt, Argv argv, std::size_t argc) {
    nix_used_ = true;
    if (opt == "--nix-daemon") {
        nix_.daemon = true;
        return 0;
    }
    need(argc, 2, opt + " takes an argument");
    if (opt == "--nix-closure") {
        nix_.roots.push_back(argv[1]);
    } else if (opt == "--nix-closure-file") {
        nix_.closure_files.push_back(argv[1]);
    } else if (opt == "--nix-db") {
        nix_.db_path = argv[1];
    } else if (argv[1] == "auto") {
        nix_.reader = nix::Reader::automatic;
    } else if (argv[1] == "sqlite") {
        nix_.reader = nix::Reader::sqlite;
    } else if (argv[1] == "nix-store") {
        nix_.reader = nix::Reader::nix_store;
    } else {
        die("--nix-reader: unknown reader \"" + argv[1] + "\" (auto, sqlite or nix-store)");
    }
    return 1;
}

std::size_t Parser::opt_ns_fd(const std::string& opt, Argv argv, std::size_t argc) {
    need(argc, 2, opt + " takes an argument");
    int& slot = opt == "--userns" ? userns_fd_ : opt == "--userns2" ? userns2_fd_ : pidns_fd_;
    if (slot != -1) warn_only_last(opt.c_str());
    // 0.11.1: fd 0 is a valid namespace fd (0.8.0 ignored "--userns 0").
    slot = fd_arg(argv[1]);
    return 1;
}

std::size_t Parser::opt_setenv(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 3, "--setenv takes two arguments");
    if (!env_.set(argv[1], argv[2])) die("setenv failed");
    return 2;
}

std::size_t Parser::opt_unsetenv(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--unsetenv takes an argument");
    if (!env_.unset(argv[1])) die("unsetenv failed");
    return 1;
}

std::size_t Parser::opt_id(const std::string& opt, Argv argv, std::size_t argc) {
    const bool is_uid = opt == "--uid";
    need(argc, 2, opt + " takes an argument");
    if (is_uid ? uid_.has_value() : gid_.has_value()) warn_only_last(opt.c_str());
    auto v = parse_int(argv[1]);
    if (!v) die(std::string(is_uid ? "Invalid uid: " : "Invalid gid: ") + argv[1]);
    if (is_uid)
        uid_ = static_cast<uid_t>(*v);
    else
        gid_ = static_cast<gid_t>(*v);
    return 1;
}

std::size_t Parser::opt_hostname(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--hostname takes an argument");
    if (hostname_) warn_only_last("--hostname");
    hostname_ = argv[1];
    return 1;
}

std::size_t Parser::opt_cap(const std::string& opt, Argv argv, std::size_t argc) {
    const bool add = opt == "--cap-add";
    need(argc, 2, opt + " takes an argument");
    caps_edited_ = true;
    if (::strcasecmp(argv[1].c_str(), "ALL") == 0) {
        caps_ = add ? ~uint64_t{0} : 0;
        return 1;
    }
    auto cap = capability_from_name(argv[1]);
    if (!cap) die("unknown cap: " + argv[1]);
    if (add)
        caps_ |= uint64_t{1} << *cap;
    else
        caps_ &= ~(uint64_t{1} << *cap);
    return 1;
}

std::size_t Parser::opt_perms(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 2, "--perms takes an argument");
    if (next_perms_) die("--perms given twice for the same action");
    auto p = parse_octal_perms(argv[1]);
    if (!p) die("--perms takes an octal argument <= 07777");
    next_perms_ = *p;
    return 1;
}

std::size_t Parser::opt_size(const std::string&, Argv argv, std::size_t argc) {
    if (host_.setuid) die("The --size option is not permitted in setuid mode");
    need(argc, 2, "--size takes an argument");
    if (next_size_ != 0) die("--size given twice for the same action");
    const std::string& s = argv[1];
    errno = 0;
    char* end = nullptr;
    // Base 0 like bwrap: 0x100 and 0400 are accepted; the first character must
    // be a digit, which also rules out signs and leading spaces.
    const unsigned long long size = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])) ||
        end == nullptr || *end != '\0' || size == 0)
        die("--size takes a non-zero number of bytes");
    if (size > kMaxTmpfsBytes)
        die("--size (for tmpfs) is limited to " + std::to_string(kMaxTmpfsBytes));
    next_size_ = size;
    return 1;
}

std::size_t Parser::opt_chmod(const std::string&, Argv argv, std::size_t argc) {
    need(argc, 3, "--chmod takes two arguments");
    auto p = parse_octal_perms(argv[1]);
    if (!p) die("--chmod takes an octal argument <= 07777");
    add_op(FsOpKind::chmod, argv[2]).perms = *p;
    return 2;
}

// main()'s checks between parse_args() and clone(), in bwrap's order, then the
// resolution of everything host-dependent into definite Sandbox values.
void Parser::finish(BwrapInvocation& inv, std::vector<std::string> command) {
    if (caps_ != 0 && host_.setuid) die("--cap-add in setuid mode can be used only by root");
    if (userns_block_fd_ != -1 && !unshare_user_) die("--userns-block-fd requires --unshare-user");
    if (userns_block_fd_ != -1 && info_fd_ == -1) die("--userns-block-fd requires --info-fd");
    if (userns_fd_ != -1 && unshare_user_) die("--userns not compatible --unshare-user");
    if (userns_fd_ != -1 && unshare_user_try_) die("--userns not compatible --unshare-user-try");
    if (disable_userns_ && !unshare_user_) die("--disable-userns requires --unshare-user");
    // (sic: two spaces, as bwrap prints it)
    if (disable_userns_ && userns_block_fd_ != -1)
        die("--disable-userns is not compatible with  --userns-block-fd");

    // Without setuid, only a user namespace gives a non-root caller the
    // privileges to build the sandbox, so bwrap implies it.
    bool user = unshare_user_;
    if (host_.uid != 0 && userns_fd_ == -1) user = true;
    if (unshare_user_try_ && host_.userns_available) user = true;

    if (command.empty()) usage();

    const uid_t uid = uid_.value_or(host_.uid);
    const gid_t gid = gid_.value_or(host_.gid);
    if (!user && userns_fd_ == -1 && uid != host_.uid)
        die("Specifying --uid requires --unshare-user or --userns");
    if (!user && userns_fd_ == -1 && gid != host_.gid)
        die("Specifying --gid requires --unshare-user or --userns");
    if (!unshare_uts_ && hostname_) die("Specifying --hostname requires --unshare-uts");
    if (as_pid_1_ && !unshare_pid_) die("Specifying --as-pid-1 requires --unshare-pid");
    if (as_pid_1_ && has_lock_file_) die("Specifying --as-pid-1 and --lock-file is not permitted");

    bool cgroup = unshare_cgroup_;
    if (cgroup && !host_.cgroupns_available)
        die("Cannot create new cgroup namespace because the kernel does not support it");
    if (unshare_cgroup_try_) cgroup = host_.cgroupns_available;

    if (seccomp_fd_ != -1) seccomp_programs_.push_back(load_seccomp(seccomp_fd_));

    Sandbox& sb = inv.sandbox;
    sb.ns.user = user;
    sb.ns.ipc = unshare_ipc_;
    sb.ns.pid = unshare_pid_;
    sb.ns.net = unshare_net_;
    sb.ns.uts = unshare_uts_;
    sb.ns.cgroup = cgroup;
    sb.ns.join_user_fd = userns_fd_;
    sb.ns.join_user2_fd = userns2_fd_;
    sb.ns.join_pid_fd = pidns_fd_;
    sb.ns.disable_userns = disable_userns_;
    sb.ns.assert_userns_disabled = assert_userns_disabled_;

    sb.ids.uid = uid;
    sb.ids.gid = gid;
    sb.ids.deny_setgroups = true; // bwrap always denies setgroups in the namespaces it maps
    // With --userns-block-fd the caller writes the maps while we wait.
    if (user && userns_block_fd_ == -1) {
        sb.ids.uid_map = {IdMapEntry{uid, host_.uid, 1}};
        sb.ids.gid_map = {IdMapEntry{gid, host_.gid, 1}};
    }

    sb.fs = std::move(fs_);

    sb.proc.argv = std::move(command);
    sb.proc.argv0 = argv0_;
    sb.proc.env = env_.entries();
    sb.proc.chdir = chdir_;
    sb.proc.hostname = hostname_;
    sb.proc.new_session = new_session_;
    sb.proc.die_with_parent = die_with_parent_;
    sb.proc.as_pid_1 = as_pid_1_;
    // Capability numbers the kernel does not know are dropped here (capset
    // ignores them anyway), so "--cap-add ALL" is a definite mask.
    const unsigned last = host_.cap_last_cap < 63 ? host_.cap_last_cap : 63;
    const uint64_t valid = last == 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
    sb.proc.capabilities = caps_ & valid;
    sb.proc.keep_capabilities = host_.uid == 0 && !caps_edited_;
    sb.proc.exec_label = exec_label_;
    sb.proc.file_label = file_label_;

    sb.status.info_fd = info_fd_;
    sb.status.json_status_fd = json_status_fd_;
    sb.status.sync_fd = sync_fd_;
    sb.status.block_fd = block_fd_;
    sb.status.userns_block_fd = userns_block_fd_;

    sb.diag.prog = "bwrap";
    sb.diag.level_prefix = level_prefix_;
    sb.diag.not_a_security_boundary = not_a_security_boundary_;

    sb.seccomp_programs = std::move(seccomp_programs_);

    if (nix_used_) {
        if (nix_.roots.empty() && nix_.closure_files.empty())
            die("--nix-daemon, --nix-db and --nix-reader need --nix-closure or --nix-closure-file");
        try {
            nix::append_store_view(nix_, nix::compute_closure(nix_), sb);
        } catch (const nix::NixError& e) {
            die(e.what());
        }
    }

    // Nothing installed (no filter, or only "--seccomp-profile none"):
    // nothing can be denied, nothing to log.
    if (log_denials_ && !sb.seccomp_programs.empty()) {
        try {
            seccomp::log_denials(sb, first_profile_program_.value_or(0));
        } catch (const seccomp::ProfileError& e) {
            die(std::string("--seccomp-log-denials: ") + e.what());
        }
    }
}

BwrapInvocation Parser::run(const std::vector<std::string>& args) {
    BwrapInvocation inv;
    // bwrap answers a lone --version before looking at anything else, so that
    // it works in build environments (bubblewrap issue 185).
    if (args.size() == 1 && args[0] == "--version") {
        inv.action = BwrapInvocation::Action::version;
        return inv;
    }
    if (host_.uid != 0 && !host_.setuid && host_.permitted_caps != 0)
        die("Unexpected capabilities but not setuid, old file caps config?");
    if (args.empty()) usage();

    total_args_ = static_cast<long>(args.size() > LONG_MAX ? LONG_MAX : args.size());
    std::size_t command_at = 0;
    try {
        command_at = parse(args.data(), args.size(), false);
    } catch (const Stop&) {
        inv.action = action_;
        inv.warnings = std::move(warnings_);
        return inv;
    }
    if (!pending_overlay_src_.empty())
        die("--overlay-src must be followed by another --overlay-src or one of --overlay, "
            "--tmp-overlay, or --ro-overlay");

    finish(inv, std::vector<std::string>(args.begin() + static_cast<long>(command_at), args.end()));
    inv.warnings = std::move(warnings_);
    return inv;
}

} // namespace

BwrapInvocation parse_bwrap_args(const std::vector<std::string>& args, const HostFacts& host) {
    Parser parser(host);
    return parser.run(args);
}

bool is_bwrap_option(std::string_view arg) {
    return Parser::knows(arg);
}

} // namespace burrow
