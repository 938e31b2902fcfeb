#include "runtime/seccomp_bpf_eval.hpp"

#include <cstring>

namespace burrow::seccomp {

uint32_t run_bpf(std::span<const sock_filter> prog, const seccomp_data& data) {
    uint32_t a = 0, x = 0;
    uint32_t mem[BPF_MEMWORDS] = {};
    unsigned char raw[sizeof(seccomp_data)];
    std::memcpy(raw, &data, sizeof raw);
    std::size_t pc = 0;
    while (pc < prog.size()) {
        const sock_filter& in = prog[pc++];
        const uint32_t k = in.k;
        switch (BPF_CLASS(in.code)) {
        case BPF_LD:
            if (BPF_MODE(in.code) == BPF_ABS && BPF_SIZE(in.code) == BPF_W) {
                if (k % 4 != 0 || k + 4 > sizeof raw) return SECCOMP_RET_KILL_PROCESS;
                std::memcpy(&a, raw + k, 4);
            } else if (BPF_MODE(in.code) == BPF_IMM) {
                a = k;
            } else if (BPF_MODE(in.code) == BPF_MEM && k < BPF_MEMWORDS) {
                a = mem[k];
            } else if (BPF_MODE(in.code) == BPF_LEN) {
                a = sizeof(seccomp_data);
            } else {
                return SECCOMP_RET_KILL_PROCESS;
            }
            break;
        case BPF_LDX:
            if (BPF_MODE(in.code) == BPF_IMM)
                x = k;
            else if (BPF_MODE(in.code) == BPF_MEM && k < BPF_MEMWORDS)
                x = mem[k];
            else if (BPF_MODE(in.code) == BPF_LEN)
                x = sizeof(seccomp_data);
            else
                return SECCOMP_RET_KILL_PROCESS;
            break;
        case BPF_ST:
            if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
            mem[k] = a;
            break;
        case BPF_STX:
            if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
            mem[k] = x;
            break;
        case BPF_ALU: {
            const uint32_t src = BPF_SRC(in.code) == BPF_X ? x : k;
            switch (BPF_OP(in.code)) {
            case BPF_ADD:
                a += src;
                break;
            case BPF_SUB:
                a -= src;
                break;
            case BPF_MUL:
                a *= src;
                break;
            case BPF_DIV:
                if (src == 0) return SECCOMP_RET_KILL_PROCESS;
                a /= src;
                break;
            case BPF_MOD:
                if (src == 0) return SECCOMP_RET_KILL_PROCESS;
                a %= src;
                break;
            case BPF_AND:
                a &= src;
                break;
            case BPF_OR:
                a |= src;
                break;
            case BPF_XOR:
                a ^= src;
                break;
            case BPF_LSH:
                a = src < 32 ? a << src : 0;
                break;
            case BPF_RSH:
                a = src < 32 ? a >> src : 0;
                break;
            case BPF_NEG:
                a = -a;
                break;
            default:
                return SECCOMP_RET_KILL_PROCESS;
            }
            break;
        }
        case BPF_JMP: {
            if (BPF_OP(in.code) == BPF_JA) {
                pc += k;
                break;
            }
            const uint32_t src = BPF_SRC(in.code) == BPF_X ? x : k;
            bool taken = false;
            switch (BPF_OP(in.code)) {
            case BPF_JEQ:
                taken = a == src;
                break;
            case BPF_JGT:
                taken = a > src;
                break;
            case BPF_JGE:
                taken = a >= src;
                break;
            case BPF_JSET:
                taken = (a & src) != 0;
                break;
            default:
                return SECCOMP_RET_KILL_PROCESS;
            }
            pc += taken ? in.jt : in.jf;
            break;
        }
        case BPF_RET:
            if (BPF_RVAL(in.code) == BPF_K) return k;
            if (BPF_RVAL(in.code) == BPF_A) return a;
            return SECCOMP_RET_KILL_PROCESS;
        case BPF_MISC:
            if (BPF_MISCOP(in.code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        default:
            return SECCOMP_RET_KILL_PROCESS;
        }
    }
    return SECCOMP_RET_KILL_PROCESS; // fell off the end
}

uint32_t run_stack(std::span<const std::vector<sock_filter>> progs, const seccomp_data& data) {
    uint32_t ret = SECCOMP_RET_ALLOW;
    // Newest first; a later (older) result replaces only if strictly more
    // restrictive, so ties keep the newest filter's data (kernel/seccomp.c).
    for (auto it = progs.rbegin(); it != progs.rend(); ++it) {
        const uint32_t cur = run_bpf(*it, data);
        const auto rank = [](uint32_t r) {
            return static_cast<int32_t>(r & SECCOMP_RET_ACTION_FULL);
        };
        if (it == progs.rbegin() || rank(cur) < rank(ret)) ret = cur;
    }
    return ret;
}

} // namespace burrow::seccomp
