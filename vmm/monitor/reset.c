/* One file for three tiny devices because they are one concept to a guest:
 * "reset the machine"; each keeps only the state its reads must return.
 * Rebooting is not offered: a reset ends the VM, like QEMU's -no-reboot,
 * and so does a jump to the firmware's reset vector. */
#include <stdio.h>
#include <string.h>

#include "exit_status.h"
#include "reset.h"
#include "vm.h"

#define PORT_A 0x92
#define PORT_A_RESET 0x01
#define PORT_A_A20 0x02		/* A20 is always on: the bit reads as set */
#define RESET_CONTROL 0xcf9
#define RESET_CONTROL_CPU 0x04
#define RESET_CONTROL_KEEP 0x0a	/* the hard/soft and full-reset bits read back */
#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe
/* Input and output buffers empty, self-test passed, keyboard not inhibited:
 * a kernel waiting for room to send its command goes on at once. */
#define KBC_STATUS 0x1c

static uint8_t reset_control;

static void reset_now(struct vcpu *cpu, const char *how)
{
	fprintf(stderr, "vmm: vCPU %u: guest reset the machine (%s)\n", cpu->id, how);
	vm_stop(cpu->vm, VMM_EXIT_RESET);
}

static void reset_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		     unsigned size, void *opaque)
{
	(void)opaque, (void)size;
	switch (port) {
	case PORT_A:
		if (!write)
			data[0] = PORT_A_A20;
		else if (data[0] & PORT_A_RESET)
			reset_now(cpu, "port 0x92 bit 0");
		break;
	case RESET_CONTROL:
		if (!write)
			data[0] = reset_control;
		else if (data[0] & RESET_CONTROL_CPU)
			reset_now(cpu, "port 0xcf9 bit 2");
		else
			reset_control = data[0] & RESET_CONTROL_KEEP;
		break;
	case KBC_COMMAND:
		if (!write)
			data[0] = KBC_STATUS;
		else if (data[0] == KBC_PULSE_RESET)
			reset_now(cpu, "keyboard controller 0x64 <- 0xfe");
		break;
	}
}

/*
 * Where a PC's firmware starts again, f000:fff0: a kernel's last resort is
 * to jump there in real mode (Linux's machine_real_restart), and it is
 * Linux's first on this machine. Its reboot takes EFI, then the BIOS, on
 * a hardware-reduced ACPI platform without a DMI quirk (reboot_init); its
 * `reboot=` option, any of it, keeps the ACPI reset register first. What
 * it finds there is this firmware, which resets through 0xcf9.
 */
#define RESET_VECTOR 0xffff0
static const uint8_t firmware_reset[] = {
	0xba, 0xf9, 0x0c,	/* mov dx, 0x0cf9 */
	0xb0, 0x06,		/* mov al, 0x06: reset the CPU, full reset */
	0xee,			/* out dx, al */
	0xf4,			/* 1: hlt */
	0xeb, 0xfd,		/* jmp 1b */
};

int reset_init(struct vm *vm)
{
	memcpy(vm->ram + RESET_VECTOR, firmware_reset, sizeof(firmware_reset));
	/* 0xcf9 alone: 0xcf8 and 0xcfc are PCI configuration, not ours. */
	if (pio_register(PORT_A, 1, reset_io, NULL) ||
	    pio_register(RESET_CONTROL, 1, reset_io, NULL))
		return -1;
	return pio_register(KBC_COMMAND, 1, reset_io, NULL);
}
