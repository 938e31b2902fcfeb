// The supervisor: one small process per sandbox the manager creates,
// between the manager and `burrow launch`. It runs in a session of its own
// and so outlives a manager that stops or restarts; it copies the launch's
// output into the log (capped: a payload printing forever cannot fill the
// disk) and records the launch's pid and finally its wait status in the
// store (store.hpp), which is all a restarted manager needs.
#pragma once

#include <cstddef>

namespace burrow::manager {

inline constexpr const char* kSuperviseVerb = "__manager-supervise";
// A log stops growing here; one line in it says so.
inline constexpr std::size_t kLogCap = 64u << 20;
// The display of a graphical sandbox.
inline constexpr const char* kScreen = "1280x800x24";

// argv: burrow __manager-supervise STATE_DIR ID OPTIONS LAUNCHER [ARGS...];
// OPTIONS is "-", "display": an Xvfb of the sandbox's own first (its
// screen in STATE_DIR/displays/ID/, an authorisation cookie, never -ac),
// stopped after the launch, or "vm-display": a VM launched with --display
// (its screen is read through QMP), without the manager's DISPLAY.
// Returns the exit code of the supervisor itself (0 once it recorded the
// launch's end; 125 when it could not start it).
int supervise_main(int argc, char** argv);

} // namespace burrow::manager
