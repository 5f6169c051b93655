/* libFuzzer target over the hypercall dispatcher, without KVM: guest RAM is
 * a buffer, the window is a real reserved range, the labyrinth a real
 * private one. Each input is a sequence of calls (block address, block
 * bytes, rooms array bytes); after each, the labyrinth's accounting must
 * agree with the rooms the guest was told it holds, and every held room
 * must be readable (mapped) in the window. Crashes and aborts are findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypercall.h"

#define RAM_SIZE (1u << 20)
#define ROOMS 2048u

static struct {
	uint8_t *ram;
	struct window window;
	struct hc_guest guest;
	struct hc_cpu cpu;
	bool held[ROOMS];
	unsigned nheld;
} f;

static void setup(void)
{
	struct lab_geometry geo = {.rooms = ROOMS, .corridors = 2, .reserve = 64};
	struct labyrinth *lab;

	f.ram = calloc(1, RAM_SIZE);
	if (!f.ram || lab_create_private(&geo, &lab) < 0 ||
	    window_init(&f.window, 4ull << 30, ROOMS, lab_fd(lab)))
		abort();
	f.guest = (struct hc_guest){.ram = f.ram, .ram_size = RAM_SIZE, .window = &f.window,
				    .lab = lab, .corridors = 2};
	pthread_mutex_init(&f.guest.release_lock, NULL);
	hc_cpu_init(&f.cpu, &f.guest, 0);
}

/* The dispatcher's own copy of the addresses is read, not guest RAM: the
 * guest may have pointed the array over the block itself. */
static void track(const struct lab_hc *hc, int64_t rc)
{
	const uint64_t *gpas = f.cpu.gpas;
	unsigned n;
	if (hc->call == LAB_HC_CLAIM && rc > 0)
		n = (unsigned)rc;
	else if (hc->call == LAB_HC_RELEASE && rc == 0)
		n = hc->count;
	else
		return;
	for (unsigned i = 0; i < n; i++) {
		uint32_t room = (uint32_t)((gpas[i] - f.window.gpa) >> 12);
		if (room >= ROOMS || f.held[room] != (hc->call == LAB_HC_RELEASE))
			abort();	/* granted twice, or released what we did not hold */
		f.held[room] = hc->call == LAB_HC_CLAIM;
		f.nheld += hc->call == LAB_HC_CLAIM ? 1 : -1;
	}
}

static void check_invariants(void)
{
	struct lab_census c;
	lab_census(f.guest.lab, &c);
	if (c.free + c.claimed != c.rooms || c.guest_rooms[f.guest.lab->guest] != f.nheld)
		abort();
	for (uint32_t r = 0; r < ROOMS; r++) {
		if (!f.held[r])
			continue;
		volatile uint8_t *p = f.window.va + ((uint64_t)r << 12);
		if (*p != 0 && *p != 0xa5)	/* mapped; only we write 0xa5 */
			abort();
		*p = 0xa5;
	}
}

/* Gives everything back through RELEASE itself, so each input starts alike. */
static void release_all(void)
{
	struct lab_hc hc = {.call = LAB_HC_RELEASE, .rooms_gpa = 0x1000};
	uint64_t *gpas = (uint64_t *)(f.ram + hc.rooms_gpa);
	for (uint32_t r = 0; r < ROOMS;) {
		hc.count = 0;
		for (; r < ROOMS && hc.count < LAB_HC_BATCH_MAX; r++)
			if (f.held[r])
				gpas[hc.count++] = f.window.gpa + ((uint64_t)r << 12);
		if (!hc.count)
			continue;
		memcpy(f.ram, &hc, sizeof(hc));
		int64_t rc = hc_dispatch(&f.cpu, 0);
		if (rc != 0)
			abort();
		track(&hc, rc);
	}
	if (f.nheld)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!f.ram)
		setup();
	while (size >= 4 + sizeof(struct lab_hc)) {
		uint32_t block;
		memcpy(&block, data, 4);
		block %= RAM_SIZE + 64;		/* mostly inside RAM, sometimes past it */
		struct lab_hc hc;
		memcpy(&hc, data + 4, sizeof(hc));
		data += 4 + sizeof(hc);
		size -= 4 + sizeof(hc);
		/* Rooms array contents: the rest of the input, or addresses we hold. */
		if (hc.rooms_gpa < RAM_SIZE) {
			size_t room = RAM_SIZE - hc.rooms_gpa, take = size < room ? size : room;
			take = take < 512 * 8 ? take : 512 * 8;
			memcpy(f.ram + hc.rooms_gpa, data, take);
			data += take;
			size -= take;
		}
		if (block + sizeof(hc) <= RAM_SIZE)
			memcpy(f.ram + block, &hc, sizeof(hc));
		int64_t rc = hc_dispatch(&f.cpu, block);
		if (block + sizeof(hc) <= RAM_SIZE && !(block & 7))
			track(&hc, rc);
		check_invariants();
	}
	release_all();
	check_invariants();
	return 0;
}
