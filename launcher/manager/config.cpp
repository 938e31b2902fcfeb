#include "launcher/manager/config.hpp"

#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "runtime/io.hpp"

namespace burrow::manager {
bool on_path(const std::string& name) {
    const char* path = ::getenv("PATH");
    std::string p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    p += ":/usr/sbin:/sbin";
    size_t start = 0;
    while (start <= p.size()) {
        const size_t end = p.find(':', start);
        const std::string dir = p.substr(start, end == std::string::npos ? end : end - start);
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return false;
}

const Backend* Config::find(const std::string& name) const {
    for (const auto& b : backends)
        if (b.name == name) return &b;
    return nullptr;
}

Config builtin_config(const std::string& self_exe) {
    Config c;
    for (const char* b : {"namespace", "container", "vm"}) {
        Backend be;
        be.name = be.backend = b;
        be.command = {self_exe, "launch", "--backend", b};
        if (be.name == "container") be.available = on_path("systemd-nspawn");
        if (be.name == "vm") be.available = on_path("qemu-system-x86_64");
        c.backends.push_back(std::move(be));
    }
    return c;
}

Config load_config(const std::string& path) {
    std::string text, why;
    if (read_regular_file(path, 1 << 20, text, why) != ReadFileError::none)
        throw std::runtime_error(path + ": " + why);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path + ": byte " + std::to_string(e.byte) + ": not JSON");
    }
    auto bad = [&](const std::string& what) { return std::runtime_error(path + ": " + what); };
    if (!j.is_object()) throw bad("not a JSON object");
    Config c;
    for (const auto& [k, v] : j.items()) {
        // The placeholder's field: ignored, so an old config still loads.
        if (k == "placeholder") continue;
        if (k != "backends") throw bad("unknown field \"" + k + "\"");
        if (!v.is_array()) throw bad("\"backends\" is not an array");
        for (const auto& b : v) {
            if (!b.is_object()) throw bad("a backend is not an object");
            Backend be;
            for (const auto& [bk, bv] : b.items()) {
                if (bk == "network") {
                    if (!bv.is_boolean()) throw bad("backend \"network\" is not a boolean");
                    be.network = bv.get<bool>();
                    continue;
                }
                if (!bv.is_string()) throw bad("backend \"" + bk + "\" is not a string");
                if (bk == "name")
                    be.name = bv.get<std::string>();
                else if (bk == "backend")
                    be.backend = bv.get<std::string>();
                else if (bk == "launcher")
                    be.command = {bv.get<std::string>()};
                else
                    throw bad("unknown backend field \"" + bk + "\"");
            }
            if (be.name.empty() || be.command.empty() || be.command[0].empty() ||
                be.command[0][0] != '/')
                throw bad("a backend needs a name and an absolute launcher path");
            if (c.find(be.name)) throw bad("backend \"" + be.name + "\" is named twice");
            be.available = ::access(be.command[0].c_str(), X_OK) == 0;
            c.backends.push_back(std::move(be));
        }
    }
    return c;
}

} // namespace burrow::manager
