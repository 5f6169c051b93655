/* The directory and the DMA access are big-endian, as the device defines
 * them; items are read from their start after each selection. */
#include "fw_cfg.h"
#include "mem.h"
#include "x86.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA_HIGH 0x514
#define FW_CFG_PORT_DMA_LOW 0x518

#define DMA_ERROR 0x01u
#define DMA_READ 0x02u
#define DMA_SELECT 0x08u

struct fw_cfg_file {
	u32 size;
	u16 select, reserved;
	char name[56];
} __packed;

/* One string instruction: a single exit for the whole run, not one per byte. */
static void read_data(void *buf, u32 len)
{
	__asm__ __volatile__("rep insb" : "+D"(buf), "+c"(len) : "d"(FW_CFG_PORT_DATA) : "memory");
}

void fw_cfg_read(u16 key, void *buf, u32 len)
{
	outw(FW_CFG_PORT_SEL, key);
	read_data(buf, len);
}

u64 fw_cfg_read_int(u16 key, u32 size)
{
	u64 v = 0;
	fw_cfg_read(key, &v, size);	/* little-endian, like the CPU */
	return v;
}

bool fw_cfg_present(void)
{
	char sig[4];
	fw_cfg_read(FW_CFG_SIGNATURE, sig, sizeof(sig));
	return !memcmp(sig, "QEMU", 4);
}

bool fw_cfg_find_file(const char *name, u16 *key, u32 *size)
{
	struct fw_cfg_file f;
	u32 count;
	size_t len = strlen(name);

	fw_cfg_read(FW_CFG_FILE_DIR, &count, sizeof(count));
	count = __builtin_bswap32(count);
	for (u32 n = 0; n < count; n++) {
		read_data(&f, sizeof(f));
		if (!memcmp(f.name, name, len + 1)) {
			*key = __builtin_bswap16(f.select);
			*size = __builtin_bswap32(f.size);
			return true;
		}
	}
	return false;
}

/* The guest is identity-mapped: the access's address is its physical one. */
bool fw_cfg_dma_read(u16 key, void *buf, u32 len)
{
	static volatile struct { u32 control, length; u64 address; } __packed __aligned(16) a;
	u64 at = (u64)(uintptr_t)&a;

	a.control = __builtin_bswap32(((u32)key << 16) | DMA_SELECT | DMA_READ);
	a.length = __builtin_bswap32(len);
	a.address = __builtin_bswap64((u64)(uintptr_t)buf);
	barrier();
	outl(FW_CFG_PORT_DMA_HIGH, __builtin_bswap32((u32)(at >> 32)));
	outl(FW_CFG_PORT_DMA_LOW, __builtin_bswap32((u32)at));
	barrier();
	return a.control == 0;
}
