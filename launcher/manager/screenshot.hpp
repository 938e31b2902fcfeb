// Screenshots of a sandbox's display: Xvfb keeps its screen as an XWD file
// (-fbdir), which becomes a PNG here (zlib for the compression; nothing
// else of an image library is needed for one RGB image).
#pragma once

#include <string>

namespace burrow::manager {

// The XWD image in xwd (a TrueColor ZPixmap of 24 or 32 bits per pixel,
// as Xvfb writes) as a PNG. Throws std::runtime_error on anything else.
std::string xwd_to_png(const std::string& xwd);

// The X authority file entry (FamilyWild: any host) for display `number`
// with an MIT-MAGIC-COOKIE-1 of 16 bytes.
std::string xauth_entry(const std::string& number, const std::string& cookie);

} // namespace burrow::manager
