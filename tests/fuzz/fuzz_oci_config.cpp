// libFuzzer target: an OCI runtime bundle's config.json (parse_config, as
// `burrow oci create` reads it, rootful and rootless) and an exec's process
// object (apply_process, `burrow oci exec --process`).
//
// Invariants beyond "no crash": bad input is a ConfigError and nothing else
// (a stray nlohmann or std exception would reach the user as an abort or
// a message without a position), its message is one line starting with the
// file name (burrow oci prints it as the one line of a failure), a parsed
// description only mounts at absolute paths, and a refused process object
// leaves the container's description as it was. The harness runs in the
// temporary directory run-fuzzer.sh gives it; namespace paths the input
// names are opened O_PATH only unless they are nsfs (config.cpp).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "policy/oci/bundle.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace burrow;

namespace {

// A bundle directory with an empty rootfs, made once and removed at exit
// (the replay runs of the ci and asan builds have no temporary TMPDIR).
std::string g_bundle;

void remove_bundle() {
    ::rmdir((g_bundle + "/rootfs").c_str());
    ::rmdir(g_bundle.c_str());
}

const std::string& bundle_dir() {
    if (g_bundle.empty()) {
        const char* tmp = ::getenv("TMPDIR");
        std::string t = std::string(tmp && *tmp ? tmp : "/tmp") + "/fuzz-oci-XXXXXX";
        if (!::mkdtemp(t.data())) fuzz::fail("mkdtemp " + t);
        if (::mkdir((t + "/rootfs").c_str(), 0755) != 0) fuzz::fail("mkdir rootfs");
        g_bundle = t;
        std::atexit(remove_bundle);
    }
    return g_bundle;
}

void check_error(const oci::ConfigError& e, const std::string& file) {
    const std::string what = e.what();
    fuzz::check(what.rfind(file + ": ", 0) == 0, "error does not start with the file: " + what);
    fuzz::check(what.find_first_of("\n\r") == std::string::npos,
                "error is more than one line: " + what);
}

void check_description(const Sandbox& sb) {
    for (const FsOp& op : sb.fs)
        fuzz::check(!op.dest.empty() && op.dest[0] == '/', "mount at a relative path: " + op.dest);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const std::string& dir = bundle_dir();
    fuzz::FdLeakCheck leaks;
    for (const bool rootless : {false, true}) {
        oci::LoadOptions opt;
        opt.rootless = rootless;
        try {
            const oci::Bundle b = oci::parse_config(text, dir, opt);
            check_description(b.sandbox);
        } catch (const oci::ConfigError& e) {
            check_error(e, "config.json");
        }
    }
    // The same bytes as an exec's process object, on a container's
    // description.
    static const oci::Bundle base = oci::parse_config(
        R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/",
            "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"]}}})",
        dir, {});
    Sandbox sb = base.sandbox;
    bool terminal = false;
    try {
        oci::apply_process(text, "process.json", sb, terminal);
        check_description(sb);
    } catch (const oci::ConfigError& e) {
        check_error(e, "process.json");
        fuzz::check(sb.proc.argv == base.sandbox.proc.argv &&
                        sb.proc.cap_sets.has_value() == base.sandbox.proc.cap_sets.has_value(),
                    "a refused process object changed the description");
    }
    return 0;
}
