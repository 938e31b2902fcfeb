// Stub served as /static/xterm.js when the build had no vendored xterm.js
// (scripts/install-deps.sh puts it in BURROW_XTERM_DIR): window.Terminal
// stays undefined and the dashboard offers its line-mode terminal.
