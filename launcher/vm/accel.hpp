// Choosing QEMU's accelerator. /dev/kvm existing is not enough: on some hosts
// (nested virtualisation, this CI machine) KVM guests hang. "auto" therefore
// runs a one-instruction guest (hlt) through the KVM API in a forked child
// and gives it two seconds, then QEMU itself with KVM on a one-instruction
// firmware (three seconds: here QEMU aborts on an MSR the host refuses); the verdict is cached per
// boot (boot_id) in ${XDG_STATE_HOME:-~/.local/state}/burrow/kvm-probe.
// The probe is not the last word: on nested-virtualisation hosts it passes
// and real guests still make no progress. The launch watches the real
// guest's first boot marker and, without one in 10 s, falls back to TCG and
// records that verdict for this boot and kernel (remember_kvm_stall), so
// the next launch of that kernel goes straight to TCG.
#pragma once

#include <string>

namespace burrow::vm {

struct AccelChoice {
    std::string accel; // "kvm" or "tcg"
    std::string why;   // for --verbose / the test log: "probe: hlt guest ran", "cached", ...
};

// want: "auto", "kvm" (used as is), "tcg". Anything else throws VmError.
// qemu: the QEMU binary the launch will use (probed with KVM).
// kernel: the image to boot (a stall verdict is per kernel).
AccelChoice choose_accel(const std::string& want, const std::string& qemu,
                         const std::string& kernel);

// Real guests of this kernel made no progress under KVM on this boot.
void remember_kvm_stall(const std::string& kernel);

// The test hook that simulates a stalled KVM (test builds only).
bool test_kvm_stall();

// The probe alone (no cache): true when a KVM guest runs to its hlt in time.
bool kvm_works(std::string& why);

} // namespace burrow::vm
