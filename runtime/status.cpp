#include "runtime/status.hpp"

#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/io.hpp"

namespace burrow::status {

namespace {

std::string document(int child_pid, const NamespaceIds& ids, const char* open,
                     const char* separator, const char* close) {
    std::string text = open;
    text += "\"child-pid\": ";
    text += std::to_string(child_pid);
    for (const auto& [name, inode] : ids) {
        text += ',';
        text += separator;
        text += '"';
        text += name;
        text += "-namespace\": ";
        text += std::to_string(inode);
    }
    text += close;
    return text;
}

} // namespace

std::string info_document(int child_pid, const NamespaceIds& ids) {
    return document(child_pid, ids, "{\n    ", "\n    ", "\n}\n");
}

std::string json_status_start(int child_pid, const NamespaceIds& ids, const std::string& extra) {
    return document(child_pid, ids, "{ ", " ", (extra + " }\n").c_str());
}

std::string json_quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + json_quote(items[i]);
    return out + "]";
}

std::string json_status_exit(int exit_code, int signal) {
    std::string doc = "{ \"exit-code\": " + std::to_string(exit_code);
    if (signal > 0) doc += ", \"exit-signal\": " + std::to_string(signal);
    return doc + " }\n";
}

std::string json_status_setup_failed(const std::string& stage, int err, const std::string& message,
                                     int signal) {
    std::string doc = "{ \"setup-failed\": true, \"stage\": " + json_quote(stage);
    if (signal > 0)
        doc += ", \"signal\": " + std::to_string(signal);
    else
        doc += ", \"errno\": " + std::to_string(err);
    return doc + ", \"message\": " + json_quote(message) + " }\n";
}

void write_document(int fd, const std::string& text, bool required) {
    const int err = write_all(fd, text);
    if (err && required) fail_errno("Write to info_fd", err);
}

} // namespace burrow::status
