/*
 * Every bad request gets its error code and changes nothing:
 * after each one, INFO's rooms_free is what it was before.
 * Command line: foreign=0x<gpa> adds a RELEASE of that room, which the host
 * test claimed as another owner: EPERM; foreign_district=0x<gpa> the same
 * with RELEASE_DISTRICT of a district the host test claimed whole.
 */
#include "bootinfo.h"
#include "hypercall.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "report.h"
#include "window.h"

static struct lab_hc block __aligned(64);
static u64 gpas[LAB_HC_BATCH_MAX + 1];
static u64 held[2];
static u64 ram_top;

static u64 rooms_free(void)
{
	struct lab_hc_info info;

	return hc_info(&info) == LAB_HC_OK ? info.rooms_free : ~0ull;
}

/* The first address above every RAM region the memory map lists. */
static u64 find_ram_top(void)
{
	u64 top = 0;

	for (u32 i = 0; i < boot_info.nregions; i++) {
		const struct mem_region *r = &boot_info.regions[i];
		if (r->type == 1 && r->base + r->size > top)
			top = r->base + r->size;
	}
	return top;
}

static void expect(const char *what, u32 call, u32 flags, u32 count, u64 rooms_gpa, int64_t want)
{
	u64 before = rooms_free(), after;
	int64_t rc;

	memset(&block, 0, sizeof(block));
	block.call = call;
	block.flags = flags;
	block.count = count;
	block.rooms_gpa = rooms_gpa;
	rc = hc_call(&block);
	after = rooms_free();
	report(rc == want && after == before, "%s: %ld (want %ld), rooms_free %lu -> %lu", what, rc,
	       want, before, after);
}

static bool still_held(u64 gpa)
{
	/* A room not held would stop the VM here (status 74). */
	volatile u64 *p = (volatile u64 *)(uintptr_t)gpa;

	*p = gpa;
	return *p == gpa;
}

static void bad_claims(void)
{
	u32 corridors = lab_info.corridors;

	expect("unknown call 99", 99, 0, 1, (uintptr_t)gpas, LAB_HC_ENOSYS);
	expect("CLAIM count 0", LAB_HC_CLAIM, 0, 0, (uintptr_t)gpas, LAB_HC_EINVAL);
	expect("CLAIM count 513", LAB_HC_CLAIM, 0, LAB_HC_BATCH_MAX + 1, (uintptr_t)gpas,
	       LAB_HC_E2BIG);
	expect("CLAIM flags 0x8 (undefined bit)", LAB_HC_CLAIM, 0x8, 1, (uintptr_t)gpas,
	       LAB_HC_EINVAL);
	expect("CLAIM flags 0x10000 (undefined bit)", LAB_HC_CLAIM, 0x10000, 1, (uintptr_t)gpas,
	       LAB_HC_EINVAL);
	if (corridors < 256)
		expect("CLAIM corridor == corridors", LAB_HC_CLAIM, LAB_HC_CORRIDOR(corridors), 1,
		       (uintptr_t)gpas, LAB_HC_EINVAL);
	expect("CLAIM corridor 255", LAB_HC_CLAIM, LAB_HC_CORRIDOR(255), 1, (uintptr_t)gpas,
	       corridors > 255 ? 1 : LAB_HC_EINVAL);
	expect("CLAIM rooms_gpa outside guest RAM", LAB_HC_CLAIM, 0, 1, ram_top, LAB_HC_EFAULT);
	expect("CLAIM rooms_gpa straddling the end of RAM", LAB_HC_CLAIM, 0, 2, ram_top - 8,
	       LAB_HC_EFAULT);
	expect("CLAIM rooms_gpa in the room window", LAB_HC_CLAIM, 0, 1, lab_info.window_base,
	       LAB_HC_EFAULT);
	expect("CLAIM rooms_gpa unaligned", LAB_HC_CLAIM, 0, 1, (uintptr_t)gpas + 4, LAB_HC_EFAULT);
}

static void bad_releases(void)
{
	int64_t rc;

	gpas[0] = 0x100000;
	expect("RELEASE of an address below the window", LAB_HC_RELEASE, 0, 1, (uintptr_t)gpas,
	       LAB_HC_ERANGE);
	gpas[0] = lab_info.window_base + lab_info.window_size;
	expect("RELEASE of the address just past the window", LAB_HC_RELEASE, 0, 1,
	       (uintptr_t)gpas, LAB_HC_ERANGE);
	expect("RELEASE count 0", LAB_HC_RELEASE, 0, 0, (uintptr_t)gpas, LAB_HC_EINVAL);
	expect("RELEASE count 513", LAB_HC_RELEASE, 0, LAB_HC_BATCH_MAX + 1, (uintptr_t)gpas,
	       LAB_HC_E2BIG);
	expect("RELEASE rooms_gpa outside guest RAM", LAB_HC_RELEASE, 0, 1, ram_top, LAB_HC_EFAULT);

	rc = hc_claim(LAB_HC_GFP_NORMAL, 2, held);
	report(rc == 2, "CLAIM 2 rooms for the release cases (rc %ld)", rc);
	if (rc != 2)
		return;
	gpas[0] = held[0] + 8;
	expect("RELEASE of an unaligned address inside a claimed room", LAB_HC_RELEASE, 0, 1,
	       (uintptr_t)gpas, LAB_HC_EINVAL);
	gpas[0] = held[0];
	gpas[1] = held[0];
	expect("RELEASE of a batch naming one room twice", LAB_HC_RELEASE, 0, 2, (uintptr_t)gpas,
	       LAB_HC_EALREADY);
	report(still_held(held[0]), "the room named twice is still held (0x%lx)", held[0]);
	gpas[0] = held[1];
	gpas[1] = lab_info.window_base + lab_info.window_size - LAB_ROOM_SIZE;
	if (gpas[1] != held[0] && gpas[1] != held[1])
		expect("RELEASE of a batch with one unclaimed room", LAB_HC_RELEASE, 0, 2,
		       (uintptr_t)gpas, LAB_HC_EALREADY);
	report(still_held(held[1]), "the good room of the failed batch is still held (0x%lx)",
	       held[1]);
	report(hc_release(2, held) == LAB_HC_OK, "RELEASE of both rooms");
	gpas[0] = held[0];
	expect("RELEASE of a room released already", LAB_HC_RELEASE, 0, 1, (uintptr_t)gpas,
	       LAB_HC_EALREADY);
}

/* The district calls: every bad request refused and nothing changed; a
 * room of a district is not released alone; the district still releases. */
static void bad_districts(void)
{
	u64 d, bad = lab_info.window_base + LAB_ROOM_SIZE;
	int64_t rc;

	expect("CLAIM_DISTRICT count 0", LAB_HC_CLAIM_DISTRICT, 0, 0, (uintptr_t)gpas,
	       LAB_HC_EINVAL);
	expect("CLAIM_DISTRICT count 9", LAB_HC_CLAIM_DISTRICT, 0, LAB_HC_DISTRICT_BATCH_MAX + 1,
	       (uintptr_t)gpas, LAB_HC_E2BIG);
	expect("CLAIM_DISTRICT flags 0x8 (undefined bit)", LAB_HC_CLAIM_DISTRICT, 0x8, 1,
	       (uintptr_t)gpas, LAB_HC_EINVAL);
	expect("CLAIM_DISTRICT rooms_gpa outside guest RAM", LAB_HC_CLAIM_DISTRICT, 0, 1, ram_top,
	       LAB_HC_EFAULT);
	expect("RELEASE_DISTRICT count 9", LAB_HC_RELEASE_DISTRICT, 0,
	       LAB_HC_DISTRICT_BATCH_MAX + 1, (uintptr_t)gpas, LAB_HC_E2BIG);
	gpas[0] = bad;
	expect("RELEASE_DISTRICT of an address inside a district", LAB_HC_RELEASE_DISTRICT, 0, 1,
	       (uintptr_t)gpas, LAB_HC_EINVAL);
	gpas[0] = lab_info.window_base + lab_info.window_size;
	expect("RELEASE_DISTRICT past the window", LAB_HC_RELEASE_DISTRICT, 0, 1,
	       (uintptr_t)gpas, LAB_HC_ERANGE);
	rc = hc_claim_district(LAB_HC_GFP_ATOMIC, 1, &d);
	report(rc == 1, "CLAIM_DISTRICT of one district for the release cases (rc %ld)", rc);
	if (rc != 1)
		return;
	gpas[0] = d + 3 * LAB_ROOM_SIZE;
	expect("RELEASE of one room of a district", LAB_HC_RELEASE, 0, 1, (uintptr_t)gpas,
	       LAB_HC_EBUSY);
	gpas[0] = gpas[1] = d;
	expect("RELEASE_DISTRICT naming one district twice", LAB_HC_RELEASE_DISTRICT, 0, 2,
	       (uintptr_t)gpas, LAB_HC_EALREADY);
	expect("RELEASE_DISTRICT with flags", LAB_HC_RELEASE_DISTRICT, 1, 1, (uintptr_t)gpas,
	       LAB_HC_EINVAL);
	report(still_held(d) && still_held(d + LAB_HC_DISTRICT_SIZE - 8),
	       "the district is still held, first room to last (0x%lx)", d);
	report(hc_release_district(1, &d) == LAB_HC_OK, "RELEASE_DISTRICT of it");
	expect("RELEASE_DISTRICT of a district released already", LAB_HC_RELEASE_DISTRICT, 0, 1,
	       (uintptr_t)gpas, LAB_HC_EALREADY);
}

static void bad_block(void)
{
	u64 before = rooms_free();

	/* The monitor cannot even write the result: all we can see is that
	 * nothing changed and that we are still running. */
	hc_send_raw((u32)ram_top);
	hc_send_raw((u32)(ram_top - 8));
	hc_send_raw((u32)(uintptr_t)&block + 4);
	report(rooms_free() == before, "blocks outside RAM or unaligned: nothing changed "
	       "(rooms_free %lu -> %lu)", before, rooms_free());
}

static void foreign(void)
{
	u64 gpa = cmdline_get_u64("foreign", 0);

	if (!gpa)
		return;
	gpas[0] = gpa;
	expect("RELEASE of another owner's room (foreign)", LAB_HC_RELEASE, 0, 1,
	       (uintptr_t)gpas, LAB_HC_EPERM);
	gpas[0] = cmdline_get_u64("foreign_district", 0);
	if (gpas[0])
		expect("RELEASE_DISTRICT of another guest's district (foreign_district)",
		       LAB_HC_RELEASE_DISTRICT, 0, 1, (uintptr_t)gpas, LAB_HC_EPERM);
}

int main(void)
{
	int rc = lab_connect();
	u64 start;

	if (rc == LAB_HC_ENOSYS) {
		report_skip("hc-bad: no labyrinth (the port does not answer)");
		return report_summary();
	}
	report(rc == 0, "labyrinth found, window mapped (rc %d)", rc);
	if (rc)
		return report_summary();
	ram_top = find_ram_top();
	printf("hc-bad: guest RAM ends at 0x%lx, window 0x%lx+0x%lx\n", ram_top,
	       lab_info.window_base, lab_info.window_size);
	start = rooms_free();
	bad_claims();
	bad_releases();
	bad_districts();
	bad_block();
	foreign();
	report(rooms_free() == start, "rooms_free back to %lu (now %lu)", start, rooms_free());
	return report_summary();
}
