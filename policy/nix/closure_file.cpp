#include "policy/nix/closure_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "policy/nix/closure.hpp"
#include "runtime/io.hpp"
#include "runtime/fd.hpp"

namespace burrow::nix {

namespace {

// A generous bound: a closure of 100,000 paths is about 8 MiB of text.
constexpr std::size_t kMaxClosureFile = std::size_t{64} << 20;

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

bool is_count(std::string_view s) {
    if (s.empty() || s.size() > 9) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

} // namespace

bool is_store_entry(std::string_view path, std::string_view store_dir) {
    if (path.size() <= store_dir.size() + 1 || path.substr(0, store_dir.size()) != store_dir ||
        path[store_dir.size()] != '/')
        return false;
    std::string_view name = path.substr(store_dir.size() + 1);
    return name.find('/') == std::string_view::npos && name != "." && name != "..";
}

std::vector<std::string> parse_closure_text(std::string_view text, const std::string& name,
                                            const std::string& store_dir) {
    const std::vector<std::string_view> lines = split_lines(text);
    std::vector<std::string> out;
    auto take = [&](size_t i) {
        if (!is_store_entry(lines[i], store_dir))
            throw NixError(name + ":" + std::to_string(i + 1) + ": not a store path in " +
                           store_dir + ": " + std::string(lines[i]));
        out.emplace_back(lines[i]);
    };
    const bool graph = lines.size() >= 3 && is_count(lines[2]);
    if (!graph) {
        for (size_t i = 0; i < lines.size(); ++i)
            if (!lines[i].empty()) take(i);
        return out;
    }
    size_t i = 0;
    while (i < lines.size()) {
        if (lines[i].empty() && i + 1 == lines.size()) break;
        take(i);
        if (i + 2 >= lines.size() || !is_count(lines[i + 2]))
            throw NixError(name + ":" + std::to_string(i + 1) +
                           ": truncated exportReferencesGraph block (path, deriver, count, "
                           "references expected)");
        // The deriver is a .drv path the sandbox does not need.
        if (!lines[i + 1].empty() && !is_store_entry(lines[i + 1], store_dir))
            throw NixError(name + ":" + std::to_string(i + 2) + ": not a store path in " +
                           store_dir + ": " + std::string(lines[i + 1]));
        const size_t n = std::stoul(std::string(lines[i + 2]));
        const size_t first = i + 3;
        if (first + n > lines.size())
            throw NixError(name + ":" + std::to_string(i + 3) + ": " + std::to_string(n) +
                           " references announced, " + std::to_string(lines.size() - first) +
                           " lines left");
        for (size_t k = first; k < first + n; ++k) take(k);
        i = first + n;
    }
    return out;
}

std::vector<std::string> read_closure_file(const std::string& path, const std::string& store_dir) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) throw NixError(path + ": cannot open closure file: " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
        throw NixError(path + ": cannot stat closure file: " + std::strerror(errno));
    std::string name = path;
    if (S_ISDIR(st.st_mode)) {
        // closureInfo's output directory: its store-paths file, relative to
        // the directory we opened (no second lookup of `path`).
        fd = Fd(::openat(fd.get(), "store-paths", O_RDONLY | O_CLOEXEC | O_NOCTTY));
        name = path + "/store-paths";
        if (!fd) throw NixError(name + ": cannot open closure file: " + std::strerror(errno));
    }
    std::string text;
    if (int err = read_fd_to_end(fd.get(), text, kMaxClosureFile))
        throw NixError(name + ": cannot read closure file: " + std::strerror(err));
    return parse_closure_text(text, name, store_dir);
}

} // namespace burrow::nix
