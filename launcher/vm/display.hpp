// --display: where the guest's screen goes. A window needs a QEMU built with
// a window UI (GTK or SDL; on Debian a separate package, qemu-system-gui):
// asking for one QEMU lacks makes it exit at start, so the launch asks QEMU
// first (`-display help`) and otherwise serves the screen as VNC on a unix
// socket, saying so in one line.
#pragma once

#include <string>

namespace burrow::vm {

// "gtk" or "sdl" when `qemu -display help` lists it (and DISPLAY or
// WAYLAND_DISPLAY is set), else "" (why: the reason, for the stderr line).
std::string window_display(const std::string& qemu, std::string& why);

} // namespace burrow::vm
