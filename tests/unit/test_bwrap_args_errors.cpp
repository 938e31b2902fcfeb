// Every error path of the bwrap front end, with bwrap 0.11.1's exact message.
#define BOOST_TEST_MODULE bwrap_args_errors
#include "tests/unit/bwrap_test_support.hpp"

using namespace bwrap_test;

BOOST_AUTO_TEST_CASE(no_arguments_or_no_command_prints_usage) {
    expect_usage({});
    expect_usage({"--unshare-pid"});
    expect_usage({"--bind", "/a", "/b", "--"});
    expect_usage({"--unshare-net"}, root_host());
}

BOOST_AUTO_TEST_CASE(unknown_options) {
    expect_error({"--bogus", "true"}, "Unknown option --bogus");
    expect_error({"-", "true"}, "Unknown option -");
    expect_error({"-x"}, "Unknown option -x");
    expect_error({"--BIND", "/", "/", "true"}, "Unknown option --BIND");
    expect_error({"--bind=/a", "true"}, "Unknown option --bind=/a");
    // 0.12's --not-a-security-boundary is known; nothing else from later versions.
    BOOST_TEST(parse({"--not-a-security-boundary", "true"}).sandbox.diag.not_a_security_boundary);
}

BOOST_AUTO_TEST_CASE(missing_arguments) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--args"}, "--args takes an argument"},
        {{"--argv0"}, "--argv0 takes one argument"},
        {{"--chdir"}, "--chdir takes one argument"},
        {{"--remount-ro"}, "--remount-ro takes one argument"},
        {{"--bind", "/a"}, "--bind takes two arguments"},
        {{"--bind-try", "/a"}, "--bind-try takes two arguments"},
        {{"--ro-bind"}, "--ro-bind takes two arguments"},
        {{"--ro-bind-try", "/a"}, "--ro-bind-try takes two arguments"},
        {{"--dev-bind", "/a"}, "--dev-bind takes two arguments"},
        {{"--dev-bind-try"}, "--dev-bind-try takes two arguments"},
        {{"--bind-fd", "3"}, "--bind-fd takes two arguments"},
        {{"--ro-bind-fd", "3"}, "--bind-fd takes two arguments"}, // sic, as bwrap
        {{"--overlay-src", "/a", "--overlay", "/u", "/w"}, "--overlay takes three arguments"},
        {{"--overlay-src", "/a", "--tmp-overlay"}, "--tmp-overlay takes an argument"},
        {{"--overlay-src", "/a", "--overlay-src", "/b", "--ro-overlay"},
         "--ro-overlay takes an argument"},
        {{"--proc"}, "--proc takes an argument"},
        {{"--exec-label"}, "--exec-label takes an argument"},
        {{"--file-label"}, "--file-label takes an argument"},
        {{"--dev"}, "--dev takes an argument"},
        {{"--tmpfs"}, "--tmpfs takes an argument"},
        {{"--mqueue"}, "--mqueue takes an argument"},
        {{"--dir"}, "--dir takes an argument"},
        {{"--file", "3"}, "--file takes two arguments"},
        {{"--bind-data", "3"}, "--bind-data takes two arguments"},
        {{"--ro-bind-data", "3"}, "--ro-bind-data takes two arguments"},
        {{"--symlink", "a"}, "--symlink takes two arguments"},
        {{"--lock-file"}, "--lock-file takes an argument"},
        {{"--sync-fd"}, "--sync-fd takes an argument"},
        {{"--block-fd"}, "--block-fd takes an argument"},
        {{"--userns-block-fd"}, "--userns-block-fd takes an argument"},
        {{"--info-fd"}, "--info-fd takes an argument"},
        {{"--json-status-fd"}, "--json-status-fd takes an argument"},
        {{"--seccomp"}, "--seccomp takes an argument"},
        {{"--add-seccomp-fd"}, "--add-seccomp-fd takes an argument"},
        {{"--userns"}, "--userns takes an argument"},
        {{"--userns2"}, "--userns2 takes an argument"},
        {{"--pidns"}, "--pidns takes an argument"},
        {{"--setenv", "A"}, "--setenv takes two arguments"},
        {{"--unsetenv"}, "--unsetenv takes an argument"},
        {{"--uid"}, "--uid takes an argument"},
        {{"--gid"}, "--gid takes an argument"},
        {{"--hostname"}, "--hostname takes an argument"},
        {{"--cap-add"}, "--cap-add takes an argument"},
        {{"--cap-drop"}, "--cap-drop takes an argument"},
        {{"--perms"}, "--perms takes an argument"},
        {{"--size"}, "--size takes an argument"},
        {{"--chmod", "0755"}, "--chmod takes two arguments"},
    };
    for (const auto& [args, message] : cases) expect_error(args, message);
}

BOOST_AUTO_TEST_CASE(bad_fds) {
    for (const std::string opt :
         {"--args", "--sync-fd", "--block-fd", "--userns-block-fd", "--info-fd", "--json-status-fd",
          "--seccomp", "--add-seccomp-fd", "--userns", "--userns2", "--pidns"}) {
        for (const std::string bad : {"", "x", "3x", "-1", "1.5", "0x3", "99999999999999999999"}) {
            expect_error({opt, bad, "true"}, "Invalid fd: " + bad);
        }
    }
    for (const std::string opt :
         {"--bind-fd", "--ro-bind-fd", "--file", "--bind-data", "--ro-bind-data"}) {
        expect_error({opt, "fd", "/dest", "true"}, "Invalid fd: fd");
        expect_error({opt, "-3", "/dest", "true"}, "Invalid fd: -3");
    }
}

BOOST_AUTO_TEST_CASE(bad_ids) {
    expect_error({"--uid", "root", "true"}, "Invalid uid: root");
    expect_error({"--uid", "-1", "true"}, "Invalid uid: -1");
    expect_error({"--uid", "", "true"}, "Invalid uid: ");
    expect_error({"--gid", "1e3", "true"}, "Invalid gid: 1e3");
    expect_error({"--gid", "-5", "true"}, "Invalid gid: -5");
}

BOOST_AUTO_TEST_CASE(bad_perms_and_size) {
    for (const std::string bad : {"", "8", "0799", "10000", "-1", "abc", "0755x"})
        expect_error({"--perms", bad, "--dir", "/a", "true"},
                     "--perms takes an octal argument <= 07777");
    for (const std::string bad : {"", "9", "07778", "rwx"})
        expect_error({"--chmod", bad, "/a", "true"}, "--chmod takes an octal argument <= 07777");
    for (const std::string bad : {"", "0", "-1", " 10", "+10", "10k", "0x", "99999999999999999999"})
        expect_error({"--size", bad, "--tmpfs", "/t", "true"},
                     "--size takes a non-zero number of bytes");
    expect_error({"--size", "9223372036854775808", "--tmpfs", "/t", "true"},
                 "--size (for tmpfs) is limited to 9223372036854775807");
    BOOST_TEST(
        *parse({"--size", "9223372036854775807", "--tmpfs", "/t", "true"}).sandbox.fs[0].size ==
        9223372036854775807ull);
}

BOOST_AUTO_TEST_CASE(misplaced_modifiers) {
    const std::string perms_msg = "--perms must be followed by an option that creates a file";
    expect_error({"--perms", "0700", "--bind", "/a", "/b", "true"}, perms_msg);
    expect_error({"--perms", "0700", "--chmod", "0700", "/a", "true"}, perms_msg);
    expect_error({"--perms", "0700", "--symlink", "a", "/b", "true"}, perms_msg);
    expect_error({"--perms", "0700", "--unshare-net", "true"}, perms_msg);
    expect_error({"--perms", "0700", "--perms", "0600", "--dir", "/a", "true"},
                 "--perms given twice for the same action");
    expect_error({"--size", "100", "--dir", "/a", "true"}, "--size must be followed by --tmpfs");
    expect_error({"--size", "100", "--size", "200", "--tmpfs", "/a", "true"},
                 "--size given twice for the same action");
    // --perms is checked before --size when both are left over.
    expect_error({"--perms", "0700", "--size", "100", "--dir", "/a", "true"},
                 "--size must be followed by --tmpfs");
    expect_error({"--size", "100", "--perms", "0700", "--proc", "/proc", "true"}, perms_msg);
}

BOOST_AUTO_TEST_CASE(overlay_rules) {
    const std::string follow = "--overlay-src must be followed by another --overlay-src or one of "
                               "--overlay, --tmp-overlay, or --ro-overlay";
    expect_error({"--overlay-src", "/a", "--dir", "/x", "true"}, follow);
    expect_error({"--overlay-src", "/a", "true"}, follow);
    expect_error({"--overlay-src"}, follow);
    expect_error({"--overlay", "/u", "/w", "/d", "true"},
                 "--overlay requires at least one --overlay-src");
    expect_error({"--tmp-overlay", "/d", "true"},
                 "--tmp-overlay requires at least one --overlay-src");
    expect_error({"--overlay-src", "/a", "--ro-overlay", "/d", "true"},
                 "--ro-overlay requires at least two --overlay-src");
}

BOOST_AUTO_TEST_CASE(bad_capabilities) {
    expect_error({"--cap-add", "CAP_FOO", "true"}, "unknown cap: CAP_FOO");
    expect_error({"--cap-add", "CHOWN", "true"}, "unknown cap: CHOWN");
    expect_error({"--cap-drop", "", "true"}, "unknown cap: ");
    expect_error({"--cap-add", "64", "true"}, "unknown cap: 64");
    expect_error({"--cap-add", "-1", "true"}, "unknown cap: -1");
    // libcap's cap_from_name() (what bwrap calls) reads the leading name and
    // ignores the rest: bwrap 0.8.0 drops only CAP_SYS_ADMIN here too.
    auto lenient = parse({"--cap-drop", "CAP_SYS_ADMIN,CAP_CHOWN", "true"}, root_host());
    BOOST_TEST(lenient.sandbox.proc.capabilities == (kAllCaps40 & ~(uint64_t{1} << 21)));
    HostFacts setuid = user_host();
    setuid.setuid = true;
    expect_error({"--cap-add", "CAP_CHOWN", "true"},
                 "--cap-add in setuid mode can be used only by root", setuid);
}

BOOST_AUTO_TEST_CASE(non_root_with_file_capabilities_is_refused) {
    HostFacts h = user_host();
    h.permitted_caps = uint64_t{1} << 21;
    expect_error({"true"}, "Unexpected capabilities but not setuid, old file caps config?", h);
}

BOOST_AUTO_TEST_CASE(environment_errors) {
    expect_error({"--setenv", "", "v", "true"}, "setenv failed");
    expect_error({"--setenv", "A=B", "v", "true"}, "setenv failed");
    expect_error({"--unsetenv", "", "true"}, "unsetenv failed");
    expect_error({"--unsetenv", "A=B", "true"}, "unsetenv failed");
}

BOOST_AUTO_TEST_CASE(argv0_twice) {
    expect_error({"--argv0", "a", "--argv0", "b", "true"}, "--argv0 used multiple times");
}

BOOST_AUTO_TEST_CASE(labels_need_selinux) {
    expect_error({"--exec-label", "system_u:system_r:x_t:s0", "true"},
                 "labeling not supported on this system");
    expect_error({"--file-label", "x", "true"}, "labeling not supported on this system");
    HostFacts se = user_host();
    se.selinux_enabled = true;
    auto inv = parse({"--exec-label", "a", "--file-label", "b", "true"}, se);
    BOOST_TEST(*inv.sandbox.proc.exec_label == "a");
    BOOST_TEST(*inv.sandbox.proc.file_label == "b");
    // A context the kernel refuses: bwrap's die_with_error("invalid label %s").
    se.check_selinux_context = [](const std::string& c) { return c == "bad" ? EINVAL : 0; };
    expect_error({"--exec-label", "bad", "true"}, "invalid label bad: Invalid argument", se);
    expect_error({"--file-label", "ok", "--file-label", "bad", "true"},
                 "invalid label bad: Invalid argument", se);
    BOOST_TEST(*parse({"--exec-label", "ok", "true"}, se).sandbox.proc.exec_label == "ok");
}

BOOST_AUTO_TEST_CASE(seccomp_exclusivity) {
    expect_error({"--seccomp", "3", "--add-seccomp-fd", "4", "true"},
                 "--add-seccomp-fd cannot be combined with --seccomp");
}

BOOST_AUTO_TEST_CASE(requirements) {
    const HostFacts root = root_host();
    const HostFacts user = user_host();
    expect_error({"--unshare-user", "--userns-block-fd", "3", "true"},
                 "--userns-block-fd requires --info-fd", root);
    // Implied user namespaces do not count: bwrap checks the option itself.
    expect_error({"--userns-block-fd", "3", "--info-fd", "4", "true"},
                 "--userns-block-fd requires --unshare-user", user);
    expect_error({"--userns", "3", "--unshare-user", "true"},
                 "--userns not compatible --unshare-user", root);
    expect_error({"--userns", "3", "--unshare-all", "true"},
                 "--userns not compatible --unshare-user-try", root);
    expect_error({"--disable-userns", "true"}, "--disable-userns requires --unshare-user", user);
    expect_error(
        {"--disable-userns", "--unshare-user", "--userns-block-fd", "3", "--info-fd", "4", "true"},
        "--disable-userns is not compatible with  --userns-block-fd", root);
    expect_error({"--uid", "5", "true"}, "Specifying --uid requires --unshare-user or --userns",
                 root);
    expect_error({"--gid", "5", "true"}, "Specifying --gid requires --unshare-user or --userns",
                 root);
    expect_error({"--hostname", "h", "true"}, "Specifying --hostname requires --unshare-uts");
    expect_error({"--as-pid-1", "true"}, "Specifying --as-pid-1 requires --unshare-pid");
    expect_error({"--unshare-pid", "--as-pid-1", "--lock-file", "/l", "true"},
                 "Specifying --as-pid-1 and --lock-file is not permitted");
    HostFacts no_cgroup = root;
    no_cgroup.cgroupns_available = false;
    expect_error({"--unshare-cgroup", "true"},
                 "Cannot create new cgroup namespace because the kernel does not support it",
                 no_cgroup);
    // Root asking for its own ids needs nothing.
    BOOST_TEST(parse({"--uid", "0", "--gid", "0", "true"}, root).sandbox.ids.uid == 0u);
    // --unshare-user-try that works satisfies --uid.
    BOOST_TEST(parse({"--unshare-user-try", "--uid", "5", "true"}, root).sandbox.ids.uid == 5u);
    HostFacts no_userns = root;
    no_userns.userns_available = false;
    expect_error({"--unshare-user-try", "--uid", "5", "true"},
                 "Specifying --uid requires --unshare-user or --userns", no_userns);
}

BOOST_AUTO_TEST_CASE(checks_come_in_bwrap_order) {
    // Option errors first, in argument order; then main()'s checks; the usage
    // text for a missing command sits between the userns checks and the rest.
    expect_error({"--hostname", "h", "--bogus", "true"}, "Unknown option --bogus");
    expect_error({"--disable-userns"}, "--disable-userns requires --unshare-user", root_host());
    expect_usage({"--hostname", "h"});
    expect_error({"--hostname", "h", "--as-pid-1", "true"},
                 "Specifying --hostname requires --unshare-uts");
}

BOOST_AUTO_TEST_CASE(errors_carry_earlier_warnings_and_prefix_state) {
    try {
        (void)parse({"--chdir", "/a", "--chdir", "/b", "--level-prefix", "--bogus"});
        BOOST_ERROR("expected failure");
    } catch (const BwrapUsageError& e) {
        BOOST_TEST(e.level_prefix);
        BOOST_TEST_REQUIRE(e.warnings.size() == 1u);
        BOOST_TEST(e.warnings[0].message == "Only the last --chdir option will take effect");
        BOOST_TEST(!e.warnings[0].level_prefix);
    }
    try {
        (void)parse({"--bogus", "--level-prefix"});
        BOOST_ERROR("expected failure");
    } catch (const BwrapUsageError& e) {
        BOOST_TEST(!e.level_prefix);
        BOOST_TEST(e.warnings.empty());
    }
}
