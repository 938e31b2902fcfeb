#pragma once
namespace burrow {
// burrow running as bwrap: argv[0] is the name used in messages; args after it.
int bwrap_main(int argc, char** argv, int first_arg);
} // namespace burrow
