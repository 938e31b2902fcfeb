#include "policy/seccomp/argsets.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace burrow::seccomp {

namespace {

constexpr uint64_t all_bits = ~uint64_t{0};
constexpr uint64_t low32 = 0xffffffffULL;

[[noreturn]] void too_complex() {
    throw ProfileError("the rules for one system call need more than " + std::to_string(max_terms) +
                       " filter rules; simplify its conditions");
}

// The work budget of the current plan_profile() (WorkBudget), if any.
thread_local uint64_t* t_work_left = nullptr;

// Charges n elementary steps (cube or term comparisons) to the budget.
// Called before the quadratic loops, so an input that would take minutes
// fails in milliseconds instead of running them.
void charge(uint64_t n) {
    if (t_work_left == nullptr) return;
    if (n > *t_work_left)
        throw ProfileError("the rules for one system call are too complex to compile "
                           "(their argument conditions overlap in too many ways); "
                           "simplify its conditions");
    *t_work_left -= n;
}

// Splits [lo, hi] (values within `domain`, a mask of low bits) into aligned
// power-of-two blocks, each one cube fixing the block's high bits.
void add_interval(CubeSet& out, uint64_t lo, uint64_t hi, uint64_t domain) {
    while (true) {
        // Largest k with lo aligned to 2^k and lo + 2^k - 1 <= hi.
        unsigned k = lo == 0 ? 64 : static_cast<unsigned>(std::countr_zero(lo));
        while (k > 0) {
            const uint64_t span = k >= 64 ? all_bits : (uint64_t{1} << k) - 1;
            if (span <= hi - lo) break;
            --k;
        }
        const uint64_t span = k >= 64 ? all_bits : (uint64_t{1} << k) - 1;
        out.push_back(Cube{domain & ~span, lo & domain & ~span});
        if (hi - lo == span) return; // also covers span == all_bits
        lo += span + 1;
    }
}

// The domain (all 64 bits or the low 32) within which every cube of s is an
// aligned block, if there is one: then s is a union of intervals.
std::optional<uint64_t> interval_domain(const CubeSet& s) {
    for (uint64_t domain : {all_bits, low32}) {
        bool ok = true;
        for (const Cube& c : s) {
            const uint64_t free_low = domain & ~c.mask;
            if ((c.mask & ~domain) != 0 || (free_low & (free_low + 1)) != 0) {
                ok = false;
                break;
            }
        }
        if (ok) return domain;
    }
    return std::nullopt;
}

CubeSet complement_intervals(const CubeSet& s, uint64_t domain) {
    std::vector<std::pair<uint64_t, uint64_t>> iv;
    for (const Cube& c : s) iv.emplace_back(c.value, c.value | (domain & ~c.mask));
    std::sort(iv.begin(), iv.end());
    CubeSet out;
    uint64_t next = 0; // first value not yet covered
    bool done = false;
    for (auto [lo, hi] : iv) {
        if (done) break;
        if (lo > next) add_interval(out, next, lo - 1, domain);
        if (hi >= next) {
            if (hi == domain)
                done = true;
            else
                next = hi + 1;
        }
    }
    if (!done) add_interval(out, next, domain, domain);
    return out;
}

// Drops cubes inside others and merges pairs differing in one fixed bit.
void normalize(CubeSet& s) {
    bool changed = true;
    while (changed) {
        charge(uint64_t{s.size()} * s.size());
        changed = false;
        for (std::size_t i = 0; i < s.size() && !changed; ++i)
            for (std::size_t j = 0; j < s.size() && !changed; ++j) {
                if (i == j) continue;
                if (subset(s[i], s[j])) {
                    s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
                    changed = true;
                } else if (s[i].mask == s[j].mask && std::popcount(s[i].value ^ s[j].value) == 1) {
                    const uint64_t bit = s[i].value ^ s[j].value;
                    s[i] = Cube{s[i].mask & ~bit, s[i].value & ~bit};
                    s.erase(s.begin() + static_cast<std::ptrdiff_t>(j));
                    changed = true;
                }
            }
    }
}

bool term_subset(const Term& a, const Term& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!b[i]) continue;
        if (!a[i] || !subset(*a[i], *b[i])) return false;
    }
    return true;
}

void normalize(TermSet& s) {
    charge(uint64_t{s.size()} * s.size());
    for (std::size_t i = 0; i < s.size();) {
        bool dropped = false;
        for (std::size_t j = 0; j < s.size(); ++j) {
            if (i != j && term_subset(s[i], s[j]) && !(term_subset(s[j], s[i]) && j > i)) {
                s.erase(s.begin() + static_cast<std::ptrdiff_t>(i));
                dropped = true;
                break;
            }
        }
        if (!dropped) ++i;
    }
    if (s.size() > max_terms) too_complex();
}

// A cube with no fixed bits is no constraint at all.
std::optional<Cube> as_constraint(const Cube& c) {
    if (c.mask == 0) return std::nullopt;
    return c;
}

} // namespace

std::optional<Cube> intersect(const Cube& a, const Cube& b) {
    if (((a.value ^ b.value) & a.mask & b.mask) != 0) return std::nullopt;
    return Cube{a.mask | b.mask, a.value | b.value};
}

bool subset(const Cube& a, const Cube& b) {
    return (b.mask & ~a.mask) == 0 && ((a.value ^ b.value) & b.mask) == 0;
}

CubeSet values_of(const ArgCondition& c) {
    CubeSet out;
    switch (c.op) {
    case CmpOp::eq:
        out.push_back(Cube{all_bits, c.value});
        break;
    case CmpOp::ne:
        out = complement(CubeSet{Cube{all_bits, c.value}});
        break;
    case CmpOp::masked_eq:
        if ((c.value & ~c.mask) == 0) out.push_back(Cube{c.mask, c.value});
        break;
    case CmpOp::lt:
        if (c.value > 0) add_interval(out, 0, c.value - 1, all_bits);
        break;
    case CmpOp::le:
        add_interval(out, 0, c.value, all_bits);
        break;
    case CmpOp::gt:
        if (c.value < all_bits) add_interval(out, c.value + 1, all_bits, all_bits);
        break;
    case CmpOp::ge:
        add_interval(out, c.value, all_bits, all_bits);
        break;
    }
    normalize(out);
    return out;
}

CubeSet intersect(const CubeSet& a, const CubeSet& b) {
    charge(uint64_t{a.size()} * b.size());
    CubeSet out;
    for (const Cube& x : a)
        for (const Cube& y : b)
            if (auto c = intersect(x, y)) out.push_back(*c);
    normalize(out);
    if (out.size() > max_terms) too_complex();
    return out;
}

CubeSet complement(const CubeSet& s) {
    if (s.empty()) return CubeSet{Cube{}};
    if (auto domain = interval_domain(s)) return complement_intervals(s, *domain);
    CubeSet out{Cube{}};
    for (const Cube& c : s) {
        CubeSet not_c; // some fixed bit differs
        for (uint64_t m = c.mask; m != 0; m &= m - 1) {
            const uint64_t bit = m & -m;
            not_c.push_back(Cube{bit, ~c.value & bit});
        }
        out = intersect(out, not_c);
    }
    return out;
}

WorkBudget::WorkBudget(uint64_t steps) : left_(steps), outer_(t_work_left) {
    t_work_left = &left_;
}

WorkBudget::~WorkBudget() {
    t_work_left = outer_;
}

TermSet always() {
    return TermSet{Term{}};
}

TermSet terms_of(const std::vector<ArgCondition>& conds) {
    std::array<std::optional<CubeSet>, 6> per_arg;
    for (const ArgCondition& c : conds) {
        CubeSet v = values_of(c);
        per_arg.at(c.index) = per_arg[c.index] ? intersect(*per_arg[c.index], v) : v;
    }
    TermSet out = always();
    for (std::size_t i = 0; i < per_arg.size(); ++i) {
        if (!per_arg[i]) continue;
        TermSet next;
        for (const Term& t : out)
            for (const Cube& c : *per_arg[i]) {
                Term n = t;
                n[i] = as_constraint(c);
                next.push_back(n);
            }
        out = std::move(next);
        normalize(out);
    }
    return out;
}

TermSet intersect(const TermSet& a, const TermSet& b) {
    charge(uint64_t{a.size()} * b.size());
    TermSet out;
    for (const Term& x : a)
        for (const Term& y : b) {
            Term t;
            bool empty = false;
            for (std::size_t i = 0; i < t.size() && !empty; ++i) {
                if (x[i] && y[i]) {
                    auto c = intersect(*x[i], *y[i]);
                    if (!c)
                        empty = true;
                    else
                        t[i] = as_constraint(*c);
                } else {
                    t[i] = x[i] ? x[i] : y[i];
                }
            }
            if (!empty) out.push_back(t);
            if (out.size() > 4 * max_terms) normalize(out);
        }
    normalize(out);
    return out;
}

TermSet complement(const TermSet& s) {
    TermSet out = always();
    for (const Term& t : s) {
        TermSet not_t; // some constrained argument falls outside its cube
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (!t[i]) continue;
            for (const Cube& c : complement(CubeSet{*t[i]})) {
                Term n;
                n[i] = as_constraint(c);
                not_t.push_back(n);
            }
        }
        out = intersect(out, not_t);
        if (out.empty()) break;
    }
    return out;
}

} // namespace burrow::seccomp
