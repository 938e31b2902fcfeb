// Status documents (runtime/status): bwrap's --info-fd and --json-status-fd
// text byte for byte, burrow's additions, and json_quote's escapes. Every
// document is also parsed back with nlohmann::json, so "valid JSON" is
// checked by a real parser, not by eye.
#define BOOST_TEST_MODULE runtime_status_json
#include <fcntl.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "runtime/status.hpp"

namespace status = burrow::status;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(json_quote_escapes) {
    BOOST_TEST(status::json_quote("") == "\"\"");
    BOOST_TEST(status::json_quote("plain text") == "\"plain text\"");
    BOOST_TEST(status::json_quote("a\"b") == "\"a\\\"b\"");
    BOOST_TEST(status::json_quote("back\\slash") == "\"back\\\\slash\"");
    // Every control character as \u00XX (lower-case hex), nothing shorter.
    BOOST_TEST(status::json_quote("\n\t\r") == "\"\\u000a\\u0009\\u000d\"");
    BOOST_TEST(status::json_quote(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
    BOOST_TEST(status::json_quote(std::string("a\0b", 3)) == "\"a\\u0000b\"");
    // DEL, "/" and UTF-8 pass through as they are.
    BOOST_TEST(status::json_quote("\x7f/") == "\"\x7f/\"");
    BOOST_TEST(status::json_quote("caf\xc3\xa9 \xe2\x9c\x93") == "\"caf\xc3\xa9 \xe2\x9c\x93\"");
}

BOOST_AUTO_TEST_CASE(json_quote_round_trips_every_ascii_byte) {
    std::string all;
    for (int c = 0; c < 0x80; ++c) all += static_cast<char>(c);
    const std::string quoted = status::json_quote(all);
    BOOST_TEST(json::parse(quoted).get<std::string>() == all);
    // A path with a quote, a backslash and a newline in it.
    const std::string path = "/tmp/we\"ird\\dir\nname";
    BOOST_TEST(json::parse(status::json_quote(path)).get<std::string>() == path);
}

BOOST_AUTO_TEST_CASE(string_array) {
    BOOST_TEST(status::json_string_array({}) == "[]");
    BOOST_TEST(status::json_string_array({"a"}) == "[\"a\"]");
    BOOST_TEST(status::json_string_array({"a", "b\"c", ""}) == "[\"a\", \"b\\\"c\", \"\"]");
    BOOST_TEST(json::parse(status::json_string_array({"x\n", "y"})) == json({"x\n", "y"}));
}

BOOST_AUTO_TEST_CASE(info_document_is_bwraps) {
    const status::NamespaceIds ids{{"cgroup", 4026531835ULL}, {"ipc", 1}, {"mnt", 2}};
    const std::string doc = status::info_document(42, ids);
    BOOST_TEST(doc == "{\n    \"child-pid\": 42,\n    \"cgroup-namespace\": 4026531835,\n"
                      "    \"ipc-namespace\": 1,\n    \"mnt-namespace\": 2\n}\n");
    const json j = json::parse(doc);
    BOOST_TEST(j["child-pid"] == 42);
    BOOST_TEST(j["cgroup-namespace"] == 4026531835ULL);
    // No namespace ids at all: the pid alone.
    BOOST_TEST(status::info_document(7, {}) == "{\n    \"child-pid\": 7\n}\n");
}

BOOST_AUTO_TEST_CASE(json_status_start_and_extra_members) {
    const status::NamespaceIds ids{{"mnt", 3}, {"pid", 18446744073709551615ULL}};
    BOOST_TEST(status::json_status_start(9, ids) ==
               "{ \"child-pid\": 9, \"mnt-namespace\": 3, \"pid-namespace\": "
               "18446744073709551615 }\n");
    const std::string with = status::json_status_start(9, {{"mnt", 3}}, ", \"cgroup\": \"/x\"");
    BOOST_TEST(with == "{ \"child-pid\": 9, \"mnt-namespace\": 3, \"cgroup\": \"/x\" }\n");
    BOOST_TEST(json::parse(with)["cgroup"] == "/x");
}

BOOST_AUTO_TEST_CASE(exit_documents) {
    BOOST_TEST(status::json_status_exit(0) == "{ \"exit-code\": 0 }\n");
    BOOST_TEST(status::json_status_exit(3, 0) == "{ \"exit-code\": 3 }\n");
    BOOST_TEST(status::json_status_exit(137, 9) == "{ \"exit-code\": 137, \"exit-signal\": 9 }\n");
    BOOST_TEST(json::parse(status::json_status_exit(137, 9))["exit-signal"] == 9);
}

BOOST_AUTO_TEST_CASE(setup_failed_documents) {
    BOOST_TEST(status::json_status_setup_failed("pivot-root", 2, "No such file", 0) ==
               "{ \"setup-failed\": true, \"stage\": \"pivot-root\", \"errno\": 2, "
               "\"message\": \"No such file\" }\n");
    // Killed during setup: the signal instead of an errno.
    BOOST_TEST(status::json_status_setup_failed("fs-op", 0, "killed", 9) ==
               "{ \"setup-failed\": true, \"stage\": \"fs-op\", \"signal\": 9, "
               "\"message\": \"killed\" }\n");
    // A message quoting a hostile path stays one valid document.
    const std::string msg = "Can't mkdir /tmp/a\"b\\c\nd: Permission denied";
    const json j = json::parse(status::json_status_setup_failed("fs-op", 13, msg, 0));
    BOOST_TEST(j["message"] == msg);
    BOOST_TEST(j["errno"] == 13);
    BOOST_TEST(j["setup-failed"] == true);
}

BOOST_AUTO_TEST_CASE(write_document_writes_everything_and_tolerates_a_gone_reader) {
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    status::write_document(p[1], "{ \"exit-code\": 0 }\n", true);
    ::close(p[1]);
    char buf[64];
    const ssize_t n = ::read(p[0], buf, sizeof buf);
    ::close(p[0]);
    BOOST_TEST(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "{ \"exit-code\": 0 }\n");
    // Not required: a closed fd is ignored (the reader may be gone at the end).
    BOOST_CHECK_NO_THROW(status::write_document(-1, "x", false));
}
