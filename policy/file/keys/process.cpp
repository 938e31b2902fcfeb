// [process] (how the payload runs) and [status] (reporting).
#include <array>

#include "policy/file/keys.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

constexpr char kDieWithParent[] = "--die-with-parent";
constexpr char kNewSession[] = "--new-session";
constexpr char kAsPid1[] = "--as-pid-1";
constexpr char kChdir[] = "--chdir";

template <auto M, const char* Option>
constexpr KeyOps kFlag{.decode = key::boolean<M>,
                       .show = key::show<M>,
                       .layer = key::later<M>,
                       .bwrap = key::option_if<M, Option>};

constexpr std::array kKeys{
    KeyDoc{"process", K::table, "", "How the payload runs.", {.layer = key::section}},
    KeyDoc{"process.die_with_parent", K::boolean, "true", "Kill the sandbox when burrow dies.",
           kFlag<&Policy::die_with_parent, kDieWithParent>},
    KeyDoc{"process.new_session", K::boolean, "false", "setsid(): no access to the terminal.",
           kFlag<&Policy::new_session, kNewSession>},
    KeyDoc{"process.as_pid_1",
           K::boolean,
           "false",
           "The payload is pid 1 (no reaper).",
           {.decode = key::boolean<&Policy::as_pid_1>,
            .check =
                [](const Node& n, const Policy& p) {
                    if (p.as_pid_1 && !p.ns_pid)
                        Decode::fail(n, "process.as_pid_1: needs namespaces.pid = true");
                },
            .show = key::show<&Policy::as_pid_1>,
            .layer = key::later<&Policy::as_pid_1>,
            .bwrap = key::option_if<&Policy::as_pid_1, kAsPid1>}},
    KeyDoc{"process.chdir",
           K::string,
           "",
           "Working directory inside the sandbox.",
           {.decode = key::path<&Policy::chdir>,
            .show = key::show_lit<&Policy::chdir>,
            .layer = key::later<&Policy::chdir>,
            .bwrap = key::option_with<&Policy::chdir, kChdir>}},
    KeyDoc{"process.argv0",
           K::string,
           "",
           "argv[0] as the payload sees it.",
           {.decode = key::text<&Policy::argv0>,
            .show = key::show_lit<&Policy::argv0>,
            .layer = key::later<&Policy::argv0>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (!p.argv0) return;
                    o.add({"--argv0", *p.argv0});
                    o.cannot("process.argv0 needs bwrap 0.9 or later");
                }}},
};

constexpr std::array kStatusKeys{
    KeyDoc{"status",
           K::table,
           "",
           "Reporting.",
           {.shown = [](const Policy& p) { return p.status_file.has_value(); },
            .layer = key::section}},
    KeyDoc{"status.file",
           K::string,
           "",
           "Write one JSON document about the run here (like --status-file).",
           {.decode = key::path<&Policy::status_file>,
            .show = key::show_lit<&Policy::status_file>,
            .layer = key::later<&Policy::status_file>,
            .bwrap =
                [](const Policy& p, BwrapOut& o) {
                    if (p.status_file) o.cannot("status.file: use --json-status-fd");
                }}},
};

} // namespace

std::span<const KeyDoc> process_keys() {
    return kKeys;
}

std::span<const KeyDoc> status_keys() {
    return kStatusKeys;
}

} // namespace burrow::policy
