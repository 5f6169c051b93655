#include "apic.h"
#include "clock.h"
#include "hypercall.h"
#include "idt.h"
#include "ivshmem.h"
#include "mem.h"
#include "pci.h"
#include "percpu.h"
#include "printf.h"
#include "window.h"
#include "x86.h"

#define ACPI_PCIHP_SEL 0xae10
#define ACPI_PCIHP_DOWN 0xae04
#define ACPI_PCIHP_EJECT 0xae08
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define POLL_US 10000

extern u64 boot_pd[4 * 512];

u32 ivshmem_slot, ivshmem_peer_id;
static volatile u32 *regs;
static struct lab_ivshmem_header *hdr;
static u32 server_id, slot_seq[LAB_IVSHMEM_SLOTS], slot_lock[LAB_IVSHMEM_SLOTS];
static bool up, broken;
static u64 call_tsc;	/* IVSHMEM_CALL_US in TSC ticks */

static void on_reply(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

static int wait_for_device(u64 wait_us)
{
	u64 end = rdtsc() + tsc_from_us(wait_us);
	int slot;

	while ((slot = pci_find(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE)) < 0 && rdtsc() < end)
		udelay(POLL_US);
	return slot;
}

/* Registers and the MSI-X table are device memory: uncached in our map. */
static void map_uncached(u64 base)
{
	u64 *pde = &boot_pd[base >> 21];

	*pde |= PTE_PCD | PTE_PWT;
	__asm__ __volatile__("invlpg (%0)" : : "r"(base) : "memory");
}

static int place_bars(u32 slot, u64 *mmio)
{
	bool is64[3];
	u64 size[3];

	for (u32 b = 0; b < 3; b++)
		size[b] = pci_bar_size(slot, b, &is64[b]);
	if (size[2] != LAB_IVSHMEM_SIZE || !size[0] || size[0] > 0x1000 || !size[1] ||
	    size[1] > 0x1000) {
		printf("ivshmem: unexpected BAR sizes 0x%lx 0x%lx 0x%lx (want BAR2 0x%x)\n",
		       size[0], size[1], size[2], LAB_IVSHMEM_SIZE);
		return LAB_HC_EINVAL;
	}
	*mmio = IVSHMEM_MMIO_BASE;
	while (!pci_range_unused(slot, *mmio, 0x2000) && *mmio < 0xf0000000ull)
		*mmio += 0x100000;
	pci_bar_set(slot, 0, *mmio, is64[0]);
	pci_bar_set(slot, 1, *mmio + 0x1000, is64[1]);
	pci_bar_set(slot, 2, IVSHMEM_BAR2_BASE, is64[2]);
	return 0;
}

static void setup_msix(u32 slot, u64 mmio)
{
	u32 cap = pci_cap(slot, PCI_CAP_MSIX), table;
	volatile u32 *entry;

	if (!cap)
		return;
	table = pci_read32(slot, cap + 4);
	if ((table & 7) != 1)
		return;		/* the table is in BAR1 on ivshmem */
	entry = (volatile u32 *)(uintptr_t)(mmio + 0x1000 + (table & ~7u));
	idt_set_handler(VEC_IVSHMEM, on_reply);
	entry[0] = 0xfee00000u | (apic_id() << 12);
	entry[1] = 0;
	entry[2] = VEC_IVSHMEM;
	entry[3] = 0;		/* unmasked */
	pci_write16(slot, cap + 2, (pci_read16(slot, cap + 2) & ~0x4000) | 0x8000);
}

int ivshmem_connect(u64 wait_us)
{
	u64 mmio;
	int slot, rc;

	if (up)
		return 0;
	if (!clock.tsc_hz) {	/* udelay and the call timeout need the TSC */
		apic_init_cpu();
		clock_calibrate();
	}
	call_tsc = tsc_from_us(IVSHMEM_CALL_US);
	slot = wait_for_device(wait_us);
	if (slot < 0)
		return LAB_HC_ENOSYS;
	pci_write16(slot, PCI_COMMAND, pci_read16(slot, PCI_COMMAND) & ~PCI_CMD_MEMORY);
	rc = place_bars((u32)slot, &mmio);
	if (rc)
		return rc;
	pci_write16(slot, PCI_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
	map_uncached(mmio);
	regs = (volatile u32 *)(uintptr_t)mmio;
	setup_msix((u32)slot, mmio);
	/* The shared memory is mapped like a room window: supervisor-only. */
	rc = window_install(IVSHMEM_BAR2_BASE, LAB_IVSHMEM_SIZE);
	if (rc)
		return rc;
	hdr = (struct lab_ivshmem_header *)(uintptr_t)IVSHMEM_BAR2_BASE;
	if (hdr->magic != LAB_IVSHMEM_MAGIC || hdr->version != LAB_IVSHMEM_VERSION ||
	    hdr->slots != LAB_IVSHMEM_SLOTS || hdr->room_offset != LAB_IVSHMEM_ROOM_OFFSET) {
		printf("ivshmem: slot %d is not a labyrinth (magic 0x%lx version %u)\n", slot,
		       hdr->magic, hdr->version);
		return LAB_HC_ENOSYS;
	}
	server_id = hdr->server_id;
	ivshmem_peer_id = regs[LAB_IVSHMEM_REG_IVPOSITION / 4];
	WRITE_ONCE(hdr->bar_base, IVSHMEM_BAR2_BASE);
	ivshmem_slot = (u32)slot;
	up = true;
	printf("ivshmem: labyrinth on slot %d, peer %u, server %u, BAR0 0x%lx BAR2 0x%lx\n", slot,
	       ivshmem_peer_id, server_id, mmio, (u64)IVSHMEM_BAR2_BASE);
	return 0;
}

bool ivshmem_present(void)
{
	return up && !broken;
}

static struct lab_ivshmem_slot *ivshmem_slot_at(u32 i)
{
	return (struct lab_ivshmem_slot *)((char *)hdr + LAB_IVSHMEM_SLOT_OFFSET +
					   i * LAB_IVSHMEM_SLOT_SIZE);
}

/* Interrupts are off (hypercall.c), so no handler on this CPU can be
 * waiting for the lock we hold; other CPUs hold it for one call at most. */
static void lock(u32 i)
{
	while (__atomic_exchange_n(&slot_lock[i], 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(u32 i)
{
	__atomic_store_n(&slot_lock[i], 0, __ATOMIC_RELEASE);
}

/* Kernel code runs emulated here (~0.5 us an instruction): only the fields
 * a call uses are copied, a word at a time (mem.c copies bytes). */
static void copy_rooms(u64 *dst, const u64 *src, u32 n)
{
	for (u32 k = 0; k < n; k++)
		dst[k] = src[k];
}

int64_t ivshmem_call(struct lab_hc *hc, u64 *rooms)
{
	u32 i = this_cpu()->cpu % LAB_IVSHMEM_SLOTS, seq, n = hc->count;
	struct lab_ivshmem_slot *sl;
	u64 end;
	int64_t rc;

	if (!ivshmem_present())
		return LAB_HC_ENOSYS;
	if (n > LAB_HC_BATCH_MAX)
		n = LAB_HC_BATCH_MAX;	/* the server says E2BIG */
	lock(i);
	sl = ivshmem_slot_at(i);
	sl->hc.call = hc->call;
	sl->hc.flags = hc->flags;
	sl->hc.count = hc->count;
	if (hc->call == LAB_HC_PANIC)
		memcpy(sl->hc.u.panic, hc->u.panic, sizeof(hc->u.panic));
	if (hc->call == LAB_HC_RELEASE && rooms)
		copy_rooms(sl->rooms, rooms, n);
	seq = ++slot_seq[i];
	__atomic_store_n(&sl->seq, seq, __ATOMIC_RELEASE);
	regs[LAB_IVSHMEM_REG_DOORBELL / 4] = server_id << 16;
	end = rdtsc() + call_tsc;
	while (__atomic_load_n(&sl->done, __ATOMIC_ACQUIRE) != seq) {
		if (rdtsc() > end) {
			broken = true;
			unlock(i);
			printf("ivshmem: no answer from the server in %u ms; transport given up\n",
			       IVSHMEM_CALL_US / 1000);
			return LAB_HC_ENOSYS;
		}
		cpu_relax();
	}
	rc = sl->hc.result;
	hc->result = rc;
	if (hc->call == LAB_HC_INFO && rc == LAB_HC_OK)
		hc->u.info = sl->hc.u.info;
	if (hc->call == LAB_HC_CLAIM && rc > 0 && rooms)
		copy_rooms(rooms, sl->rooms, (u32)rc);
	unlock(i);
	return rc;
}

bool ivshmem_eject(u64 wait_us)
{
	u64 end = rdtsc() + tsc_from_us(wait_us);
	u32 bit = 1u << ivshmem_slot, down;

	if (!up)
		return false;
	outl(ACPI_PCIHP_SEL, 0);	/* bus 0 */
	do {
		down = inl(ACPI_PCIHP_DOWN);
		if (down != 0xffffffffu && down & bit) {
			broken = true;	/* no call may touch the device now */
			outl(ACPI_PCIHP_EJECT, bit);
			printf("ivshmem: eject of slot %u acknowledged\n", ivshmem_slot);
			return true;
		}
		udelay(POLL_US);
	} while (rdtsc() < end);
	return false;
}
