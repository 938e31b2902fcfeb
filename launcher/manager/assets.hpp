// The dashboard's files (launcher/manager/assets/), compiled in by
// assets/embed.cmake: the daemon serves them from memory.
#pragma once

#include <string_view>

namespace burrow::manager {

struct Asset {
    std::string_view content_type;
    std::string_view data;
};

// The asset at the URL path ("/index.html", "/static/app.js" is
// "/app.js" under /static), or nullptr.
const Asset* find_asset(std::string_view path);

} // namespace burrow::manager
