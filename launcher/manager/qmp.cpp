#include "launcher/manager/qmp.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::manager {
namespace {

constexpr size_t kMaxLine = 65536;

class Qmp {
  public:
    explicit Qmp(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (!fd_) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (path.size() >= sizeof a.sun_path)
            throw std::runtime_error(path + ": path too long for a unix socket");
        std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
        const timeval t{2, 0};
        if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t) != 0 ||
            ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t) != 0)
            throw std::runtime_error(std::string("setsockopt: ") + std::strerror(errno));
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error(path + ": " + std::strerror(errno));
        const nlohmann::json greeting = next();
        if (!greeting.contains("QMP")) throw std::runtime_error(path + ": not a QMP greeting");
        call({{"execute", "qmp_capabilities"}});
    }

    // One command; its "return", or its "error" as an exception. Events
    // that arrive in between are skipped.
    nlohmann::json call(const nlohmann::json& command) {
        if (const int err = write_all(fd_.get(), command.dump() + "\n"))
            throw std::runtime_error(std::string("QMP write: ") + std::strerror(err));
        for (;;) {
            nlohmann::json reply = next();
            if (reply.contains("return")) return reply["return"];
            if (reply.contains("error")) {
                const auto& e = reply["error"];
                throw std::runtime_error("QMP: " + (e.contains("desc") && e["desc"].is_string()
                                                        ? e["desc"].get<std::string>()
                                                        : std::string("error")));
            }
        }
    }

  private:
    nlohmann::json next() {
        for (;;) {
            const size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
                if (!j.is_object()) throw std::runtime_error("QMP: not a JSON object");
                return j;
            }
            if (buf_.size() > kMaxLine) throw std::runtime_error("QMP: line over 64 KiB");
            char b[4096];
            const ssize_t n = ::read(fd_.get(), b, sizeof b);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                throw std::runtime_error("QMP: no answer in 2 s");
            if (n <= 0) throw std::runtime_error("QMP: connection closed");
            buf_.append(b, size_t(n));
        }
    }

    Fd fd_;
    std::string buf_;
};

} // namespace

void qmp_screendump(const std::string& socket, const std::string& file) {
    Qmp q(socket);
    q.call({{"execute", "screendump"}, {"arguments", {{"filename", file}}}});
}

} // namespace burrow::manager
