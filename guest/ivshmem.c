#include "apic.h"
#include "tsc.h"
#include "hypercall.h"
#include "idt.h"
#include "ivshmem.h"
#include "layout.h"
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
#define MSIX_ENTRY 16

extern u64 boot_pd[4 * 512];

/* One labyrinth device: its registers, its mailbox (BAR2, the extent). */
struct ivdev {
	u32 slot, peer_id, server_id;
	volatile u32 *regs;
	struct lab_ivshmem_header *hdr;
	u64 base, size;
	u32 seq[LAB_IVSHMEM_SLOTS], lock[LAB_IVSHMEM_SLOTS];
	bool broken, ejected;
};

u32 ivshmem_slot, ivshmem_peer_id, ivshmem_devices;
static struct ivdev devs[IVSHMEM_DEVICES];
static u32 seen_slots;		/* bit per PCI slot already looked at */
static u64 next_mmio = IVSHMEM_MMIO_BASE, next_bar2 = IVSHMEM_BAR2_BASE;
static u64 call_tsc;	/* IVSHMEM_CALL_US in TSC ticks */

static void on_reply(struct trap_frame *f)
{
	(void)f;
	apic_eoi();
}

static u32 devices_present(void)
{
	u32 n = 0;

	for (int s = pci_find(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE); s >= 0;
	     s = pci_find_from(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE, (u32)s + 1))
		n++;
	return n;
}

/* Says what it waits for, and when it gives up, that nothing came. */
static u32 wait_for_devices(u32 want, u64 wait_us)
{
	u64 end = rdtsc() + tsc_from_us(wait_us);
	u32 n = devices_present();

	if (n < want && wait_us)
		printf("ivshmem: waiting up to %lu s for %u labyrinth device%s (PCI %04x:%04x, "
		       "`virsh attach-device DOMAIN labyrinth.xml --live`)\n", wait_us / 1000000,
		       want, want == 1 ? "" : "s", LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE);
	while (n < want && rdtsc() < end) {
		udelay(POLL_US);
		n = devices_present();
	}
	if (n < want && wait_us)
		printf("ivshmem: %u of %u labyrinth devices appeared in %lu s\n", n, want,
		       wait_us / 1000000);
	return n;
}

/* Registers and the MSI-X table are device memory: uncached in our map. */
static void map_uncached(u64 base)
{
	u64 *pde = &boot_pd[base >> 21];

	*pde |= PTE_PCD | PTE_PWT;
	__asm__ __volatile__("invlpg (%0)" : : "r"(base) : "memory");
}

static bool bar2_size_ok(u64 size)
{
	return size >= LAB_ROOM_SIZE && size <= LAB_IVSHMEM_MAX_SIZE && !(size & (size - 1));
}

/* Registers below 4 GiB; BAR2 above, each aligned to its size, one after
 * the other, inside the 64-bit hole QEMU routes (IVSHMEM_BAR2_END). */
static int place_bars(struct ivdev *d, u64 *mmio)
{
	bool is64[3];
	u64 size[3], bar2;

	for (u32 b = 0; b < 3; b++)
		size[b] = pci_bar_size(d->slot, b, &is64[b]);
	if (!bar2_size_ok(size[2]) || !size[0] || size[0] > 0x1000 || !size[1] ||
	    size[1] > 0x1000) {
		printf("ivshmem: slot %u: unexpected BAR sizes 0x%lx 0x%lx 0x%lx\n", d->slot,
		       size[0], size[1], size[2]);
		return LAB_HC_EINVAL;
	}
	bar2 = (next_bar2 + size[2] - 1) & ~(size[2] - 1);
	if (bar2 + size[2] > IVSHMEM_BAR2_END) {
		printf("ivshmem: slot %u: no room for its 0x%lx bytes below 0x%lx\n", d->slot,
		       size[2], IVSHMEM_BAR2_END);
		return LAB_HC_ENOMEM;
	}
	*mmio = next_mmio;
	while (!pci_range_unused(d->slot, *mmio, 0x2000) && *mmio < 0xf0000000ull)
		*mmio += 0x100000;
	next_mmio = *mmio + 0x100000;
	next_bar2 = bar2 + size[2];
	pci_bar_set(d->slot, 0, *mmio, is64[0]);
	pci_bar_set(d->slot, 1, *mmio + 0x1000, is64[1]);
	pci_bar_set(d->slot, 2, bar2, is64[2]);
	d->base = bar2;
	d->size = size[2];
	return 0;
}

static void msix_entry(volatile u32 *entry, u8 vector)
{
	entry[0] = 0xfee00000u | (apic_id() << 12);
	entry[1] = 0;
	entry[2] = vector;
	entry[3] = 0;		/* unmasked */
}

/* Vector 0: the reply (it only counts); vector 1, when QEMU gave the
 * device two: the labyrinth's pressure (hypercall.c installs its handler
 * once INFO names it). */
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
	msix_entry(entry, VEC_IVSHMEM);
	if ((pci_read16(slot, cap + 2) & 0x7ff) >= 1)
		msix_entry(entry + MSIX_ENTRY / 4, LAB_HC_PRESSURE_VECTOR);
	pci_write16(slot, cap + 2, (pci_read16(slot, cap + 2) & ~0x4000) | 0x8000);
}

static const char *refusal(u32 why)
{
	return why == LAB_IVSHMEM_NO_EXTENT ? "no free extent to lend"
					    : "no lease (see the server's log)";
}

/* The header, read before anything else of it: a device of ours, and
 * lent an extent (a refused one is a page saying why). */
static int check_header(struct ivdev *d)
{
	struct lab_ivshmem_header *h = (struct lab_ivshmem_header *)(uintptr_t)d->base;

	if (h->magic != LAB_IVSHMEM_MAGIC || h->version != LAB_IVSHMEM_VERSION ||
	    h->slots != LAB_IVSHMEM_SLOTS) {
		printf("ivshmem: slot %u is not a labyrinth (magic 0x%lx version %u)\n", d->slot,
		       h->magic, h->version);
		return LAB_HC_ENOSYS;
	}
	if (h->refused || h->size != d->size || h->mailbox_rooms != LAB_IVSHMEM_MAILBOX_ROOMS) {
		printf("ivshmem: slot %u: the server lent nothing: %s\n", d->slot,
		       refusal(h->refused));
		return LAB_HC_ENOMEM;
	}
	d->hdr = h;
	return 0;
}

static int device_up(struct ivdev *d)
{
	u64 mmio;
	int rc;

	pci_write16(d->slot, PCI_COMMAND, pci_read16(d->slot, PCI_COMMAND) & ~PCI_CMD_MEMORY);
	rc = place_bars(d, &mmio);
	if (rc)
		return rc;
	pci_write16(d->slot, PCI_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
	map_uncached(mmio);
	d->regs = (volatile u32 *)(uintptr_t)mmio;
	/* The shared memory is mapped like a room window: supervisor-only. */
	rc = window_install(d->base, d->size);
	if (!rc)
		rc = check_header(d);
	if (rc)
		return rc;
	setup_msix(d->slot, mmio);
	d->server_id = d->hdr->server_id;
	d->peer_id = d->regs[LAB_IVSHMEM_REG_IVPOSITION / 4];
	WRITE_ONCE(d->hdr->bar_base, d->base);
	printf("ivshmem: labyrinth on slot %u, peer %u, extent %u: %lu MiB (rooms %u..%u), "
	       "BAR0 0x%lx BAR2 0x%lx\n", d->slot, d->peer_id, d->hdr->extent, d->size >> 20,
	       d->hdr->first_room, d->hdr->first_room + d->hdr->rooms - 1, mmio, d->base);
	return 0;
}

/* Every device not looked at yet; the ones that work are ours. */
static void take_devices(void)
{
	for (int s = pci_find(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE); s >= 0;
	     s = pci_find_from(LAB_IVSHMEM_VENDOR, LAB_IVSHMEM_DEVICE, (u32)s + 1)) {
		struct ivdev *d = &devs[ivshmem_devices];

		if (seen_slots & (1u << s) || ivshmem_devices == IVSHMEM_DEVICES)
			continue;
		seen_slots |= 1u << s;
		*d = (struct ivdev){ .slot = (u32)s };
		if (!device_up(d))
			ivshmem_devices++;
	}
}

int ivshmem_connect(u32 want, u64 wait_us)
{
	if (ivshmem_devices)
		return 0;
	if (!clock.tsc_hz) {	/* udelay and the call timeout need the TSC */
		apic_init_cpu();
		tsc_calibrate();
	}
	call_tsc = tsc_from_us(IVSHMEM_CALL_US);
	if (!wait_for_devices(want ? want : 1, wait_us)) {
		if (wait_us)
			printf("ivshmem: no labyrinth device appeared\n");
		return LAB_HC_ENOSYS;
	}
	take_devices();
	if (!ivshmem_devices)
		return LAB_HC_ENOSYS;
	ivshmem_slot = devs[0].slot;
	ivshmem_peer_id = devs[0].peer_id;
	return 0;
}

bool ivshmem_present(void)
{
	for (u32 i = 0; i < ivshmem_devices; i++)
		if (!devs[i].broken)
			return true;
	return false;
}

static struct lab_ivshmem_slot *slot_at(struct ivdev *d, u32 i)
{
	return (struct lab_ivshmem_slot *)((char *)d->hdr + LAB_IVSHMEM_SLOT_OFFSET +
					   i * LAB_IVSHMEM_SLOT_SIZE);
}

/* Interrupts are off (hypercall.c), so no handler on this CPU can be
 * waiting for the lock we hold; other CPUs hold it for one call at most. */
static void lock(struct ivdev *d, u32 i)
{
	while (__atomic_exchange_n(&d->lock[i], 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void unlock(struct ivdev *d, u32 i)
{
	__atomic_store_n(&d->lock[i], 0, __ATOMIC_RELEASE);
}

/* Kernel code runs emulated here (~0.5 us an instruction): only the fields
 * a call uses are copied, a word at a time (mem.c copies bytes). */
static void copy_rooms(u64 *dst, const u64 *src, u32 n)
{
	for (u32 k = 0; k < n; k++)
		dst[k] = src[k];
}

static bool wait_done(struct ivdev *d, struct lab_ivshmem_slot *sl, u32 seq)
{
	u64 end = rdtsc() + call_tsc;

	while (__atomic_load_n(&sl->done, __ATOMIC_ACQUIRE) != seq) {
		if (rdtsc() > end) {
			d->broken = true;
			printf("ivshmem: slot %u: no answer from the server in %u ms; device given "
			       "up\n", d->slot, IVSHMEM_CALL_US / 1000);
			return false;
		}
		cpu_relax();
	}
	return true;
}

/* One call through one device. */
static int64_t dev_call(struct ivdev *d, struct lab_hc *hc, u64 *rooms, u32 n)
{
	u32 i = this_cpu()->cpu % LAB_IVSHMEM_SLOTS, seq;
	struct lab_ivshmem_slot *sl;
	int64_t rc;

	if (d->broken)
		return LAB_HC_ENOSYS;
	lock(d, i);
	sl = slot_at(d, i);
	sl->hc.call = hc->call;
	sl->hc.flags = hc->flags;
	sl->hc.count = n;
	sl->hc.cached = hc->cached;
	if (hc->call == LAB_HC_PANIC)
		memcpy(sl->hc.u.panic, hc->u.panic, sizeof(hc->u.panic));
	if (lab_hc_has_list(hc->call) && !lab_hc_lists_out(hc->call) && rooms)
		copy_rooms(sl->rooms, rooms, n);
	seq = ++d->seq[i];
	__atomic_store_n(&sl->seq, seq, __ATOMIC_RELEASE);
	d->regs[LAB_IVSHMEM_REG_DOORBELL / 4] = d->server_id << 16;
	if (!wait_done(d, sl, seq)) {
		unlock(d, i);
		return LAB_HC_ENOSYS;
	}
	rc = sl->hc.result;
	if (hc->call == LAB_HC_INFO && rc == LAB_HC_OK)
		hc->u.info = sl->hc.u.info;
	if (lab_hc_lists_out(hc->call) && rc > 0 && rooms)
		copy_rooms(rooms, sl->rooms, (u32)rc);
	unlock(d, i);
	return rc;
}

static struct ivdev *dev_of(u64 gpa)
{
	for (u32 i = 0; i < ivshmem_devices; i++)
		if (gpa >= devs[i].base && gpa - devs[i].base < devs[i].size)
			return &devs[i];
	return NULL;
}

/* From this CPU's device on, the next one when one has nothing left. */
static int64_t claim_any(struct lab_hc *hc, u64 *rooms, u32 n)
{
	int64_t rc = LAB_HC_ENOSYS;

	for (u32 k = 0; k < ivshmem_devices; k++) {
		struct ivdev *d = &devs[(this_cpu()->cpu + k) % ivshmem_devices];

		rc = dev_call(d, hc, rooms, n);
		if (rc > 0 || rc == LAB_HC_EINVAL || rc == LAB_HC_EFAULT)
			return rc;
	}
	return rc;
}

/* Rooms go back through the device that lent them: one call per device
 * named, every room checked to belong to one before any call. */
static int64_t release_each(struct lab_hc *hc, u64 *rooms, u32 n)
{
	static u64 part[MAX_CPUS][LAB_HC_BATCH_MAX];
	u64 *mine = part[this_cpu()->cpu];
	int64_t rc = 0;

	for (u32 k = 0; k < n; k++)
		if (!dev_of(rooms[k]))
			return LAB_HC_ERANGE;
	for (u32 j = 0; j < ivshmem_devices && rc >= 0; j++) {
		u32 m = 0;

		for (u32 k = 0; k < n; k++)
			if (dev_of(rooms[k]) == &devs[j])
				mine[m++] = rooms[k];
		if (m)
			rc = dev_call(&devs[j], hc, mine, m);
	}
	return rc;
}

/* INFO of the first device, with the free and reserved rooms of all and a
 * window spanning all (rooms are told apart by window_spans). */
static int64_t info_all(struct lab_hc *hc)
{
	struct lab_hc_info sum;
	int64_t rc = dev_call(&devs[0], hc, NULL, 0);

	if (rc != LAB_HC_OK)
		return rc;
	sum = hc->u.info;
	for (u32 j = 1; j < ivshmem_devices; j++) {
		if (dev_call(&devs[j], hc, NULL, 0) != LAB_HC_OK)
			continue;
		sum.rooms_free += hc->u.info.rooms_free;
		sum.rooms_reserved += hc->u.info.rooms_reserved;
		sum.window_size = devs[j].base + devs[j].size - sum.window_base;
	}
	hc->u.info = sum;
	return rc;
}

int64_t ivshmem_call(struct lab_hc *hc, u64 *rooms)
{
	u32 n = hc->count;
	int64_t rc;

	if (!ivshmem_present())
		return LAB_HC_ENOSYS;
	if (n > LAB_HC_BATCH_MAX)
		n = LAB_HC_BATCH_MAX;	/* the server says E2BIG */
	if (lab_hc_has_list(hc->call) && lab_hc_lists_out(hc->call))
		rc = claim_any(hc, rooms, n);
	else if (lab_hc_has_list(hc->call) && rooms)
		rc = release_each(hc, rooms, n);
	else if (hc->call == LAB_HC_INFO)
		rc = info_all(hc);
	else
		rc = dev_call(&devs[0], hc, rooms, n);
	hc->result = rc;
	return rc;
}

/* QEMU asks by setting the slot's bit at 0xae04; writing it to 0xae08
 * acknowledges. The mailbox says so first, for the server's log. */
static bool eject_seen(struct ivdev *d, u32 down)
{
	u32 bit = 1u << d->slot;

	if (d->ejected || down == 0xffffffffu || !(down & bit))
		return false;
	d->broken = true;	/* no call may touch the device now */
	WRITE_ONCE(d->hdr->ejecting, 1);
	outl(ACPI_PCIHP_EJECT, bit);
	d->ejected = true;
	printf("ivshmem: eject of slot %u acknowledged\n", d->slot);
	return true;
}

bool ivshmem_eject(u64 wait_us)
{
	u64 end = rdtsc() + tsc_from_us(wait_us);
	u32 left = ivshmem_devices;

	if (!left)
		return false;
	outl(ACPI_PCIHP_SEL, 0);	/* bus 0 */
	do {
		u32 down = inl(ACPI_PCIHP_DOWN);

		for (u32 j = 0; j < ivshmem_devices; j++)
			left -= eject_seen(&devs[j], down);
		if (!left)
			return true;
		udelay(POLL_US);
	} while (rdtsc() < end);
	return false;
}

u32 ivshmem_device_info(u32 j, u64 *base, u64 *size, u32 *first_room, u32 *mailbox_rooms)
{
	if (j >= ivshmem_devices)
		return 0;
	*base = devs[j].base;
	*size = devs[j].size;
	*first_room = devs[j].hdr->first_room;
	*mailbox_rooms = devs[j].hdr->mailbox_rooms;
	return devs[j].peer_id;
}
