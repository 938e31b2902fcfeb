#include "launcher/container/spec.hpp"

#include <stdexcept>

namespace burrow::container {

namespace {

void put(std::string& out, const std::string& s) {
    if (s.find('\0') != std::string::npos)
        throw std::runtime_error("container spec: a string contains a NUL byte");
    out += s;
    out += '\0';
}

unsigned long long to_number(const std::string& s, const char* what) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 12)
        throw std::runtime_error(std::string("container spec: bad ") + what + " '" + s + "'");
    return std::stoull(s);
}

} // namespace

std::string encode_spec(const ExecSpec& s) {
    std::string out;
    put(out, "uid"), put(out, std::to_string(s.uid));
    put(out, "gid"), put(out, std::to_string(s.gid));
    put(out, "cwd"), put(out, s.cwd);
    put(out, "interactive"), put(out, s.interactive ? "1" : "0");
    put(out, "status"), put(out, s.status_path);
    if (!s.net_ready_path.empty()) put(out, "net-ready"), put(out, s.net_ready_path);
    if (!s.stdio_socket.empty()) put(out, "stdio"), put(out, s.stdio_socket);
    if (s.booted) put(out, "booted"), put(out, "1");
    for (const auto& e : s.env) put(out, "env"), put(out, e);
    for (const auto& c : s.chowns) put(out, "chown"), put(out, c.top), put(out, c.path);
    for (const auto& d : s.dirs)
        put(out, "dir"), put(out, d.path), put(out, std::to_string(d.mode));
    for (const auto& c : s.copies)
        put(out, "copy"), put(out, c.from), put(out, c.to), put(out, std::to_string(c.mode));
    for (const auto& a : s.argv) put(out, "arg"), put(out, a);
    return out;
}

ExecSpec decode_spec(const std::string& data) {
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos < data.size()) {
        size_t nul = data.find('\0', pos);
        if (nul == std::string::npos) throw std::runtime_error("container spec: truncated");
        f.emplace_back(data, pos, nul - pos);
        pos = nul + 1;
    }
    ExecSpec s;
    size_t i = 0;
    auto next = [&]() -> const std::string& {
        if (i >= f.size()) throw std::runtime_error("container spec: truncated record");
        return f[i++];
    };
    while (i < f.size()) {
        const std::string tag = next();
        if (tag == "uid")
            s.uid = static_cast<uid_t>(to_number(next(), "uid"));
        else if (tag == "gid")
            s.gid = static_cast<gid_t>(to_number(next(), "gid"));
        else if (tag == "cwd")
            s.cwd = next();
        else if (tag == "interactive")
            s.interactive = next() == "1";
        else if (tag == "status")
            s.status_path = next();
        else if (tag == "net-ready")
            s.net_ready_path = next();
        else if (tag == "booted")
            s.booted = next() == "1";
        else if (tag == "stdio")
            s.stdio_socket = next();
        else if (tag == "env")
            s.env.push_back(next());
        else if (tag == "chown") {
            ExecSpec::Chown c;
            c.top = next();
            c.path = next();
            s.chowns.push_back(c);
        } else if (tag == "dir") {
            ExecSpec::Dir d;
            d.path = next();
            d.mode = static_cast<uint32_t>(to_number(next(), "mode"));
            s.dirs.push_back(d);
        } else if (tag == "copy") {
            ExecSpec::Copy c;
            c.from = next();
            c.to = next();
            c.mode = static_cast<uint32_t>(to_number(next(), "mode"));
            s.copies.push_back(c);
        } else if (tag == "arg")
            s.argv.push_back(next());
        else
            throw std::runtime_error("container spec: unknown record '" + tag + "'");
    }
    if (s.argv.empty()) throw std::runtime_error("container spec: no command");
    return s;
}

} // namespace burrow::container
