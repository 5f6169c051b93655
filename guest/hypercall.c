#include "bootinfo.h"
#include "exit.h"
#include "hypercall.h"
#include "ivshmem.h"
#include "layout.h"
#include "mem.h"
#include "percpu.h"
#include "printf.h"
#include "window.h"
#include "apic.h"
#include "idt.h"
#include "x86.h"

/* One block per CPU, each on its own cache line: calls of several vCPUs
 * run in the monitor at once. Below 4 GiB (the image is at 1 MiB). */
static struct lab_hc blocks[MAX_CPUS] __aligned(64);
static int present = -1;	/* -1 not probed yet */

struct lab_hc_info lab_info;

bool hc_probe(void)
{
	if (present < 0)
		present = inl(LAB_HC_PORT) == LAB_HC_PORT_MAGIC;
	return present;
}

bool hc_present(void)
{
	return present > 0 || ivshmem_present();
}

void hc_send_raw(u32 block_gpa)
{
	lab_hc_trap(LAB_HC_PORT, block_gpa);
}

/* The mailbox cannot reach guest RAM: the rooms travel in the slot, copied
 * from and to rooms_gpa here, which must therefore be RAM we can read. */
static int64_t doorbell_call(struct lab_hc *hc)
{
	u64 *rooms = NULL;
	u32 n = hc->count;

	if (lab_hc_has_list(hc->call) && n && n <= LAB_HC_BATCH_MAX) {
		if (hc->rooms_gpa & 7 || !bootinfo_is_ram(hc->rooms_gpa, (u64)n * sizeof(u64)))
			return WRITE_ONCE(hc->result, LAB_HC_EFAULT);
		rooms = (u64 *)(uintptr_t)hc->rooms_gpa;
	}
	return ivshmem_call(hc, rooms);
}

int64_t hc_call(struct lab_hc *hc)
{
	WRITE_ONCE(hc->result, HC_NO_RESULT);
	if (!hc_probe())
		return ivshmem_present() ? doorbell_call(hc) : LAB_HC_ENOSYS;
	lab_hc_trap(LAB_HC_PORT, (u32)(uintptr_t)hc);
	return READ_ONCE(hc->result);
}

u32 (*hc_cache_probe)(void);
u64 hc_calls[MAX_CPUS];

/* Fills this CPU's block and calls, interrupts off from fill to result. */
static int64_t call(u32 nr, u32 flags, u32 count, u64 rooms_gpa, struct lab_hc_info *info)
{
	u64 irq = irq_save();
	struct lab_hc *hc = &blocks[this_cpu()->cpu];
	int64_t rc;

	hc->call = nr;
	hc->flags = flags;
	hc->count = count;
	hc->cached = hc_cache_probe ? hc_cache_probe() : 0;
	hc->rooms_gpa = rooms_gpa;
	hc_calls[this_cpu()->cpu]++;
	rc = hc_call(hc);
	if (info && rc == LAB_HC_OK)
		*info = hc->u.info;
	irq_restore(irq);
	return rc;
}

int64_t hc_null(void)
{
	return call(LAB_HC_NULL, 0, 0, 0, NULL);
}

void (*hc_pressure_hook)(void);
u64 hc_pressure_interrupts;

static void pressure_interrupt(struct trap_frame *f)
{
	void (*hook)(void) = READ_ONCE(hc_pressure_hook);

	(void)f;
	__atomic_fetch_add(&hc_pressure_interrupts, 1, __ATOMIC_RELAXED);
	apic_eoi();
	if (hook)
		hook();
}

/* Once INFO has named the pressure vector the monitor may send it: the
 * handler is in place before interrupts are on again. */
int64_t hc_info(struct lab_hc_info *info)
{
	u64 irq = irq_save();
	int64_t rc = call(LAB_HC_INFO, 0, 0, 0, info);

	if (rc == LAB_HC_OK && info->pressure_vector >= 0x30 && info->pressure_vector < 0xff)
		idt_set_handler((u8)info->pressure_vector, pressure_interrupt);
	irq_restore(irq);
	return rc;
}

int64_t hc_claim(u32 flags, u32 count, u64 *gpas)
{
	return call(LAB_HC_CLAIM, flags, count, (u64)(uintptr_t)gpas, NULL);
}

int64_t hc_release(u32 count, const u64 *gpas)
{
	return call(LAB_HC_RELEASE, 0, count, (u64)(uintptr_t)gpas, NULL);
}

int64_t hc_claim_district(u32 flags, u32 count, u64 *gpas)
{
	return call(LAB_HC_CLAIM_DISTRICT, flags, count, (u64)(uintptr_t)gpas, NULL);
}

int64_t hc_release_district(u32 count, const u64 *gpas)
{
	return call(LAB_HC_RELEASE_DISTRICT, 0, count, (u64)(uintptr_t)gpas, NULL);
}

void __noreturn hc_panic(const char *message)
{
	struct lab_hc *hc;
	size_t n = strlen(message);

	irq_disable();
	printf("PANIC: %s\n", message);
	if (hc_present()) {
		hc = &blocks[this_cpu()->cpu];
		memset(hc, 0, sizeof(*hc));
		hc->call = LAB_HC_PANIC;
		if (n > sizeof(hc->u.panic) - 1)
			n = sizeof(hc->u.panic) - 1;
		memcpy(hc->u.panic, message, n);
		hc_call(hc);
	}
	/* No labyrinth, or the monitor let us run on: end the VM ourselves. */
	guest_exit(EXIT_PANIC);
}

int lab_connect(void)
{
	int64_t rc;

	/* No monitor on the port: a QEMU guest, perhaps with the labyrinth's
	 * ivshmem device (possibly still to be hot-plugged). */
	if (!hc_probe() && (rc = ivshmem_connect((u32)cmdline_get_u64("ivshmem.devices", 1),
						  cmdline_get_u64("ivshmem.wait", 0) * 1000000)))
		return (int)rc;
	rc = hc_info(&lab_info);
	if (rc)
		return (int)rc;
	if (lab_info.abi_version != LAB_HC_ABI_VERSION || lab_info.room_size != LAB_ROOM_SIZE) {
		printf("labyrinth: ABI version %u room size %u, want %u and %u\n",
		       lab_info.abi_version, lab_info.room_size, LAB_HC_ABI_VERSION,
		       LAB_ROOM_SIZE);
		return LAB_HC_EINVAL;
	}
	/* ivshmem_connect mapped the whole shared region already. */
	return hc_probe() ? window_install(lab_info.window_base, lab_info.window_size) : 0;
}

bool lab_eject_wait(u64 wait_us)
{
	return ivshmem_eject(wait_us);
}

bool lab_over_ivshmem(void)
{
	return ivshmem_present();
}
