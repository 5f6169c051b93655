/* The statuses ./vmm exits with. The guest owns 0..63 through the
 * isa-debug-exit port (0xf4, value taken unshifted; --exit-compat qemu
 * reports (V << 1) | 1 instead, as QEMU does); the monitor's own
 * statuses start at 64 (as sysexits.h does) and stay below 128 so that a
 * shell never mistakes them for a signal. Keep in step with --help and README. */
#ifndef VMM_EXIT_STATUS_H
#define VMM_EXIT_STATUS_H

enum vmm_exit_status {
	VMM_EXIT_POWER_OFF = 0,		/* the guest powered off (ACPI S5), as QEMU exits */
	VMM_EXIT_USAGE = 64,		/* bad command line */
	VMM_EXIT_BAD_IMAGE = 65,	/* image is not a bootable x86-64 ELF for this VM */
	VMM_EXIT_NO_IMAGE = 66,		/* image file missing or unreadable */
	VMM_EXIT_SHUTDOWN = 70,		/* guest shut down without port 0xf4 (triple fault) */
	VMM_EXIT_KVM_ERROR = 71,	/* KVM internal error, emulation failure, failed entry */
	VMM_EXIT_TIMEOUT = 72,		/* --timeout expired */
	VMM_EXIT_HOST = 73,		/* host trouble: no /dev/kvm, no memory, failed build */
	VMM_EXIT_WINDOW_FAULT = 74,	/* guest touched a room it does not own */
	VMM_EXIT_GUEST_PANIC = 75,	/* guest reported a panic through the hypercall port */
	VMM_EXIT_LABYRINTH = 76,	/* cannot create or attach the labyrinth */
	VMM_EXIT_RESET = 77,		/* guest reset the machine (ports 0x92, 0xcf9, 0x64) */
};

#endif
