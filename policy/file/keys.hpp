// Building blocks of the schema table's key operations (schema.hpp): the
// decoding context, what to-bwrap builds, and generic operations for plain
// fields, so that a simple key's entry names its Policy member and nothing
// else. Used by policy/file/keys/*.cpp only.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/file/node.hpp"
#include "policy/file/policy.hpp"
#include "policy/file/schema.hpp"
#include "policy/file/to_bwrap.hpp"

namespace burrow::policy {

// Value syntax and ${variable} substitution; every error points at the value
// that caused it.
class Decode {
  public:
    explicit Decode(const Vars& vars) : vars_(vars) {}

    [[noreturn]] static void fail(const Node& at, const std::string& why);
    // ${NAME} replaced from the variables, "$$" is one '$'.
    std::string subst(const Node& n) const;
    // Host or sandbox path: absolute, no NUL, no ".." component (a policy
    // never needs one, and it is how a path escapes the tree it names).
    std::string path(const Node& n, std::string_view key) const;
    std::vector<std::string> strings(const Node& n) const; // each substituted
    static uint64_t size(const Node& n, std::string_view key);
    static uint64_t duration_ms(const Node& n, std::string_view key);
    static uint32_t mode(const Node& n, std::string_view key);

  private:
    const Vars& vars_;
};

// What policy_to_bwrap collects while it walks the table.
struct BwrapOut {
    BwrapPlan& plan;
    const std::vector<std::string>& host_env;
    const std::function<int(const std::string&)>& data_fd;

    void add(std::initializer_list<std::string> args) { plan.args.insert(plan.args.end(), args); }
    // Said once, however many keys it covers (limits.nofile, limits.nproc...).
    void cannot(const std::string& what);
};

// The sections of the table, in the order `policy schema`, `policy show`
// and every walk follow (schema.cpp joins them).
std::span<const KeyDoc> top_level_keys();
std::span<const KeyDoc> namespaces_keys();
std::span<const KeyDoc> fs_keys();
std::span<const KeyDoc> env_keys();
std::span<const KeyDoc> capabilities_keys();
std::span<const KeyDoc> seccomp_keys();
std::span<const KeyDoc> landlock_keys();
std::span<const KeyDoc> limits_keys();
std::span<const KeyDoc> process_keys();
std::span<const KeyDoc> status_keys();
std::span<const KeyDoc> nix_keys();

// Strings that decoding passed through ${...} substitution are shown with
// every '$' doubled ("$$" reads back as one '$'), so that show -> parse
// gives the same policy even when a value holds "${" after substitution.
std::string lit(const std::string& s);
std::vector<std::string> lit(const std::vector<std::string>& v);

namespace key {

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};

// The field a member pointer names, for `if constexpr` on its type.
template <auto M> using field_t = std::remove_cvref_t<decltype(std::declval<Policy&>().*M)>;

// ---- decode: the value as the field's type wants it ----
template <auto M> void boolean(const Decode&, const Node& n, Policy& p, std::string_view) {
    p.*M = n.boolean;
}
// Kept as written: no ${...} (description, cpu_max).
template <auto M> void verbatim(const Decode&, const Node& n, Policy& p, std::string_view) {
    p.*M = n.str;
}
template <auto M> void text(const Decode& d, const Node& n, Policy& p, std::string_view) {
    p.*M = d.subst(n);
}
template <auto M> void path(const Decode& d, const Node& n, Policy& p, std::string_view k) {
    p.*M = d.path(n, k);
}
template <auto M> void texts(const Decode& d, const Node& n, Policy& p, std::string_view) {
    p.*M = d.strings(n);
}
template <auto M> void size(const Decode&, const Node& n, Policy& p, std::string_view k) {
    p.*M = Decode::size(n, k);
}
template <auto M> void duration(const Decode&, const Node& n, Policy& p, std::string_view k) {
    p.*M = Decode::duration_ms(n, k);
}

// ---- show ----
// The value as it is; an optional only when set. `Lit`: the value went
// through ${...} and is written with '$' doubled.
template <auto M, bool Lit = false> void show(const Policy& p, Json& t, std::string_view leaf) {
    const auto& v = p.*M;
    auto put = [&](const auto& x) {
        if constexpr (Lit)
            t[std::string(leaf)] = lit(x);
        else
            t[std::string(leaf)] = x;
    };
    if constexpr (is_optional<field_t<M>>::value) {
        if (v) put(*v);
    } else {
        put(v);
    }
}
template <auto M> void show_lit(const Policy& p, Json& t, std::string_view leaf) {
    show<M, true>(p, t, leaf);
}

// ---- to-bwrap ----
// A boolean field that is one bwrap option when true.
template <auto M, const char* Option> void option_if(const Policy& p, BwrapOut& o) {
    if (p.*M) o.add({Option});
}
// An optional field that is an option with its value when set.
template <auto M, const char* Option> void option_with(const Policy& p, BwrapOut& o) {
    if (p.*M) o.add({Option, *(p.*M)});
}

// ---- layer: how a key the top layer wrote lands in the base ----
// The same as `extends` (merge_nodes on the trees: later values win, arrays
// append, tables merge key by key), except that the network and the
// namespaces may only get stricter. `replace` is not applied: it speaks of a
// file's own extends chain, and a launch layer must not drop the project
// sandbox's shares.

// Later wins (fields that go together, such as a value and its position).
template <auto... M> void later(Policy& b, const Policy& t, std::string_view) {
    ((b.*M = t.*M), ...);
}
// Arrays append.
template <auto M> void append(Policy& b, const Policy& t, std::string_view) {
    (b.*M).insert((b.*M).end(), (t.*M).begin(), (t.*M).end());
}
// A namespace a layer asks for is added; one it turns off stays.
template <auto M> void stricter(Policy& b, const Policy& t, std::string_view) {
    b.*M = b.*M || t.*M;
}
// Sections whose keys carry their own rules; keys of array items travel
// with their item; extends, replace and vars are spent when the file loads.
inline void section(Policy&, const Policy&, std::string_view) {}
inline void item(Policy&, const Policy&, std::string_view) {}
inline void consumed(Policy&, const Policy&, std::string_view) {}

} // namespace key
} // namespace burrow::policy
