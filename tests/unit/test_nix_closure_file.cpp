// Closure files (policy/nix/closure_file): closureInfo store-paths and
// exportReferencesGraph text, and their errors with file:line.
#define BOOST_TEST_MODULE nix_closure_file
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "policy/nix/closure.hpp"
#include "policy/nix/closure_file.hpp"

using namespace burrow::nix;
using V = std::vector<std::string>;

namespace {
const std::string S = "/nix/store";
const std::string A = S + "/aaaa-app", L = S + "/llll-lib", D = S + "/dddd-data";

std::string error_of(const std::string& text) {
    try {
        parse_closure_text(text, "F", S);
    } catch (const NixError& e) {
        return e.what();
    }
    return "(no error)";
}
} // namespace

BOOST_AUTO_TEST_CASE(store_entries) {
    BOOST_TEST(is_store_entry(A, S));
    BOOST_TEST(!is_store_entry(S, S));
    BOOST_TEST(!is_store_entry(S + "/", S));
    BOOST_TEST(!is_store_entry(A + "/bin", S));
    BOOST_TEST(!is_store_entry("/nix/storex/a", S));
    BOOST_TEST(!is_store_entry(S + "/..", S));
    BOOST_TEST(!is_store_entry(S + "/.", S));
    BOOST_TEST(!is_store_entry("nix/store/a", S));
    BOOST_TEST(is_store_entry("/gnu/store/x", "/gnu/store"));
}

BOOST_AUTO_TEST_CASE(store_paths_format) {
    BOOST_TEST(parse_closure_text(A + "\n" + L + "\n" + D + "\n", "F", S) == (V{A, L, D}));
    BOOST_TEST(parse_closure_text(A + "\n\n" + L, "F", S) == (V{A, L})); // no final newline
    BOOST_TEST(parse_closure_text("", "F", S).empty());
    BOOST_TEST(error_of(A + "\n/etc/passwd\n") ==
               "F:2: not a store path in /nix/store: /etc/passwd");
    BOOST_TEST(error_of(A + "/bin/app\n") ==
               "F:1: not a store path in /nix/store: /nix/store/aaaa-app/bin/app");
    BOOST_TEST(error_of(" " + A + "\n") == "F:1: not a store path in /nix/store:  " + A);
}

BOOST_AUTO_TEST_CASE(references_graph_format) {
    // As Nix writes it: path, deriver, count, references; blocks back to back.
    const std::string g = A + "\n" + S + "/xxxx-app.drv\n2\n" + A + "\n" + L + "\n" + L +
                          "\n\n1\n" + D + "\n" + D + "\n\n0\n";
    BOOST_TEST(parse_closure_text(g, "F", S) == (V{A, A, L, L, D, D}));
    // Without the final newline (Nix's own output ends so).
    BOOST_TEST(parse_closure_text(D + "\n\n0", "F", S) == (V{D}));
}

BOOST_AUTO_TEST_CASE(references_graph_errors) {
    BOOST_TEST(error_of(A + "\n\n3\n" + L + "\n") == "F:3: 3 references announced, 1 lines left");
    BOOST_TEST(error_of(A + "\n\n1\n" + L + "\n" + D + "\n\n") ==
               "F:5: truncated exportReferencesGraph block (path, deriver, count, references "
               "expected)");
    BOOST_TEST(error_of(A + "\n/etc/x.drv\n0\n") ==
               "F:2: not a store path in /nix/store: /etc/x.drv");
    BOOST_TEST(error_of(A + "\n\n1\n/tmp/x\n") == "F:4: not a store path in /nix/store: /tmp/x");
}

BOOST_AUTO_TEST_CASE(files_and_closure_info_directories) {
    char tmpl[] = "/tmp/burrow-closure-file-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    std::ofstream(dir + "/store-paths") << A << "\n" << L << "\n";
    BOOST_TEST(read_closure_file(dir + "/store-paths", S) == (V{A, L}));
    BOOST_TEST(read_closure_file(dir, S) == (V{A, L})); // closureInfo's output directory
    try {
        read_closure_file(dir + "/nope", S);
        BOOST_FAIL("no error");
    } catch (const NixError& e) {
        BOOST_TEST(std::string(e.what()) ==
                   dir + "/nope: cannot open closure file: No such file or directory");
    }
    ::unlink((dir + "/store-paths").c_str());
    try {
        read_closure_file(dir, S);
        BOOST_FAIL("no error");
    } catch (const NixError& e) {
        BOOST_TEST(std::string(e.what()) ==
                   dir + "/store-paths: cannot open closure file: No such file or directory");
    }
    ::rmdir(dir.c_str());
}

BOOST_AUTO_TEST_CASE(random_and_mutated_input_is_parsed_or_refused) {
    // Whatever the bytes, the parser returns store entries or throws
    // NixError; it never crashes, loops or accepts a non-entry.
    const std::string graph =
        A + "\n\n2\n" + A + "\n" + L + "\n" + L + "\n\n1\n" + D + "\n" + D + "\n\n0\n";
    const std::string alphabet = std::string("/nix/store-0123456789\n\n\n") + '\0';
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    auto next = [&] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        if (round % 2) {
            text = graph;
            for (int k = 0; k < 3; ++k)
                text[next() % text.size()] = alphabet[next() % alphabet.size()];
        } else {
            const size_t n = next() % 200;
            for (size_t k = 0; k < n; ++k) text += alphabet[next() % alphabet.size()];
        }
        try {
            for (const auto& p : parse_closure_text(text, "F", S))
                BOOST_REQUIRE_MESSAGE(is_store_entry(p, S), "accepted " << p);
        } catch (const NixError&) {
        }
    }
}
