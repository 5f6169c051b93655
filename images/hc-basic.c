/*
 * The hypercall's happy path: INFO is sane; claim 1 room, write
 * it, read it back; claim 64 in one call, write and read each; release the
 * 64 in one RELEASE and the 1 in another; rooms_free is back where it was.
 * Command line:
 *   touch-released   afterwards, claim a room, write it, release it and
 *                    read it: the monitor must stop the VM (status 74)
 *   touch-unclaimed  afterwards, read the last window room, never claimed
 *   user             with either: the read is made in user mode (CPL 3)
 * Either way, if the read returns the image fails (status 1; in user mode,
 * which has no way back, --timeout's status).
 */
#include "bootinfo.h"
#include "hypercall.h"
#include "kernel.h"
#include "mem.h"
#include "printf.h"
#include "report.h"
#include "usermode.h"
#include "window.h"

#define ROOM_WORDS (LAB_ROOM_SIZE / 8)
#define BATCH 64

static u64 rooms[BATCH];
static u64 one;

static u64 pattern(u64 gpa)
{
	return gpa ^ 0x6c61627972696e74ull;	/* "labyrint" */
}

/* Writes the room's pattern and reads it back; false on any wrong word. */
static bool write_read(u64 gpa)
{
	u64 *p = (u64 *)(uintptr_t)gpa;
	size_t bad;

	memset64(p, pattern(gpa), ROOM_WORDS);
	bad = memscan64_ne(p, pattern(gpa), ROOM_WORDS);
	if (bad != ROOM_WORDS)
		printf("  room 0x%lx word %zu reads 0x%lx, wrote 0x%lx\n", gpa, bad, p[bad],
		       pattern(gpa));
	return bad == ROOM_WORDS;
}

static bool distinct_in_window(const u64 *g, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		if (!window_spans(g[i]) || g[i] & (LAB_ROOM_SIZE - 1)) {
			printf("  room %u at 0x%lx is not a window room\n", i, g[i]);
			return false;
		}
		for (u32 j = 0; j < i; j++)
			if (g[j] == g[i]) {
				printf("  rooms %u and %u are both 0x%lx\n", j, i, g[i]);
				return false;
			}
	}
	return true;
}

static u64 rooms_free(void)
{
	struct lab_hc_info info;

	return hc_info(&info) == LAB_HC_OK ? info.rooms_free : ~0ull;
}

static void check_info(void)
{
	const struct lab_hc_info *i = &lab_info;

	printf("info: abi %u room %u window 0x%lx+0x%lx rooms %lu free %lu reserved %lu "
	       "guest %u corridors %u\n", i->abi_version, i->room_size, i->window_base,
	       i->window_size, i->rooms_total, i->rooms_free, i->rooms_reserved, i->guest_id,
	       i->corridors);
	report(i->abi_version == LAB_HC_ABI_VERSION, "INFO abi_version %u", i->abi_version);
	report(i->room_size == LAB_ROOM_SIZE, "INFO room_size %u", i->room_size);
	report(i->window_base >= (4ull << 30) && !(i->window_base & 0x1fffff) &&
	       i->window_size == i->rooms_total * LAB_ROOM_SIZE,
	       "INFO window 0x%lx size 0x%lx = rooms_total * 4096", i->window_base,
	       i->window_size);
	report(i->rooms_total > 0 && i->rooms_free <= i->rooms_total &&
	       i->rooms_reserved < i->rooms_total && i->corridors >= 1,
	       "INFO counts: total %lu free %lu reserved %lu corridors %u", i->rooms_total,
	       i->rooms_free, i->rooms_reserved, i->corridors);
	report(!(window_pte(i->window_base) & PTE_U) && (window_pte(i->window_base) & PTE_P),
	       "window mapped supervisor-only (pte 0x%lx)", window_pte(i->window_base));
}

static void claim_write_release(void)
{
	u64 before = rooms_free();
	int64_t rc;
	bool ok = true;

	rc = hc_claim(LAB_HC_GFP_NORMAL, 1, &one);
	report(rc == 1 && distinct_in_window(&one, 1), "CLAIM 1 returns a window room (rc %ld, 0x%lx)",
	       rc, one);
	if (rc != 1)
		return;
	report(write_read(one), "room 0x%lx: write pattern, read back", one);
	report(rooms_free() == before - 1, "rooms_free %lu after CLAIM 1 (was %lu)", rooms_free(),
	       before);

	rc = hc_claim(LAB_HC_GFP_NORMAL, BATCH, rooms);
	report(rc == BATCH, "CLAIM %u in one call grants %ld", BATCH, rc);
	if (rc <= 0)
		rc = 0;
	report(distinct_in_window(rooms, (u32)rc) && (u32)rc <= BATCH,
	       "the %ld rooms are distinct window rooms", rc);
	for (u32 i = 0; i < (u32)rc; i++)
		ok &= write_read(rooms[i]);
	report(ok, "each of the %ld rooms: write pattern, read back", rc);
	ok = true;
	for (u32 i = 0; i < (u32)rc; i++)
		ok &= memscan64_ne((void *)(uintptr_t)rooms[i], pattern(rooms[i]), ROOM_WORDS) ==
		      ROOM_WORDS;
	report(ok && memscan64_ne((void *)(uintptr_t)one, pattern(one), ROOM_WORDS) == ROOM_WORDS,
	       "all patterns intact after writing every room");

	if (rc > 0)
		report(hc_release((u32)rc, rooms) == LAB_HC_OK, "RELEASE %ld in one call", rc);
	report(hc_release(1, &one) == LAB_HC_OK, "RELEASE 1");
	report(rooms_free() == before, "rooms_free back to %lu (now %lu)", before, rooms_free());
}

static u8 user_stack[4096] __aligned(16);

static void user_touch(u64 gpa)
{
	(void)*(volatile u64 *)(uintptr_t)gpa;
	for (;;)
		__asm__ __volatile__("pause");
}

static int touch(u64 gpa, const char *what)
{
	volatile u64 *p = (volatile u64 *)(uintptr_t)gpa;
	u64 v;

	if (cmdline_has("user")) {
		usermode_open((u64)(uintptr_t)user_touch);
		usermode_open((u64)(uintptr_t)user_stack);
		usermode_open(gpa);
		printf("touching %s room 0x%lx from user mode\n", what, gpa);
		usermode_enter(user_touch, gpa, user_stack + sizeof(user_stack));
	}
	printf("touching %s room 0x%lx\n", what, gpa);
	v = *p;
	printf("FAIL: read of %s room 0x%lx returned 0x%lx: the monitor did not stop us\n", what,
	       gpa, v);
	return 1;
}

static int touch_released(void)
{
	int64_t rc = hc_claim(LAB_HC_GFP_NORMAL, 1, &one);

	if (rc != 1) {
		printf("FAIL: CLAIM 1 for touch-released: %ld\n", rc);
		return 1;
	}
	memset64((void *)(uintptr_t)one, pattern(one), ROOM_WORDS);
	rc = hc_release(1, &one);
	if (rc != LAB_HC_OK) {
		printf("FAIL: RELEASE for touch-released: %ld\n", rc);
		return 1;
	}
	return touch(one, "released");
}

int main(void)
{
	int rc = lab_connect();
	int status;

	if (rc == LAB_HC_ENOSYS) {
		report_skip("hc-basic: no labyrinth (the port does not answer)");
		return report_summary();
	}
	report(rc == 0, "labyrinth found, window mapped (rc %d)", rc);
	if (rc)
		return report_summary();
	check_info();
	claim_write_release();
	status = report_summary();
	if (status)
		return status;
	if (cmdline_has("touch-released"))
		return touch_released();
	if (cmdline_has("touch-unclaimed"))
		return touch(lab_info.window_base + lab_info.window_size - LAB_ROOM_SIZE,
			     "unclaimed");
	return 0;
}
