/* Resets the machine through the path named on the command line:
 * reset=92 (System Control Port A), reset=cf9 (Reset Control Register) or
 * reset=kbd (keyboard controller pulse). A VMM that ignores the request
 * leaves the guest running: it says so and fails. */
#include "bootinfo.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "x86.h"

#define PORT_A 0x92
#define RESET_CONTROL 0xcf9
#define KBC_STATUS 0x64
#define KBC_INPUT_FULL 0x02
#define KBC_PULSE_RESET 0xfe
/* Long enough for a VMM to act on the request (~50 ms emulated here). */
#define GRACE_SPINS 100000

/* As kernels do: wait (boundedly) until the controller can take a command. */
static void kbc_reset(void)
{
	for (int i = 0; i < 1000 && (inb(KBC_STATUS) & KBC_INPUT_FULL); i++)
		cpu_relax();
	outb(KBC_STATUS, KBC_PULSE_RESET);
}

int main(void)
{
	char how[8];

	if (!cmdline_get("reset", how, sizeof(how))) {
		printf("usage: reset=92|cf9|kbd\n");
		return 2;
	}
	printf("resetting through %s\n", how);
	if (!strncmp(how, "92", 3))
		outb(PORT_A, inb(PORT_A) | 1);
	else if (!strncmp(how, "cf9", 4))
		outb(RESET_CONTROL, 0x06);
	else if (!strncmp(how, "kbd", 4))
		kbc_reset();
	else
		return 2;
	for (int i = 0; i < GRACE_SPINS; i++)
		cpu_relax();
	printf("FAIL: still running after a reset through %s\n", how);
	return 1;
}
