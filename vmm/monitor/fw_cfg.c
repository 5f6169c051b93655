/* fw_cfg: items by 16-bit key, read byte by byte through the data port or
 * in bulk through DMA. Keys and layouts are QEMU's (docs/specs/fw_cfg.txt):
 * integers are little-endian, the file directory and DMA big-endian. Items
 * are built once before the vCPUs run and never change; a vCPU's selection
 * and read offset are shared by all, as on QEMU, under one lock. */
#include <endian.h>
#include <pthread.h>
#include <string.h>

#include "boot_info.h"
#include "fw_cfg.h"
#include "boot_layout.h"
#include "vm.h"

#define FW_CFG_PORT 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514	/* 8 bytes: address high word, then low word */

#define KEY_SIGNATURE 0x00
#define KEY_ID 0x01
#define KEY_UUID 0x02
#define KEY_RAM_SIZE 0x03
#define KEY_NOGRAPHIC 0x04
#define KEY_NB_CPUS 0x05
#define KEY_BOOT_MENU 0x0e
#define KEY_MAX_CPUS 0x0f
#define KEY_CMDLINE_SIZE 0x14
#define KEY_CMDLINE_DATA 0x15
#define KEY_FILE_DIR 0x19
#define KEY_FILE_FIRST 0x20
#define KEY_IRQ0_OVERRIDE 0x8002

#define ID_TRADITIONAL 0x1u
#define ID_DMA 0x2u

#define DMA_ERROR 0x01u
#define DMA_READ 0x02u
#define DMA_SKIP 0x04u
#define DMA_SELECT 0x08u
#define DMA_WRITE 0x10u
#define DMA_SIGNATURE "QEMU CFG"

#define MAX_ITEMS 24
#define FILE_NAME_MAX 56

struct item {
	uint16_t key;
	uint32_t len;
	const void *data;
};

struct file_entry {		/* the directory's entry, big-endian */
	uint32_t size;
	uint16_t select, reserved;
	char name[FILE_NAME_MAX];
} __attribute__((packed));

struct e820_entry {
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static struct {
	struct vm *vm;
	pthread_mutex_t lock;
	struct item items[MAX_ITEMS];
	unsigned nitems;
	uint16_t selected;
	uint32_t offset;
	uint32_t dma_high;

	/* Backing store of the items. */
	uint32_t id, cmdline_size, irq0_override;
	uint16_t cpus, nographic, boot_menu;
	uint64_t ram_size;
	uint8_t uuid[16];
	struct { uint32_t count; struct file_entry f[4]; } __attribute__((packed)) dir;
	struct e820_entry e820[BOOT_REGIONS_MAX];
} cfg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void add_item(uint16_t key, const void *data, uint32_t len)
{
	cfg.items[cfg.nitems++] = (struct item){key, len, data};
}

/* A file is an item with a key from 0x20 up and an entry in the directory. */
static void add_file(const char *name, const void *data, uint32_t len)
{
	unsigned n = be32toh(cfg.dir.count);
	uint16_t key = (uint16_t)(KEY_FILE_FIRST + n);
	struct file_entry *f = &cfg.dir.f[n];

	f->size = htobe32(len);
	f->select = htobe16(key);
	strncpy(f->name, name, FILE_NAME_MAX - 1);
	cfg.dir.count = htobe32(n + 1);
	add_item(key, data, len);
}

static const struct item *find_item(uint16_t key)
{
	for (unsigned i = 0; i < cfg.nitems; i++)
		if (cfg.items[i].key == key)
			return &cfg.items[i];
	return NULL;
}

/* Past the end of the item, or with nothing selected, the data reads as zero. */
static uint8_t next_byte_locked(void)
{
	const struct item *it = find_item(cfg.selected);
	if (!it || cfg.offset >= it->len)
		return 0;
	return ((const uint8_t *)it->data)[cfg.offset++];
}

static void select_locked(uint16_t key)
{
	cfg.selected = key;
	cfg.offset = 0;
}

/* The DMA access at guest-physical `at`: {be32 control, be32 length, be64 address}. */
struct dma_access {
	uint32_t control, length;
	uint64_t address;
} __attribute__((packed));

static bool in_ram(uint64_t addr, uint64_t len)
{
	return addr <= cfg.vm->ram_size && len <= cfg.vm->ram_size - addr;
}

/* Nothing is writable: a write is refused with the error bit, as QEMU does
 * for read-only items. The guest picks the length (up to 4 GiB - 1) and
 * may point past the item: what the item has is copied, the rest reads as
 * zero in one memset, as QEMU does, never byte by byte (a skip of 4 GiB
 * held this vCPU, and the lock, for half a minute: no stop could join it). */
static uint32_t dma_transfer_locked(uint32_t control, uint32_t length, uint64_t address)
{
	const struct item *it;
	uint32_t have;

	if (control & DMA_SELECT)
		select_locked((uint16_t)(control >> 16));
	if (control & DMA_WRITE)
		return DMA_ERROR;
	if (!(control & (DMA_READ | DMA_SKIP)))
		return 0;
	if ((control & DMA_READ) && !in_ram(address, length))
		return DMA_ERROR;
	it = find_item(cfg.selected);
	have = it && cfg.offset < it->len ? it->len - cfg.offset : 0;
	if (have > length)
		have = length;
	if (control & DMA_READ) {
		if (have)
			memcpy(cfg.vm->ram + address, (const uint8_t *)it->data + cfg.offset, have);
		memset(cfg.vm->ram + address + have, 0, length - have);
	}
	cfg.offset += have;	/* past the end it stays at the end, as a byte read's does */
	return 0;
}

static void dma_run_locked(uint64_t at)
{
	struct dma_access a;

	if (!in_ram(at, sizeof(a)))
		return;		/* nowhere to report to: ignored, as QEMU does */
	memcpy(&a, cfg.vm->ram + at, sizeof(a));
	uint32_t status = dma_transfer_locked(be32toh(a.control), be32toh(a.length),
					      be64toh(a.address));
	a.control = htobe32(status);
	memcpy(cfg.vm->ram + at, &a.control, sizeof(a.control));
}

static uint32_t be32_from(const uint8_t *data, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = (v << 8) | data[i];
	return v;
}

static void dma_io_locked(uint16_t reg, bool write, uint8_t *data, unsigned size)
{
	if (!write) {
		for (unsigned i = 0; i < size; i++)
			data[i] = reg + i < 8 ? (uint8_t)DMA_SIGNATURE[reg + i] : 0xff;
		return;
	}
	if (reg == 0 && size == 4)
		cfg.dma_high = be32_from(data, 4);
	else if (reg == 4 && size == 4)		/* the low word starts the transfer */
		dma_run_locked(((uint64_t)cfg.dma_high << 32) | be32_from(data, 4));
}

static void fw_cfg_io(struct vcpu *cpu, uint16_t port, bool write, uint8_t *data,
		      unsigned size, void *opaque)
{
	(void)cpu, (void)opaque;
	pthread_mutex_lock(&cfg.lock);
	if (port == FW_CFG_PORT && write) {
		select_locked(size == 1 ? data[0] : (uint16_t)(data[0] | data[1] << 8));
	} else if (port == FW_CFG_PORT_DATA && !write) {
		for (unsigned i = 0; i < size; i++)
			data[i] = next_byte_locked();
	} else if (port >= FW_CFG_PORT_DMA) {
		dma_io_locked((uint16_t)(port - FW_CFG_PORT_DMA), write, data, size);
	} else if (!write) {
		memset(data, 0, size);	/* the selector reads as zero; data writes are ignored */
	}
	pthread_mutex_unlock(&cfg.lock);
}

static void add_e820(uint64_t ram_size)
{
	struct boot_region r[BOOT_REGIONS_MAX];
	unsigned n = boot_info_memory_map(ram_size, r);

	for (unsigned i = 0; i < n; i++)
		cfg.e820[i] = (struct e820_entry){htole64(r[i].addr), htole64(r[i].size),
						  htole32(r[i].type)};
	add_file("etc/e820", cfg.e820, n * sizeof(cfg.e820[0]));
}

int fw_cfg_init(struct vm *vm, const struct fw_cfg_facts *facts)
{
	cfg.vm = vm;
	cfg.id = htole32(ID_TRADITIONAL | ID_DMA);
	cfg.cpus = htole16((uint16_t)facts->cpus);
	cfg.ram_size = htole64(facts->ram_size);
	cfg.nographic = htole16(1);
	cfg.cmdline_size = htole32((uint32_t)strlen(facts->cmdline) + 1);
	cfg.irq0_override = htole32(1);	/* the MADT routes the PIT to pin 2 */
	add_item(KEY_SIGNATURE, "QEMU", 4);
	add_item(KEY_ID, &cfg.id, 4);
	add_item(KEY_UUID, cfg.uuid, sizeof(cfg.uuid));
	add_item(KEY_RAM_SIZE, &cfg.ram_size, 8);
	add_item(KEY_NOGRAPHIC, &cfg.nographic, 2);
	add_item(KEY_NB_CPUS, &cfg.cpus, 2);
	add_item(KEY_MAX_CPUS, &cfg.cpus, 2);
	add_item(KEY_BOOT_MENU, &cfg.boot_menu, 2);
	add_item(KEY_CMDLINE_SIZE, &cfg.cmdline_size, 4);
	add_item(KEY_CMDLINE_DATA, facts->cmdline, le32toh(cfg.cmdline_size));
	add_item(KEY_IRQ0_OVERRIDE, &cfg.irq0_override, 4);
	add_e820(facts->ram_size);
	add_item(KEY_FILE_DIR, &cfg.dir, 4 + be32toh(cfg.dir.count) * sizeof(struct file_entry));
	if (pio_register(FW_CFG_PORT, 2, fw_cfg_io, NULL))
		return -1;
	return pio_register(FW_CFG_PORT_DMA, 8, fw_cfg_io, NULL);
}
