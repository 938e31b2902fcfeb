// The policy tree, the JSON reader and layering. JSON is read by a small
// recursive-descent reader instead of nlohmann-json because nlohmann does not
// report where a value was written, and every error must name line:column.
#include "policy/file/node.hpp"

#include <cmath>
#include <cstdlib>
#include <string>

#include "policy/file/schema.hpp"

namespace burrow::policy {

std::string Pos::str() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

PolicyError::PolicyError(const Pos& at, const std::string& problem)
    : std::runtime_error(at.str() + ": " + problem) {}

Node::Node() = default;
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;
Node::~Node() = default;

const Node* Node::get(std::string_view key) const {
    for (const auto& [k, v] : table)
        if (k == key) return &v;
    return nullptr;
}

Node* Node::get(std::string_view key) {
    for (auto& [k, v] : table)
        if (k == key) return &v;
    return nullptr;
}

Node& Node::set(const std::string& key, Node value) {
    if (Node* n = get(key)) return *n = std::move(value);
    table.emplace_back(key, std::move(value));
    return table.back().second;
}

const char* Node::kind_name(Kind k) {
    switch (k) {
    case Kind::table:
        return "a table";
    case Kind::array:
        return "an array";
    case Kind::string:
        return "a string";
    case Kind::integer:
        return "an integer";
    case Kind::boolean:
        return "a boolean";
    case Kind::floating:
        return "a float";
    }
    return "?";
}

namespace {

class JsonReader {
  public:
    JsonReader(std::string_view text, const std::string& file) : s_(text), file_(file) {}

    Node document() {
        skip_ws();
        Node n = value(0);
        skip_ws();
        if (i_ < s_.size()) fail("unexpected text after the JSON document");
        if (n.kind != Node::Kind::table) throw PolicyError(n.pos, "the policy must be an object");
        return n;
    }

  private:
    // Deep nesting is an attack on the stack, not a policy.
    static constexpr int kMaxDepth = 64;

    Pos here() const { return Pos{file_, line_, col_}; }
    [[noreturn]] void fail(const std::string& why) const { throw PolicyError(here(), why); }
    void advance() {
        if (s_[i_] == '\n') {
            ++line_;
            col_ = 1;
        } else if ((static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) {
            ++col_; // columns count characters, not UTF-8 continuation bytes
        }
        ++i_;
    }
    void skip_ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            advance();
    }
    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            advance();
            return true;
        }
        return false;
    }
    void expect(char c, const char* what) {
        skip_ws();
        if (!eat(c)) fail(std::string("expected ") + what);
    }

    Node value(int depth) {
        if (depth > kMaxDepth) fail("nested too deeply");
        skip_ws();
        if (i_ >= s_.size()) fail("unexpected end of JSON");
        Node n;
        n.pos = here();
        const char c = s_[i_];
        if (c == '{') {
            advance();
            n.kind = Node::Kind::table;
            skip_ws();
            if (eat('}')) return n;
            for (;;) {
                skip_ws();
                if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string key");
                const Pos kpos = here();
                std::string key = string_lit();
                if (n.get(key)) throw PolicyError(kpos, "duplicate key \"" + key + "\"");
                expect(':', "':'");
                Node v = value(depth + 1);
                n.table.emplace_back(std::move(key), std::move(v));
                skip_ws();
                if (eat(',')) continue;
                if (eat('}')) return n;
                fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            advance();
            n.kind = Node::Kind::array;
            skip_ws();
            if (eat(']')) return n;
            for (;;) {
                n.array.push_back(value(depth + 1));
                skip_ws();
                if (eat(',')) continue;
                if (eat(']')) return n;
                fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            n.kind = Node::Kind::string;
            n.str = string_lit();
            return n;
        }
        if (word("true")) {
            n.kind = Node::Kind::boolean;
            n.boolean = true;
            return n;
        }
        if (word("false")) {
            n.kind = Node::Kind::boolean;
            return n;
        }
        if (word("null"))
            throw PolicyError(n.pos, "null is not a policy value (leave the key out)");
        if (c == '-' || (c >= '0' && c <= '9')) return number(std::move(n));
        fail(std::string("unexpected character '") + c + "'");
    }

    bool word(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        for (std::size_t k = 0; k < w.size(); ++k) advance();
        return true;
    }

    Node number(Node n) {
        const std::size_t start = i_;
        bool is_float = false;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '.' || c == 'e' || c == 'E')
                is_float = true;
            else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
                break;
            advance();
        }
        const std::string text(s_.substr(start, i_ - start));
        char* end = nullptr;
        errno = 0;
        if (is_float) {
            n.kind = Node::Kind::floating;
            n.floating = std::strtod(text.c_str(), &end);
        } else {
            n.kind = Node::Kind::integer;
            n.integer = std::strtoll(text.c_str(), &end, 10);
        }
        if (end == nullptr || *end != '\0' || errno == ERANGE)
            throw PolicyError(n.pos, "bad number: " + text);
        return n;
    }

    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    unsigned hex4() {
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            if (i_ >= s_.size()) fail("bad \\u escape");
            const char c = s_[i_];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= unsigned(c - 'A' + 10);
            else
                fail("bad \\u escape");
            advance();
        }
        return v;
    }

    // One UTF-8 encoded character of a string, copied to out. JSON text is
    // UTF-8 (RFC 8259); anything else (stray bytes, overlong forms, UTF-16
    // surrogates, past U+10FFFF) is refused here rather than carried into
    // the policy, where `policy show` could not print it back.
    void utf8_char(std::string& out) {
        const auto b0 = static_cast<unsigned char>(s_[i_]);
        std::size_t len = 0;
        unsigned cp = 0, min = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2, cp = b0 & 0x1Fu, min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3, cp = b0 & 0x0Fu, min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4, cp = b0 & 0x07u, min = 0x10000;
        } else {
            fail("invalid UTF-8 in string");
        }
        if (i_ + len > s_.size()) fail("invalid UTF-8 in string");
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s_[i_ + k]);
            if ((b & 0xC0) != 0x80) fail("invalid UTF-8 in string");
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail("invalid UTF-8 in string");
        for (std::size_t k = 0; k < len; ++k) {
            out += s_[i_];
            advance();
        }
    }

    std::string string_lit() {
        advance(); // opening quote
        std::string out;
        for (;;) {
            if (i_ >= s_.size()) fail("unterminated string");
            const char c = s_[i_];
            if (c == '"') {
                advance();
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (static_cast<unsigned char>(c) >= 0x80) {
                utf8_char(out);
                continue;
            }
            if (c != '\\') {
                out += c;
                advance();
                continue;
            }
            advance();
            if (i_ >= s_.size()) fail("unterminated string");
            const char e = s_[i_];
            advance();
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00) {
                    if (!word("\\u")) fail("unpaired surrogate");
                    const unsigned lo = hex4();
                    if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail("unpaired surrogate");
                }
                put_utf8(out, cp);
                break;
            }
            default:
                fail(std::string("bad escape \\") + e);
            }
        }
    }

    std::string_view s_;
    const std::string& file_;
    std::size_t i_ = 0;
    unsigned line_ = 1, col_ = 1;
};

} // namespace

Node parse_json(std::string_view text, const std::string& file) {
    return JsonReader(text, file).document();
}

Node parse_document(std::string_view text, const std::string& file) {
    if (text.size() > kMaxPolicyBytes)
        throw PolicyError(Pos{file, 1, 1}, "policy is too large (" + std::to_string(text.size()) +
                                               " bytes, the limit is 1 MiB)");
    std::size_t first = text.find_first_not_of(" \t\r\n");
    const bool json = (file.size() > 5 && file.ends_with(".json")) ||
                      (first != std::string_view::npos && text[first] == '{');
    return json ? parse_json(text, file) : parse_toml(text, file);
}

void merge_nodes(Node& base, const Node& over, const std::vector<std::string>& replace,
                 const std::string& prefix) {
    for (const auto& [key, value] : over.table) {
        const std::string dotted = prefix.empty() ? key : prefix + "." + key;
        Node* mine = base.get(key);
        if (mine == nullptr || mine->kind != value.kind) {
            base.set(key, value);
        } else if (value.kind == Node::Kind::table) {
            merge_nodes(*mine, value, replace, dotted);
        } else if (value.kind == Node::Kind::array) {
            // A limit's [soft, hard] is one value, not a list to append to.
            const KeyDoc* doc = find_schema_key(dotted);
            bool repl = doc != nullptr && doc->type == KeyType::rlimit;
            for (const auto& r : replace) repl = repl || r == dotted;
            if (repl)
                *mine = value;
            else
                mine->array.insert(mine->array.end(), value.array.begin(), value.array.end());
        } else {
            *mine = value;
        }
    }
}

} // namespace burrow::policy
