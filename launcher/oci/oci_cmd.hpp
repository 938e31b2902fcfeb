// `burrow oci ...` (and argv[0] "burrow-oci"): the OCI runtime command line
// that podman, containerd's shim and CRI-O call (runc's and crun's), on the
// front end of policy/oci (issue 18).
#pragma once

namespace burrow::oci {

// argv[first] is the first argument after "oci" (or after the program name
// when invoked as burrow-oci). Returns the exit status.
int oci_main(int argc, char** argv, int first);

} // namespace burrow::oci
