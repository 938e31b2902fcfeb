// A parsed policy document as a small tree that remembers where every value
// was written, so each error names file:line:column. Built from TOML
// (toml++) or JSON (a position-tracking reader); decoding works on this tree
// only, so both syntaxes share one schema and one set of messages.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace burrow::policy {

struct Pos {
    std::string file; // as the user named it, or "<builtin NAME>", "--set"
    unsigned line = 0;
    unsigned column = 0;
    std::string str() const;
};

// One line: "<file>:<line>:<column>: <problem>". Exit 125 for the caller.
struct PolicyError : std::runtime_error {
    PolicyError(const Pos& at, const std::string& problem);
    explicit PolicyError(const std::string& whole) : std::runtime_error(whole) {}
};

struct Node {
    enum class Kind { table, array, string, integer, boolean, floating };
    Kind kind = Kind::table;
    Pos pos;
    std::string str;
    int64_t integer = 0;
    bool boolean = false;
    double floating = 0;
    // Tables keep the document order; keys are unique (readers reject dups).
    std::vector<std::pair<std::string, Node>> table;
    std::vector<Node> array;

    // Declared here, defined (as defaults) in policy_node.cpp where Node is
    // complete: clang with libstdc++'s C++20 constexpr vector instantiates
    // pair<string, Node> too early otherwise (the fuzz build uses clang).
    Node();
    Node(const Node&);
    Node(Node&&) noexcept;
    Node& operator=(const Node&);
    Node& operator=(Node&&) noexcept;
    ~Node();

    const Node* get(std::string_view key) const;
    Node* get(std::string_view key);
    Node& set(const std::string& key, Node value); // replaces or appends
    static const char* kind_name(Kind k);
};

// Policy documents larger than this are refused before parsing.
inline constexpr std::size_t kMaxPolicyBytes = std::size_t{1} << 20;

// Throw PolicyError at the position of the syntax error.
Node parse_toml(std::string_view text, const std::string& file);
Node parse_json(std::string_view text, const std::string& file);
// JSON when the name ends in ".json" or the text starts with '{'.
Node parse_document(std::string_view text, const std::string& file);

// Layers `over` onto `base`: tables merge key by key, scalars of `over` win,
// arrays append unless `replace` lists their dotted key ("fs", "env.set").
void merge_nodes(Node& base, const Node& over, const std::vector<std::string>& replace,
                 const std::string& prefix = "");

} // namespace burrow::policy
