// Sets of argument values as unions of "cubes" (value patterns: the bits in
// mask must equal value, the others are free), and sets of whole calls as
// unions of terms (one cube per argument). libseccomp can express exactly one
// comparison per argument per rule and ORs its rules, so a term is one
// libseccomp rule and a set of terms is a list of rules; with complement and
// intersection here the compiler can give first-match profiles their exact
// meaning (a rule's region minus every earlier rule with another action).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "policy/seccomp/profile.hpp"

namespace burrow::seccomp {

struct Cube {
    uint64_t mask = 0;  // bits that are fixed
    uint64_t value = 0; // their values (value & ~mask == 0)
    friend bool operator==(const Cube&, const Cube&) = default;
};
using CubeSet = std::vector<Cube>; // union; empty = no value

// One term: a conjunction, one optional cube per argument (none = any value).
using Term = std::array<std::optional<Cube>, 6>;
using TermSet = std::vector<Term>; // union; empty = never; {Term{}} = always

std::optional<Cube> intersect(const Cube& a, const Cube& b);
bool subset(const Cube& a, const Cube& b); // a within b

// All values satisfying one comparison.
CubeSet values_of(const ArgCondition& c);
CubeSet intersect(const CubeSet& a, const CubeSet& b);
CubeSet complement(const CubeSet& s);

TermSet always();
// The calls satisfying all conditions (conjunction).
TermSet terms_of(const std::vector<ArgCondition>& conds);
TermSet intersect(const TermSet& a, const TermSet& b);
TermSet complement(const TermSet& s);

// Past this many terms a profile is refused as too complex to compile.
inline constexpr std::size_t max_terms = 2048;

// A bound on the work (cube and term comparisons) of the set operations
// while it is in scope on this thread: past it they throw ProfileError.
// The term limit alone does not bound time: intersecting two sets below it
// can take |a|*|b| steps and quadratic normalizations, minutes for a
// 20-line profile (found by tests/fuzz/fuzz_seccomp_profile).
// plan_profile() holds one for each profile. The default is about 15 times
// what the unit tests' stress profile needs (1.1 million steps), and a
// fraction of a second.
class WorkBudget {
  public:
    static constexpr uint64_t kDefaultSteps = uint64_t{1} << 24;
    explicit WorkBudget(uint64_t steps = kDefaultSteps);
    ~WorkBudget();
    WorkBudget(const WorkBudget&) = delete;
    WorkBudget& operator=(const WorkBudget&) = delete;

  private:
    uint64_t left_;
    uint64_t* outer_;
};

} // namespace burrow::seccomp
