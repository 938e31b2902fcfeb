// nsfuzz: one generated sandbox description (a bwrap command line) and the
// model of what its payload must observe.
//
// A case is an ordered list of items; each item is a piece of the bwrap
// command line (namespace flags, ids, environment, seccomp, one filesystem
// operation) that also knows how it changes the model. Replaying the items
// over an empty model gives the expected view, so a case with items dropped
// (shrinking) gets its expectation recomputed the same way, and an item
// whose preconditions no longer hold (its parent directory was dropped)
// reports itself invalid and is dropped as well.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace nsfuzz {

// What the generator knows of the host: who runs it and the scratch tree.
struct Host {
    bool root = false;
    unsigned uid = 0, gid = 0;
    std::string scratch;                   // absolute path of the scratch tree
    std::string host_fs;                   // probe's "fs=" name of the scratch tree's file system
    std::vector<std::string> env;          // the environment burrow is started with
    std::map<std::string, std::string> ns; // host namespace inodes by name
    std::string hostname;                  // the host's (a new uts namespace starts with it)
};

// One path of the sandbox as the payload must see it.
struct Node {
    enum class Type { dir, file, symlink, opaque };
    Type type = Type::dir;
    unsigned mode = 0755;
    bool mode_known = true; // overlay roots take their mode from a layer burrow made
    std::string data;       // file contents
    std::string target;     // symlink target
    bool priv = true;       // sandbox-private (tmpfs...): creating and chmod are harmless
    int mount = 0;          // index into Model::mounts of the mount holding it
    int creator = -1;       // index of the item that made this node what it is
    // A --bind-data file is a mount of an unlinked file: the kernel refuses
    // to mount anything on it (ENOENT), in bwrap as in burrow.
    bool unlinked = false;
};

struct Mount {
    std::string target;
    std::string fs; // as the probe's mnt= prints it
    bool ro = false;
    bool opaque = false; // --dev: a tmpfs with submounts nsfuzz does not model
    // The mount's own read-only flag (mountinfo); a --ro-overlay is read-only
    // only in its superblock (no upper layer), as with bwrap 0.11's mount(2).
    bool flag_ro = false;
};

struct Model {
    std::map<std::string, Node> nodes; // absolute sandbox paths, "/" included
    std::vector<Mount> mounts;         // [0] is the root tmpfs
    // Namespaces and ids (items set them before any filesystem item).
    bool user = false, pid = false, net = false, ipc = false, uts = false, cgroup = false;
    std::optional<unsigned> uid, gid;
    std::vector<std::string> env_ops; // "set NAME VALUE" / "unset NAME" / "clear"
    std::optional<std::string> chdir;
    int seccomp_programs = 0;
    std::optional<std::string> personality; // expected result of personality(query)
    bool all = false;                       // --unshare-all
    bool die_with_parent = false, as_pid_1 = false, new_session = false;
    std::optional<std::string> hostname;
};

// Data burrow reads from an fd the harness passes (--file, --seccomp...).
struct FdData {
    int fd;
    std::string data;
    std::string host_path = {}; // instead of data: this directory below the scratch tree, opened
};

struct Item {
    enum class Kind {
        ns,
        process,
        uid,
        gid,
        setenv,
        unsetenv,
        clearenv,
        chdir,
        seccomp_fd,
        seccomp_profile_file,
        seccomp_builtin,
        dir,
        tmpfs,
        file,
        bind_data,
        ro_bind_data,
        symlink,
        bind,
        ro_bind,
        bind_try,
        ro_bind_try,
        bind_fd,
        ro_bind_fd,
        chmod,
        remount_ro,
        proc,
        dev,
        mqueue,
        tmp_overlay,
        ro_overlay
    };
    Item(Kind k, std::vector<std::string> a = {}) : kind(k), args(std::move(a)) {}
    Kind kind;
    std::vector<std::string> args; // command-line words; "@S/" is replaced by the scratch path
    std::vector<FdData> fds;
    std::string path;              // the sandbox path the item works on
    std::string src;               // host source below the scratch tree ("src/d0")
    std::vector<std::string> srcs; // overlay layers, lowest first
    std::string value, name;       // env value, symlink target, ns name...
    unsigned mode = 0;
    std::optional<unsigned> perms; // --perms before the item
    std::string profile;           // seccomp profile file text (written under the scratch tree)
};

struct Case {
    uint64_t seed = 0;
    unsigned number = 0;
    std::vector<Item> items;
    int exit_code = 0;   // the probe exits with it...
    int exit_signal = 0; // ...or dies of this signal
    // The probe leaves a grandchild behind: valid only where the sandbox must
    // not outlive burrow (pid namespace and --die-with-parent; without the
    // latter bwrap's pid 1 stays, with its descendants, after bwrap exits).
    bool orphan = false;
};

// Generates case `number` of `seed`: deterministic.
Case generate(const Host& host, uint64_t seed, unsigned number);

// Replays the items; false when one of them is not valid any more (its
// index in *bad). Used by generate() and by shrinking.
bool build_model(const Host& host, const Case& c, Model& m, size_t* bad = nullptr);

// The full bwrap argument list (without the program name): items, the probe
// bind, the probe's commands.
std::vector<std::string> command_line(const Host& host, const Case& c, const Model& m,
                                      const std::string& probe, int status_fd);

// Expected probe output lines, keyed by the probe's key ("stat /w/a").
std::map<std::string, std::string> expected_view(const Host& host, const Case& c, const Model& m,
                                                 bool dac_override);

// Sandbox-path checks the probe runs, in order.
std::vector<std::string> probe_commands(const Host& h, const Case& c, const Model& m);

// With a procfs at /proc the probe also reports the mount table below /w:
// the mount points (and ro/rw) the payload must see there, in order.
bool has_proc(const Model& m);
std::vector<std::string> expected_mounts(const Model& m);

// Namespaces whose ids the json-status start object must name.
std::vector<std::string> expected_namespaces(const Model& m);

// A shell line reproducing the case (fds as files under `fd_dir`).
std::string reproducer(const Host& host, const Case& c, const Model& m,
                       const std::vector<std::string>& bwrap, const std::string& probe,
                       const std::string& fd_dir);

std::string fnv_hash(const std::string& s);

} // namespace nsfuzz
