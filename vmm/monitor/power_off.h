/* ACPI's power-off for a hardware-reduced platform: the FADT's sleep
 * control register, which the guest writes with _S5's sleep type and
 * SLP_EN (Linux's `poweroff`). It ends the VM with status 0, as QEMU's
 * exit on power-off; other sleep states are not offered (no _S3). */
#ifndef VMM_POWER_OFF_H
#define VMM_POWER_OFF_H

#define POWER_OFF_SLEEP_CONTROL 0x600	/* the FADT's SLEEP_CONTROL_REG */
#define POWER_OFF_SLEEP_STATUS 0x601	/* the FADT's SLEEP_STATUS_REG */
#define POWER_OFF_S5_TYPE 5		/* _S5's sleep type, in the DSDT */

struct vm;
int power_off_init(struct vm *vm);

#endif
