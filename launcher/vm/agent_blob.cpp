// The guest agent (launcher/vm/guest) linked into burrow as bytes, so a
// single burrow binary can assemble the guest initramfs anywhere. The path
// comes from CMake (BURROW_VM_AGENT_PATH); the object depends on the file.
#ifndef BURROW_VM_AGENT_PATH
#error "BURROW_VM_AGENT_PATH must name the built agent"
#endif

__asm__(".section .rodata.burrow_vm_agent,\"a\",@progbits\n"
        ".global burrow_vm_agent_start\n"
        ".global burrow_vm_agent_end\n"
        ".balign 16\n"
        "burrow_vm_agent_start:\n"
        ".incbin \"" BURROW_VM_AGENT_PATH "\"\n"
        "burrow_vm_agent_end:\n"
        ".previous\n");
