#include "launcher/manager/screenshot.hpp"

#include <zlib.h>

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace burrow::manager {
namespace {

uint32_t be32(const std::string& s, size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

void put32(std::string& out, uint32_t v) {
    out += static_cast<char>(v >> 24);
    out += static_cast<char>(v >> 16);
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v);
}

void chunk(std::string& png, const char* type, const std::string& data) {
    put32(png, static_cast<uint32_t>(data.size()));
    std::string body = std::string(type, 4) + data;
    png += body;
    put32(png, static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                             static_cast<uInt>(body.size()))));
}

int shift_of(uint32_t mask) {
    int s = 0;
    while (mask && !(mask & 1)) {
        mask >>= 1;
        ++s;
    }
    return s;
}

// raw: `height` rows, each a filter byte (0) and `width` RGB pixels.
std::string rows_to_png(uint32_t width, uint32_t height, const std::string& raw) {
    uLongf zlen = ::compressBound(static_cast<uLong>(raw.size()));
    std::string z(zlen, '\0');
    if (::compress2(reinterpret_cast<Bytef*>(z.data()), &zlen,
                    reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                    Z_BEST_SPEED) != Z_OK)
        throw std::runtime_error("zlib could not compress the image");
    z.resize(zlen);
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put32(ihdr, width);
    put32(ihdr, height);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5); // 8 bits, RGB, deflate, filter 0, no interlace
    chunk(png, "IHDR", ihdr);
    chunk(png, "IDAT", z);
    chunk(png, "IEND", "");
    return png;
}

} // namespace

std::string xwd_to_png(const std::string& xwd) {
    if (xwd.size() < 100) throw std::runtime_error("not an XWD image: too short");
    const uint32_t header_size = be32(xwd, 0), version = be32(xwd, 4), format = be32(xwd, 8);
    const uint32_t width = be32(xwd, 16), height = be32(xwd, 20), byte_order = be32(xwd, 28);
    const uint32_t bpp = be32(xwd, 44), bytes_per_line = be32(xwd, 48);
    const uint32_t red = be32(xwd, 56), green = be32(xwd, 60), blue = be32(xwd, 64);
    const uint32_t ncolors = be32(xwd, 76);
    if (version != 7 || format != 2 || (bpp != 32 && bpp != 24) || !width || !height ||
        width > 16384 || height > 16384 || header_size < 100)
        throw std::runtime_error("not a TrueColor XWD image of 24 or 32 bits per pixel");
    const uint64_t data_at = static_cast<uint64_t>(header_size) + 12ull * ncolors;
    if (bytes_per_line < width * (bpp / 8) ||
        data_at + static_cast<uint64_t>(bytes_per_line) * height > xwd.size())
        throw std::runtime_error("XWD image shorter than its header says");
    const int rs = shift_of(red), gs = shift_of(green), bs = shift_of(blue);
    const size_t px = bpp / 8;
    // Rows with PNG filter 0 (none), RGB.
    std::string raw;
    raw.reserve(static_cast<size_t>(height) * (1 + 3 * width));
    for (uint32_t y = 0; y < height; ++y) {
        raw += '\0';
        const size_t row = static_cast<size_t>(data_at) + static_cast<size_t>(y) * bytes_per_line;
        for (uint32_t x = 0; x < width; ++x) {
            uint32_t v = 0;
            for (size_t b = 0; b < px; ++b) {
                const uint32_t byte = static_cast<unsigned char>(xwd[row + x * px + b]);
                v |= byte_order == 0 ? byte << (8 * b) : byte << (8 * (px - 1 - b));
            }
            raw += static_cast<char>((v & red) >> rs);
            raw += static_cast<char>((v & green) >> gs);
            raw += static_cast<char>((v & blue) >> bs);
        }
    }
    return rows_to_png(width, height, raw);
}

std::string ppm_to_png(const std::string& ppm) {
    // P6 WIDTH HEIGHT MAXVAL, separated by whitespace (and # comments),
    // one whitespace byte, then the pixels: what QEMU's screendump writes.
    size_t at = 0;
    auto field = [&]() -> uint64_t {
        for (;;) {
            while (at < ppm.size() && std::isspace(static_cast<unsigned char>(ppm[at]))) ++at;
            if (at < ppm.size() && ppm[at] == '#') {
                while (at < ppm.size() && ppm[at] != '\n') ++at;
                continue;
            }
            break;
        }
        uint64_t v = 0;
        size_t digits = 0;
        while (at < ppm.size() && std::isdigit(static_cast<unsigned char>(ppm[at])) && digits < 9) {
            v = v * 10 + static_cast<uint64_t>(ppm[at++] - '0');
            ++digits;
        }
        if (!digits) throw std::runtime_error("not a PPM image: bad header");
        return v;
    };
    if (ppm.compare(0, 2, "P6") != 0) throw std::runtime_error("not a PPM (P6) image");
    at = 2;
    const uint64_t width = field(), height = field(), maxval = field();
    if (!width || !height || width > 16384 || height > 16384 || maxval != 255)
        throw std::runtime_error("not an 8-bit PPM image of at most 16384x16384");
    if (at >= ppm.size() || !std::isspace(static_cast<unsigned char>(ppm[at])))
        throw std::runtime_error("not a PPM image: bad header");
    ++at;
    if (ppm.size() - at < width * height * 3)
        throw std::runtime_error("PPM image shorter than its header says");
    std::string raw;
    raw.reserve(static_cast<size_t>(height * (1 + 3 * width)));
    for (uint64_t y = 0; y < height; ++y) {
        raw += '\0';
        raw.append(ppm, static_cast<size_t>(at + y * width * 3), static_cast<size_t>(width * 3));
    }
    return rows_to_png(static_cast<uint32_t>(width), static_cast<uint32_t>(height), raw);
}

std::string xauth_entry(const std::string& number, const std::string& cookie) {
    auto field = [](const std::string& s) {
        std::string f;
        f += static_cast<char>(s.size() >> 8);
        f += static_cast<char>(s.size() & 0xff);
        return f + s;
    };
    std::string e = "\xff\xff"; // FamilyWild
    e += field("");
    e += field(number);
    e += field("MIT-MAGIC-COOKIE-1");
    e += field(cookie);
    return e;
}

} // namespace burrow::manager
