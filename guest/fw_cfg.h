/* QEMU's firmware configuration device, as a guest reads it: items by key
 * through ports 0x510/0x511, files by name, and bulk reads by DMA. */
#ifndef GUEST_FW_CFG_H
#define GUEST_FW_CFG_H

#include "types.h"

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_FILE_DIR 0x19

#define FW_CFG_ID_DMA 0x2u

/* Is the device there ("QEMU" at key 0)? */
bool fw_cfg_present(void);
/* Reads the first `len` bytes of item `key` through the data port. */
void fw_cfg_read(u16 key, void *buf, u32 len);
/* Little-endian integer items of 2, 4 or 8 bytes. */
u64 fw_cfg_read_int(u16 key, u32 size);
/* Finds a file in the directory; returns false if absent. */
bool fw_cfg_find_file(const char *name, u16 *key, u32 *size);
/* Reads through DMA; returns false if the device refused. */
bool fw_cfg_dma_read(u16 key, void *buf, u32 len);

#endif
