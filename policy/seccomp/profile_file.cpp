#include "policy/seccomp/profile_file.hpp"

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "policy/seccomp/builtin.hpp"
#include "policy/seccomp/compile.hpp"
#include "policy/seccomp/groups.hpp"
#include "runtime/io.hpp"

namespace burrow::seccomp {

namespace {

// Profile files larger than this are refused (the built-in ones are a few KiB).
constexpr std::size_t kMaxProfileBytes = std::size_t{16} << 20;

class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const toml::node* at, const std::string& problem,
                           const std::string& token) const {
        throw ProfileError(where(at) + ": " + problem + ": " + token);
    }
    std::string where(const toml::node* at) const {
        if (at && at->source().begin) return file_ + ":" + std::to_string(at->source().begin.line);
        return file_;
    }

    void only_keys(const toml::table& t, std::initializer_list<std::string_view> allowed) const {
        for (const auto& [key, node] : t) {
            bool ok = false;
            for (auto a : allowed) ok = ok || key.str() == a;
            if (!ok) fail(&node, "unknown key", std::string(key.str()));
        }
    }

    std::string string_of(const toml::node& n, const char* what) const {
        if (auto s = n.value<std::string>()) return *s;
        fail(&n, std::string(what) + " must be a string", node_text(n));
    }

    Action action_of(const toml::node& n) const {
        const std::string text = string_of(n, "action");
        bool bad_errno = false;
        if (auto a = parse_action(text, &bad_errno)) return *a;
        if (bad_errno) fail(&n, "unknown errno name", text.substr(text.find(':') + 1));
        fail(&n, "unknown action", text);
    }

    uint64_t number_of(const toml::node& n, const char* what) const {
        if (auto i = n.value<int64_t>()) {
            if (*i < 0)
                fail(&n, std::string("malformed condition: negative ") + what, node_text(n));
            return static_cast<uint64_t>(*i);
        }
        if (auto s = n.value<std::string>()) {
            errno = 0;
            char* end = nullptr;
            const unsigned long long v = std::strtoull(s->c_str(), &end, 0);
            if (!s->empty() && (*s)[0] != '-' && end && *end == '\0' && errno == 0) return v;
        }
        fail(&n, std::string("malformed condition: bad ") + what, node_text(n));
    }

    ArgCondition condition_of(const toml::node& n) const {
        const toml::table* t = n.as_table();
        if (!t)
            fail(&n, "malformed condition: expected { index = N, op = ..., value = ... }",
                 node_text(n));
        only_keys(*t, {"index", "op", "value", "mask"});
        ArgCondition c;
        const toml::node* idx = t->get("index");
        const toml::node* op = t->get("op");
        const toml::node* value = t->get("value");
        if (!idx || !op || !value)
            fail(&n, "malformed condition: index, op and value are required", node_text(n));
        const uint64_t index = number_of(*idx, "index");
        if (index > 5)
            fail(idx, "malformed condition: argument index out of range 0-5", node_text(*idx));
        c.index = static_cast<unsigned>(index);
        const std::string op_text = string_of(*op, "op");
        const auto parsed = parse_cmp_op(op_text);
        if (!parsed) fail(op, "malformed condition: unknown operator", op_text);
        c.op = *parsed;
        c.value = number_of(*value, "value");
        if (const toml::node* mask = t->get("mask")) {
            if (c.op != CmpOp::masked_eq)
                fail(mask, "malformed condition: mask needs op = \"masked_eq\"", node_text(*mask));
            c.mask = number_of(*mask, "mask");
        } else if (c.op == CmpOp::masked_eq) {
            fail(&n, "malformed condition: masked_eq needs a mask", node_text(n));
        }
        if (c.op == CmpOp::masked_eq && (c.value & ~c.mask) != 0)
            fail(value, "malformed condition: value has bits outside the mask", node_text(*value));
        return c;
    }

    Rule rule_of(const toml::node& n) const {
        const toml::table* t = n.as_table();
        if (!t) fail(&n, "rule must be a table", node_text(n));
        only_keys(*t, {"syscalls", "action", "args"});
        Rule r;
        r.origin = where(&n);
        const toml::array* calls = t->get_as<toml::array>("syscalls");
        if (!calls || calls->empty()) fail(&n, "rule needs a non-empty syscalls list", "syscalls");
        for (const toml::node& c : *calls) {
            std::string name = string_of(c, "syscall name");
            if (!name.empty() && name[0] == '@') {
                if (!find_group(name)) fail(&c, "unknown syscall group", name);
            } else if (!syscall_known(name)) {
                fail(&c, "unknown system call", name);
            }
            r.syscalls.push_back(std::move(name));
        }
        const toml::node* action = t->get("action");
        if (!action) fail(&n, "rule needs an action", "action");
        r.action = action_of(*action);
        if (const toml::node* args = t->get("args")) {
            const toml::array* list = args->as_array();
            if (!list) fail(args, "malformed condition: args must be a list", node_text(*args));
            for (const toml::node& c : *list) r.args.push_back(condition_of(c));
        }
        return r;
    }

    static std::string node_text(const toml::node& n) {
        std::ostringstream s;
        n.visit([&](const auto& v) { s << v; });
        std::string out = s.str();
        for (char& ch : out)
            if (ch == '\n') ch = ' ';
        return out;
    }

  private:
    std::string file_;
};

} // namespace

Profile parse_profile_toml(std::string_view text, const std::string& file_name) {
    toml::table root;
    try {
        root = toml::parse(text, file_name);
    } catch (const toml::parse_error& e) {
        throw ProfileError(file_name + ":" + std::to_string(e.source().begin.line) +
                           ": malformed TOML: " + std::string(e.description()));
    }
    Reader rd(file_name);
    rd.only_keys(root,
                 {"name", "description", "base", "default_action", "bad_arch_action", "rule"});
    Profile p;
    std::optional<Profile> base;
    if (const toml::node* b = root.get("base")) {
        const std::string name = rd.string_of(*b, "base");
        base = builtin_profile(name);
        if (!base) rd.fail(b, "unknown seccomp profile", name);
        p.default_action = base->default_action;
        p.bad_arch = base->bad_arch;
    }
    p.name = file_name;
    if (const toml::node* n = root.get("name")) p.name = rd.string_of(*n, "name");
    if (const toml::node* n = root.get("description"))
        p.description = rd.string_of(*n, "description");
    if (const toml::node* n = root.get("default_action"))
        p.default_action = rd.action_of(*n);
    else if (!base)
        throw ProfileError(file_name + ": missing key: default_action");
    if (const toml::node* n = root.get("bad_arch_action")) {
        p.bad_arch = rd.action_of(*n);
        if (p.bad_arch.kind == ActionKind::allow)
            rd.fail(n, "bad_arch_action cannot allow", "allow");
    }
    if (const toml::node* rules = root.get("rule")) {
        const toml::array* list = rules->as_array();
        if (!list) rd.fail(rules, "rule must be an array of tables ([[rule]])", "rule");
        for (const toml::node& r : *list) p.rules.push_back(rd.rule_of(r));
    }
    if (base) p.rules.insert(p.rules.end(), base->rules.begin(), base->rules.end());
    return p;
}

// A regular file only (a FIFO would block the open or the read forever),
// read without blocking and capped (read_regular_file).
Profile load_profile_file(const std::string& path) {
    std::string text, why;
    switch (read_regular_file(path, kMaxProfileBytes, text, why)) {
    case ReadFileError::none:
        return parse_profile_toml(text, path);
    case ReadFileError::open:
        throw ProfileError(path + ": cannot open profile: " + why);
    case ReadFileError::not_regular:
        throw ProfileError(path + ": profile is " + why);
    case ReadFileError::too_large:
        throw ProfileError(path + ": profile too large (" + why + ", the limit is 16 MiB)");
    case ReadFileError::read:
        break;
    }
    throw ProfileError(path + ": cannot read profile: " + why);
}

Profile load_profile(const std::string& name_or_path) {
    if (auto p = builtin_profile(name_or_path)) return *p;
    const bool is_path =
        name_or_path.find('/') != std::string::npos ||
        (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".toml") == 0);
    if (is_path) return load_profile_file(name_or_path);
    throw ProfileError("unknown seccomp profile: " + name_or_path);
}

const char* to_string(CmpOp op) {
    switch (op) {
    case CmpOp::eq:
        return "eq";
    case CmpOp::ne:
        return "ne";
    case CmpOp::lt:
        return "lt";
    case CmpOp::le:
        return "le";
    case CmpOp::gt:
        return "gt";
    case CmpOp::ge:
        return "ge";
    case CmpOp::masked_eq:
        return "masked_eq";
    }
    return "?";
}

std::optional<CmpOp> parse_cmp_op(std::string_view name) {
    for (CmpOp op :
         {CmpOp::eq, CmpOp::ne, CmpOp::lt, CmpOp::le, CmpOp::gt, CmpOp::ge, CmpOp::masked_eq})
        if (name == to_string(op)) return op;
    return std::nullopt;
}

} // namespace burrow::seccomp
