// Screenshots of VM sandboxes: a VM launched with --display keeps QEMU's
// monitor socket, qmp.sock, in its launch dir beside the enter socket the
// registry names (launcher/vm/launch.cpp). QMP's `screendump` writes the
// guest's screen as a PPM file, which becomes a PNG in screenshot.cpp.
#pragma once

#include <string>

namespace burrow::manager {

// Asks the QEMU behind `socket` to write its screen to `file` (PPM). Every
// read and write is bounded (2 s, 64 KiB a line): a guest that took over
// its QEMU must not hold the manager. Throws std::runtime_error.
void qmp_screendump(const std::string& socket, const std::string& file);

} // namespace burrow::manager
