/* QEMU's firmware configuration device at ports 0x510 (selector), 0x511
 * (data) and 0x514 (DMA address): what QEMU guests read their CPU count,
 * RAM size and command line from, told truthfully. */
#ifndef VMM_FW_CFG_H
#define VMM_FW_CFG_H

#include <stdint.h>

struct vm;

struct fw_cfg_facts {
	unsigned cpus;
	uint64_t ram_size;
	const char *cmdline;	/* --cmdline, without the image path */
};

int fw_cfg_init(struct vm *vm, const struct fw_cfg_facts *facts);

#endif
