// Choosing QEMU's accelerator. /dev/kvm existing is not enough: on some hosts
// (nested virtualisation, this CI machine) KVM guests hang. "auto" therefore
// runs a one-instruction guest (hlt) through the KVM API in a forked child
// and gives it two seconds, then QEMU itself with KVM on a one-instruction
// firmware (three seconds: here QEMU aborts on an MSR the host refuses); the verdict is cached per
// boot (boot_id) in
// ${XDG_STATE_HOME:-~/.local/state}/burrow/kvm-probe.
#pragma once

#include <string>

namespace burrow::vm {

struct AccelChoice {
    std::string accel; // "kvm" or "tcg"
    std::string why;   // for --verbose / the test log: "probe: hlt guest ran", "cached", ...
};

// want: "auto", "kvm" (used as is), "tcg". Anything else throws VmError.
// qemu: the QEMU binary the launch will use (probed with KVM).
AccelChoice choose_accel(const std::string& want, const std::string& qemu);

// The probe alone (no cache): true when a KVM guest runs to its hlt in time.
bool kvm_works(std::string& why);

} // namespace burrow::vm
