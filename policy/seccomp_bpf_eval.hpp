// Moved to runtime/ (the monitor evaluates programs for the denial log).
#pragma once
#include "runtime/seccomp_bpf_eval.hpp"
