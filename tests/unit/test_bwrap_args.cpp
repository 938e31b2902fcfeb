// bwrap command line -> Sandbox: every option lands in the expected field,
// option order is kept, one-shot modifiers, and the host-dependent resolution
// (user namespace, ids, environment, capabilities).
#define BOOST_TEST_MODULE bwrap_args
#include "tests/unit/bwrap_test_support.hpp"

#include <algorithm>

using namespace bwrap_test;
using burrow::FsOp;
using burrow::FsOpKind;

namespace {
const std::vector<std::string> kCmd = {"sh", "-c", "exit 3"};

std::vector<std::string> with_cmd(std::vector<std::string> opts) {
    opts.insert(opts.end(), kCmd.begin(), kCmd.end());
    return opts;
}
} // namespace

BOOST_AUTO_TEST_SUITE(basics)

BOOST_AUTO_TEST_CASE(command_after_options) {
    auto inv = parse({"--ro-bind", "/usr", "/usr", "ls", "-l", "--bind"});
    BOOST_TEST((inv.action == BwrapInvocation::Action::run));
    BOOST_TEST(inv.sandbox.proc.argv == (std::vector<std::string>{"ls", "-l", "--bind"}),
               boost::test_tools::per_element());
    BOOST_TEST(inv.warnings.empty());
}

BOOST_AUTO_TEST_CASE(double_dash_ends_options) {
    auto inv = parse({"--unshare-pid", "--", "--weird-command", "x"});
    BOOST_TEST(inv.sandbox.proc.argv == (std::vector<std::string>{"--weird-command", "x"}),
               boost::test_tools::per_element());
    BOOST_TEST(inv.sandbox.ns.pid);
}

BOOST_AUTO_TEST_CASE(empty_string_is_the_command) {
    auto inv = parse({"", "a"});
    BOOST_TEST(inv.sandbox.proc.argv == (std::vector<std::string>{"", "a"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(help_and_version) {
    BOOST_TEST((parse({"--help"}).action == BwrapInvocation::Action::help));
    BOOST_TEST((parse({"--version"}).action == BwrapInvocation::Action::version));
    // Anywhere on the line, even before a missing command or a later error.
    BOOST_TEST((parse({"--bind", "/a", "/b", "--help", "--bogus"}).action ==
                BwrapInvocation::Action::help));
    BOOST_TEST((parse({"--unshare-net", "--version", "--uid"}).action ==
                BwrapInvocation::Action::version));
    // ...but an error before it wins, as bwrap dies while parsing.
    expect_error({"--bogus", "--help"}, "Unknown option --bogus");
    BOOST_TEST(std::string(burrow::bwrap_version_string) == "bubblewrap 0.11.1");
}

BOOST_AUTO_TEST_CASE(version_alone_skips_host_checks) {
    HostFacts h = user_host();
    h.permitted_caps = 1; // would make bwrap die, but --version alone comes first
    BOOST_TEST((parse({"--version"}, h).action == BwrapInvocation::Action::version));
    expect_error({"--help"}, "Unexpected capabilities but not setuid, old file caps config?", h);
}

BOOST_AUTO_TEST_CASE(usage_lists_every_option_in_order) {
    const std::string text = burrow::bwrap_usage_text("bwrap");
    BOOST_TEST(text.rfind("usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]\n\n", 0) == 0u);
    const std::vector<std::string> order = {"--help",
                                            "--version",
                                            "--args FD",
                                            "--argv0 VALUE",
                                            "--level-prefix",
                                            "--unshare-all",
                                            "--share-net",
                                            "--unshare-user ",
                                            "--unshare-user-try",
                                            "--unshare-ipc",
                                            "--unshare-pid",
                                            "--unshare-net",
                                            "--unshare-uts",
                                            "--unshare-cgroup ",
                                            "--unshare-cgroup-try",
                                            "--userns FD",
                                            "--userns2 FD",
                                            "--disable-userns",
                                            "--assert-userns-disabled",
                                            "--pidns FD",
                                            "--uid UID",
                                            "--gid GID",
                                            "--hostname NAME",
                                            "--chdir DIR",
                                            "--clearenv",
                                            "--setenv VAR VALUE",
                                            "--unsetenv VAR",
                                            "--lock-file DEST",
                                            "--sync-fd FD",
                                            "--bind SRC DEST",
                                            "--bind-try SRC DEST",
                                            "--dev-bind SRC DEST",
                                            "--dev-bind-try SRC",
                                            "--ro-bind SRC DEST",
                                            "--ro-bind-try SRC",
                                            "--bind-fd FD DEST",
                                            "--ro-bind-fd FD DEST",
                                            "--remount-ro DEST",
                                            "--overlay-src SRC",
                                            "--overlay RWSRC WORKDIR DEST",
                                            "--tmp-overlay DEST",
                                            "--ro-overlay DEST",
                                            "--exec-label LABEL",
                                            "--file-label LABEL",
                                            "--proc DEST",
                                            "--dev DEST",
                                            "--tmpfs DEST",
                                            "--mqueue DEST",
                                            "--dir DEST",
                                            "--file FD DEST",
                                            "--bind-data FD DEST",
                                            "--ro-bind-data FD DEST",
                                            "--symlink SRC DEST",
                                            "--seccomp FD",
                                            "--add-seccomp-fd FD",
                                            "--block-fd FD",
                                            "--userns-block-fd FD",
                                            "--info-fd FD",
                                            "--json-status-fd FD",
                                            "--new-session",
                                            "--die-with-parent",
                                            "--as-pid-1",
                                            "--cap-add CAP",
                                            "--cap-drop CAP",
                                            "--perms OCTAL",
                                            "--size BYTES",
                                            "--chmod OCTAL PATH",
                                            "burrow extensions",
                                            "--not-a-security-boundary"};
    size_t at = 0;
    for (const auto& o : order) {
        const size_t found = text.find("    " + o, at);
        const size_t found_plain = o == "burrow extensions" ? text.find(o, at) : found;
        BOOST_TEST_REQUIRE(found_plain != std::string::npos, o << " missing or out of order");
        at = found_plain + 1;
    }
    // Wording spot checks against bwrap 0.11.1.
    BOOST_TEST(text.find("    --die-with-parent            Kills with SIGKILL child process "
                         "(COMMAND) when bwrap or bwrap's parent dies.\n") != std::string::npos);
    BOOST_TEST(text.find("                                 WORKDIR an empty directory on the "
                         "same filesystem as RWSRC\n") != std::string::npos);
    BOOST_TEST(burrow::bwrap_usage_text("/usr/bin/bwrap").rfind("usage: /usr/bin/bwrap ", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(filesystem_ops)

BOOST_AUTO_TEST_CASE(bind_family) {
    auto inv = parse(with_cmd({"--bind", "/s1", "/d1", "--bind-try", "/s2", "/d2", "--dev-bind",
                               "/s3", "/d3", "--dev-bind-try", "/s4", "/d4", "--ro-bind", "/s5",
                               "/d5", "--ro-bind-try", "/s6", "/d6"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 6u);
    struct Want {
        bool ro, dev, opt;
    };
    const Want want[] = {{false, false, false}, {false, false, true}, {false, true, false},
                         {false, true, true},   {true, false, false}, {true, false, true}};
    for (size_t i = 0; i < 6; ++i) {
        BOOST_TEST_CONTEXT("op " << i) {
            BOOST_TEST((fs[i].kind == FsOpKind::bind));
            BOOST_TEST(fs[i].source == "/s" + std::to_string(i + 1));
            BOOST_TEST(fs[i].dest == "/d" + std::to_string(i + 1));
            BOOST_TEST(fs[i].readonly == want[i].ro);
            BOOST_TEST(fs[i].allow_dev == want[i].dev);
            BOOST_TEST(fs[i].optional == want[i].opt);
            BOOST_TEST(fs[i].fd == -1);
        }
    }
}

BOOST_AUTO_TEST_CASE(fd_based_ops) {
    auto inv = parse(with_cmd({"--bind-fd", "5", "/a", "--ro-bind-fd", "6", "/b", "--file", "7",
                               "/c", "--bind-data", "8", "/d", "--ro-bind-data", "9", "/e"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 5u);
    BOOST_TEST((fs[0].kind == FsOpKind::bind_fd));
    BOOST_TEST(fs[0].fd == 5);
    BOOST_TEST(!fs[0].readonly);
    BOOST_TEST((fs[1].kind == FsOpKind::bind_fd));
    BOOST_TEST(fs[1].fd == 6);
    BOOST_TEST(fs[1].readonly);
    BOOST_TEST((fs[2].kind == FsOpKind::file));
    BOOST_TEST(fs[2].fd == 7);
    BOOST_TEST(fs[2].dest == "/c");
    BOOST_TEST(*fs[2].perms == 0666u);
    BOOST_TEST((fs[3].kind == FsOpKind::bind_data));
    BOOST_TEST(fs[3].fd == 8);
    BOOST_TEST(!fs[3].readonly);
    BOOST_TEST(*fs[3].perms == 0600u);
    BOOST_TEST((fs[4].kind == FsOpKind::bind_data));
    BOOST_TEST(fs[4].readonly);
    BOOST_TEST(*fs[4].perms == 0600u);
}

BOOST_AUTO_TEST_CASE(fd_numbers_as_bwrap_reads_them) {
    // strtol: leading blanks and '+' are accepted, the whole string must match.
    auto inv = parse(with_cmd({"--file", " +12", "/x", "--file", "0", "/y"}));
    BOOST_TEST(inv.sandbox.fs[0].fd == 12);
    BOOST_TEST(inv.sandbox.fs[1].fd == 0);
}

BOOST_AUTO_TEST_CASE(mounts_and_creations) {
    auto inv = parse(with_cmd({"--proc",      "/proc",   "--dev",  "/dev",         "--mqueue",
                               "/dev/mqueue", "--tmpfs", "/tmp",   "--dir",        "/var/x",
                               "--symlink",   "usr/lib", "/lib",   "--remount-ro", "/usr",
                               "--chmod",     "0700",    "/var/x", "--lock-file",  "/lock"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 9u);
    BOOST_TEST((fs[0].kind == FsOpKind::proc));
    BOOST_TEST(fs[0].dest == "/proc");
    BOOST_TEST((fs[1].kind == FsOpKind::dev));
    BOOST_TEST((fs[2].kind == FsOpKind::mqueue));
    BOOST_TEST(fs[2].dest == "/dev/mqueue");
    BOOST_TEST((fs[3].kind == FsOpKind::tmpfs));
    BOOST_TEST(*fs[3].perms == 0755u);
    BOOST_TEST(!fs[3].size.has_value());
    BOOST_TEST((fs[4].kind == FsOpKind::dir));
    BOOST_TEST(*fs[4].perms == 0755u);
    BOOST_TEST((fs[5].kind == FsOpKind::symlink));
    BOOST_TEST(fs[5].source == "usr/lib");
    BOOST_TEST(fs[5].dest == "/lib");
    BOOST_TEST((fs[6].kind == FsOpKind::remount_ro));
    BOOST_TEST(fs[6].dest == "/usr");
    BOOST_TEST((fs[7].kind == FsOpKind::chmod));
    BOOST_TEST(*fs[7].perms == 0700u);
    BOOST_TEST((fs[8].kind == FsOpKind::lock_file));
    BOOST_TEST(fs[8].dest == "/lock");
}

BOOST_AUTO_TEST_CASE(order_is_preserved) {
    std::vector<std::string> opts;
    for (int i = 0; i < 50; ++i) {
        opts.insert(opts.end(), {"--dir", "/d" + std::to_string(i)});
        opts.insert(opts.end(), {"--symlink", "t" + std::to_string(i), "/l" + std::to_string(i)});
    }
    auto inv = parse(with_cmd(opts));
    BOOST_TEST_REQUIRE(inv.sandbox.fs.size() == 100u);
    for (int i = 0; i < 50; ++i) {
        BOOST_TEST(inv.sandbox.fs[2 * i].dest == "/d" + std::to_string(i));
        BOOST_TEST(inv.sandbox.fs[2 * i + 1].dest == "/l" + std::to_string(i));
    }
}

BOOST_AUTO_TEST_CASE(overlays) {
    auto inv =
        parse(with_cmd({"--overlay-src", "/l1", "--overlay-src", "/l2", "--overlay", "/up", "/work",
                        "/o1", "--overlay-src", "/l3", "--tmp-overlay", "/o2", "--overlay-src",
                        "/l4", "--overlay-src", "/l5", "--ro-overlay", "/o3"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 3u);
    BOOST_TEST((fs[0].kind == FsOpKind::overlay));
    BOOST_TEST(fs[0].dest == "/o1");
    BOOST_TEST(fs[0].overlay_upper == "/up");
    BOOST_TEST(fs[0].overlay_work == "/work");
    BOOST_TEST(fs[0].overlay_sources == (std::vector<std::string>{"/l1", "/l2"}),
               boost::test_tools::per_element());
    BOOST_TEST((fs[1].kind == FsOpKind::tmp_overlay));
    BOOST_TEST(fs[1].overlay_sources == (std::vector<std::string>{"/l3"}),
               boost::test_tools::per_element());
    BOOST_TEST((fs[2].kind == FsOpKind::ro_overlay));
    BOOST_TEST(fs[2].overlay_sources == (std::vector<std::string>{"/l4", "/l5"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(modifiers)

BOOST_AUTO_TEST_CASE(perms_apply_to_next_op_only) {
    auto inv = parse(with_cmd({"--perms", "0700",           "--dir", "/a",      "--dir",
                               "/b",      "--perms",        "640",   "--file",  "3",
                               "/f",      "--file",         "4",     "/g",      "--perms",
                               "0444",    "--bind-data",    "5",     "/h",      "--perms",
                               "0",       "--ro-bind-data", "6",     "/i",      "--perms",
                               "01777",   "--tmpfs",        "/t",    "--tmpfs", "/u"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 8u);
    BOOST_TEST(*fs[0].perms == 0700u);
    BOOST_TEST(*fs[1].perms == 0755u);
    BOOST_TEST(*fs[2].perms == 0640u);
    BOOST_TEST(*fs[3].perms == 0666u);
    BOOST_TEST(*fs[4].perms == 0444u);
    BOOST_TEST(*fs[5].perms == 0u);
    BOOST_TEST(*fs[6].perms == 01777u);
    BOOST_TEST(*fs[7].perms == 0755u);
}

BOOST_AUTO_TEST_CASE(size_applies_to_next_tmpfs_only) {
    auto inv = parse(with_cmd({"--size", "1048576", "--tmpfs", "/a", "--tmpfs", "/b", "--size",
                               "0x100", "--perms", "0700", "--tmpfs", "/c", "--perms", "0750",
                               "--size", "010", "--tmpfs", "/d"}));
    const auto& fs = inv.sandbox.fs;
    BOOST_TEST_REQUIRE(fs.size() == 4u);
    BOOST_TEST(*fs[0].size == 1048576u);
    BOOST_TEST(!fs[1].size.has_value());
    BOOST_TEST(*fs[2].size == 256u); // base 0, like strtoull(..., 0)
    BOOST_TEST(*fs[2].perms == 0700u);
    BOOST_TEST(*fs[3].size == 8u); // octal
    BOOST_TEST(*fs[3].perms == 0750u);
}

BOOST_AUTO_TEST_CASE(unused_modifier_before_command_is_ignored) {
    // bwrap only checks a modifier after another option; before "--" or the
    // command it is silently dropped.
    auto inv = parse({"--perms", "0700", "--", "true"});
    BOOST_TEST(inv.sandbox.fs.empty());
    inv = parse({"--size", "100", "true"});
    BOOST_TEST(inv.sandbox.fs.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(process_and_status)

BOOST_AUTO_TEST_CASE(process_fields) {
    auto inv = parse(with_cmd({"--argv0", "zero", "--chdir", "/w", "--unshare-uts", "--hostname",
                               "box", "--new-session", "--die-with-parent", "--unshare-pid",
                               "--as-pid-1", "--level-prefix", "--not-a-security-boundary"}));
    const auto& p = inv.sandbox.proc;
    BOOST_TEST(*p.argv0 == "zero");
    BOOST_TEST(*p.chdir == "/w");
    BOOST_TEST(*p.hostname == "box");
    BOOST_TEST(p.new_session);
    BOOST_TEST(p.die_with_parent);
    BOOST_TEST(p.as_pid_1);
    BOOST_TEST(inv.sandbox.diag.level_prefix);
    BOOST_TEST(inv.sandbox.diag.not_a_security_boundary);
    BOOST_TEST(inv.sandbox.diag.prog == "bwrap");
    auto plain = parse({"true"});
    BOOST_TEST(!plain.sandbox.proc.argv0.has_value());
    BOOST_TEST(!plain.sandbox.proc.chdir.has_value());
    BOOST_TEST(!plain.sandbox.proc.new_session);
    BOOST_TEST(!plain.sandbox.diag.level_prefix);
    BOOST_TEST(!plain.sandbox.diag.not_a_security_boundary);
}

BOOST_AUTO_TEST_CASE(status_fds) {
    auto inv =
        parse(with_cmd({"--sync-fd", "3", "--block-fd", "4", "--info-fd", "5", "--json-status-fd",
                        "6", "--unshare-user", "--userns-block-fd", "7"}));
    const auto& s = inv.sandbox.status;
    BOOST_TEST(s.sync_fd == 3);
    BOOST_TEST(s.block_fd == 4);
    BOOST_TEST(s.info_fd == 5);
    BOOST_TEST(s.json_status_fd == 6);
    BOOST_TEST(s.userns_block_fd == 7);
    // The caller writes the maps while the sandbox waits on --userns-block-fd.
    BOOST_TEST(inv.sandbox.ids.uid_map.empty());
    BOOST_TEST(inv.sandbox.ids.gid_map.empty());
    auto plain = parse({"true"});
    BOOST_TEST(plain.sandbox.status.sync_fd == -1);
    BOOST_TEST(plain.sandbox.status.info_fd == -1);
}

BOOST_AUTO_TEST_CASE(last_one_wins_with_a_warning) {
    auto inv = parse(with_cmd(
        {"--chdir", "/a", "--level-prefix", "--chdir", "/b", "--sync-fd", "3", "--sync-fd", "4"}));
    BOOST_TEST(*inv.sandbox.proc.chdir == "/b");
    BOOST_TEST(inv.sandbox.status.sync_fd == 4);
    BOOST_TEST_REQUIRE(inv.warnings.size() == 2u);
    BOOST_TEST(inv.warnings[0].message == "Only the last --chdir option will take effect");
    BOOST_TEST(inv.warnings[0].level_prefix); // --level-prefix came before it
    BOOST_TEST(inv.warnings[1].message == "Only the last --sync-fd option will take effect");

    auto early = parse({"--chdir", "/a", "--chdir", "/b", "--level-prefix", "true"});
    BOOST_TEST_REQUIRE(early.warnings.size() == 1u);
    BOOST_TEST(!early.warnings[0].level_prefix);

    for (const std::string opt : {"--block-fd", "--info-fd", "--json-status-fd", "--userns2",
                                  "--pidns", "--uid", "--gid", "--hostname"}) {
        auto w = parse({"--unshare-user", "--unshare-uts", opt, "1", opt, "2", "true"});
        BOOST_TEST_REQUIRE(w.warnings.size() == 1u, opt);
        BOOST_TEST(w.warnings[0].message == "Only the last " + opt + " option will take effect");
    }
}

BOOST_AUTO_TEST_CASE(namespace_fds) {
    HostFacts root = root_host();
    auto inv =
        parse({"--userns", "0", "--userns2", "4", "--pidns", "5", "--unshare-pid", "true"}, root);
    // 0.11.1: fd 0 counts (0.8.0 ignored "--userns 0").
    BOOST_TEST(inv.sandbox.ns.join_user_fd == 0);
    BOOST_TEST(inv.sandbox.ns.join_user2_fd == 4);
    BOOST_TEST(inv.sandbox.ns.join_pid_fd == 5);
    BOOST_TEST(inv.sandbox.ns.pid);
    BOOST_TEST(!inv.sandbox.ns.user);
    BOOST_TEST(inv.sandbox.ids.uid_map.empty());
    // Joining a user namespace as non-root does not imply creating one.
    auto user = parse({"--userns", "3", "--uid", "0", "true"});
    BOOST_TEST(!user.sandbox.ns.user);
    BOOST_TEST(user.sandbox.ids.uid == 0u);
    BOOST_TEST(user.sandbox.ids.uid_map.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(namespaces)

BOOST_AUTO_TEST_CASE(each_unshare_flag) {
    HostFacts root = root_host();
    auto none = parse({"true"}, root);
    BOOST_TEST(!none.sandbox.ns.user);
    BOOST_TEST(!none.sandbox.ns.ipc);
    BOOST_TEST(!none.sandbox.ns.pid);
    BOOST_TEST(!none.sandbox.ns.net);
    BOOST_TEST(!none.sandbox.ns.uts);
    BOOST_TEST(!none.sandbox.ns.cgroup);
    BOOST_TEST(parse({"--unshare-user", "true"}, root).sandbox.ns.user);
    BOOST_TEST(parse({"--unshare-ipc", "true"}, root).sandbox.ns.ipc);
    BOOST_TEST(parse({"--unshare-pid", "true"}, root).sandbox.ns.pid);
    BOOST_TEST(parse({"--unshare-net", "true"}, root).sandbox.ns.net);
    BOOST_TEST(parse({"--unshare-uts", "true"}, root).sandbox.ns.uts);
    BOOST_TEST(parse({"--unshare-cgroup", "true"}, root).sandbox.ns.cgroup);
    BOOST_TEST(
        parse({"--disable-userns", "--unshare-user", "true"}, root).sandbox.ns.disable_userns);
    BOOST_TEST(parse({"--assert-userns-disabled", "true"}, root).sandbox.ns.assert_userns_disabled);
}

BOOST_AUTO_TEST_CASE(unshare_all_uses_try_variants) {
    HostFacts root = root_host();
    auto all = parse({"--unshare-all", "true"}, root);
    BOOST_TEST(all.sandbox.ns.user);
    BOOST_TEST(all.sandbox.ns.ipc);
    BOOST_TEST(all.sandbox.ns.pid);
    BOOST_TEST(all.sandbox.ns.net);
    BOOST_TEST(all.sandbox.ns.uts);
    BOOST_TEST(all.sandbox.ns.cgroup);

    root.userns_available = false;
    root.cgroupns_available = false;
    auto without = parse({"--unshare-all", "true"}, root);
    BOOST_TEST(!without.sandbox.ns.user);
    BOOST_TEST(!without.sandbox.ns.cgroup);
    BOOST_TEST(without.sandbox.ns.pid);
}

BOOST_AUTO_TEST_CASE(share_net_is_order_sensitive) {
    BOOST_TEST(!parse({"--unshare-all", "--share-net", "true"}).sandbox.ns.net);
    BOOST_TEST(parse({"--share-net", "--unshare-all", "true"}).sandbox.ns.net);
}

BOOST_AUTO_TEST_CASE(non_root_always_gets_a_user_namespace) {
    HostFacts u = user_host();
    u.userns_available = false; // bwrap tries anyway; the clone will tell
    auto inv = parse({"true"}, u);
    BOOST_TEST(inv.sandbox.ns.user);
    BOOST_TEST_REQUIRE(inv.sandbox.ids.uid_map.size() == 1u);
    BOOST_TEST(inv.sandbox.ids.uid_map[0].inside == 1000u);
    BOOST_TEST(inv.sandbox.ids.uid_map[0].outside == 1000u);
    BOOST_TEST(inv.sandbox.ids.uid_map[0].count == 1u);
    BOOST_TEST(inv.sandbox.ids.deny_setgroups);
    BOOST_TEST(inv.sandbox.ids.uid == 1000u);
    BOOST_TEST(inv.sandbox.ids.gid == 1000u);
}

BOOST_AUTO_TEST_CASE(user_try_and_cgroup_try_follow_the_host) {
    HostFacts root = root_host();
    BOOST_TEST(parse({"--unshare-user-try", "true"}, root).sandbox.ns.user);
    BOOST_TEST(parse({"--unshare-cgroup-try", "true"}, root).sandbox.ns.cgroup);
    root.userns_available = false;
    root.cgroupns_available = false;
    BOOST_TEST(!parse({"--unshare-user-try", "true"}, root).sandbox.ns.user);
    BOOST_TEST(!parse({"--unshare-cgroup-try", "true"}, root).sandbox.ns.cgroup);
}

BOOST_AUTO_TEST_CASE(custom_ids_map_to_the_real_ones) {
    auto inv = parse({"--uid", "0", "--gid", "100", "true"});
    const auto& ids = inv.sandbox.ids;
    BOOST_TEST(ids.uid == 0u);
    BOOST_TEST(ids.gid == 100u);
    BOOST_TEST_REQUIRE(ids.uid_map.size() == 1u);
    BOOST_TEST(ids.uid_map[0].inside == 0u);
    BOOST_TEST(ids.uid_map[0].outside == 1000u);
    BOOST_TEST_REQUIRE(ids.gid_map.size() == 1u);
    BOOST_TEST(ids.gid_map[0].inside == 100u);
    BOOST_TEST(ids.gid_map[0].outside == 1000u);

    HostFacts root = root_host();
    auto r = parse({"--unshare-user", "--uid", "1234", "true"}, root);
    BOOST_TEST(r.sandbox.ids.uid_map[0].inside == 1234u);
    BOOST_TEST(r.sandbox.ids.uid_map[0].outside == 0u);
    // Root without a user namespace: no maps at all, same ids.
    auto plain = parse({"--uid", "0", "true"}, root);
    BOOST_TEST(plain.sandbox.ids.uid_map.empty());
    BOOST_TEST(plain.sandbox.ids.uid == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(environment)

BOOST_AUTO_TEST_CASE(host_env_by_default) {
    auto inv = parse({"true"});
    BOOST_TEST(inv.sandbox.proc.env == user_host().env, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(edits_apply_in_order) {
    auto inv = parse({"--setenv", "PATH", "/x", "--unsetenv", "LANG", "--setenv", "NEW", "a=b",
                      "--setenv", "HOME", "", "true"});
    BOOST_TEST(inv.sandbox.proc.env == (std::vector<std::string>{"HOME=", "PATH=/x", "NEW=a=b"}),
               boost::test_tools::per_element());

    inv = parse(
        {"--setenv", "A", "1", "--clearenv", "--setenv", "B", "2", "--unsetenv", "NOPE", "true"});
    BOOST_TEST(inv.sandbox.proc.env == (std::vector<std::string>{"B=2"}),
               boost::test_tools::per_element());

    inv = parse({"--clearenv", "true"});
    BOOST_TEST(inv.sandbox.proc.env.empty());
}

BOOST_AUTO_TEST_CASE(duplicates_behave_like_glibc) {
    HostFacts h = user_host();
    h.env = {"A=1", "B=2", "A=3", "ODD"};
    auto inv = parse({"--setenv", "A", "x", "true"}, h);
    BOOST_TEST(inv.sandbox.proc.env == (std::vector<std::string>{"A=x", "B=2", "A=3", "ODD"}),
               boost::test_tools::per_element());
    inv = parse({"--unsetenv", "A", "--unsetenv", "ODD", "true"}, h);
    BOOST_TEST(inv.sandbox.proc.env == (std::vector<std::string>{"B=2", "ODD"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(capabilities)

constexpr uint64_t bit(unsigned n) {
    return uint64_t{1} << n;
}

BOOST_AUTO_TEST_CASE(defaults) {
    BOOST_TEST(parse({"true"}).sandbox.proc.capabilities == 0u);
    BOOST_TEST(!parse({"true"}).sandbox.proc.keep_capabilities);
    BOOST_TEST(parse({"true"}, root_host()).sandbox.proc.capabilities == kAllCaps40);
    // root without cap options: bwrap leaves the sets alone (no capset).
    BOOST_TEST(parse({"true"}, root_host()).sandbox.proc.keep_capabilities);
    BOOST_TEST(parse({"--unshare-user", "true"}, root_host()).sandbox.proc.keep_capabilities);
    BOOST_TEST(
        !parse({"--cap-add", "CAP_CHOWN", "true"}, root_host()).sandbox.proc.keep_capabilities);
    BOOST_TEST(
        !parse({"--cap-drop", "CAP_CHOWN", "true"}, root_host()).sandbox.proc.keep_capabilities);
    HostFacts limited = root_host();
    limited.effective_caps = bit(0) | bit(21);
    BOOST_TEST(parse({"true"}, limited).sandbox.proc.capabilities == (bit(0) | bit(21)));
}

BOOST_AUTO_TEST_CASE(add_and_drop_in_order) {
    // CAP_CHOWN=0, CAP_NET_ADMIN=12, CAP_SYS_ADMIN=21
    auto inv = parse({"--cap-add", "CAP_NET_ADMIN", "--cap-add", "cap_sys_admin", "--cap-drop",
                      "CAP_NET_ADMIN", "true"});
    BOOST_TEST(inv.sandbox.proc.capabilities == bit(21));

    inv = parse({"--cap-drop", "ALL", "--cap-add", "CAP_CHOWN", "true"}, root_host());
    BOOST_TEST(inv.sandbox.proc.capabilities == bit(0));

    inv = parse({"--cap-add", "all", "--cap-drop", "Cap_Sys_Admin", "true"});
    BOOST_TEST(inv.sandbox.proc.capabilities == (kAllCaps40 & ~bit(21)));

    inv = parse({"--cap-add", "CAP_CHOWN", "--cap-drop", "ALL", "true"});
    BOOST_TEST(inv.sandbox.proc.capabilities == 0u);

    // libcap also reads numbers, as bwrap does.
    inv = parse({"--cap-add", "12", "true"});
    BOOST_TEST(inv.sandbox.proc.capabilities == bit(12));
}

BOOST_AUTO_TEST_CASE(all_is_limited_to_what_the_kernel_knows) {
    HostFacts h = user_host();
    h.cap_last_cap = 37;
    auto inv = parse({"--cap-add", "ALL", "true"}, h);
    BOOST_TEST(inv.sandbox.proc.capabilities == (bit(38) - 1));
}

BOOST_AUTO_TEST_SUITE_END()
