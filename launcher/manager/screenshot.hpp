// Screenshots of a sandbox's display: Xvfb keeps its screen as an XWD file
// (-fbdir), a VM's QEMU writes a PPM (launcher/manager/qmp.hpp); each
// becomes a PNG here (zlib for the compression; nothing else of an image
// library is needed for one RGB image).
#pragma once

#include <string>

namespace burrow::manager {

// The XWD image in xwd (a TrueColor ZPixmap of 24 or 32 bits per pixel,
// as Xvfb writes) as a PNG. Throws std::runtime_error on anything else.
std::string xwd_to_png(const std::string& xwd);

// A binary PPM (P6, 8 bits a channel, as QEMU's screendump writes) as a
// PNG. Throws std::runtime_error on anything else.
std::string ppm_to_png(const std::string& ppm);

// The X authority file entry (FamilyWild: any host) for display `number`
// with an MIT-MAGIC-COOKIE-1 of 16 bytes.
std::string xauth_entry(const std::string& number, const std::string& cookie);

} // namespace burrow::manager
