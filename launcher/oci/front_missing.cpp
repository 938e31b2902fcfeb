// Built only while policy/oci (library burrow_oci) is absent from the tree:
// the contract's functions refuse every bundle, so `burrow oci` builds and
// says why it cannot run one. See launcher/oci/CMakeLists.txt.
#include "policy/oci/bundle.hpp"

namespace burrow::oci {

namespace {
[[noreturn]] void missing(const std::string& file) {
    throw ConfigError(file, "", "the OCI front end (policy/oci) is not built into this burrow");
}
} // namespace

Bundle load_bundle(const std::string& bundle_dir, const LoadOptions&) {
    missing(bundle_dir + "/config.json");
}

Bundle parse_config(std::string_view, const std::string& bundle_dir, const LoadOptions&) {
    missing(bundle_dir + "/config.json");
}

void apply_process(std::string_view, const std::string& file, Sandbox&, bool&) {
    missing(file);
}

} // namespace burrow::oci
