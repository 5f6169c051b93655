// SPDX-License-Identifier: MIT
/*
 * test_corrupt.c - the hall and the plaque are untrusted input: every
 * field is changed to what does not fit the file, and the file's size is
 * changed under them; each must give LAB_EPROTO (`labyrinth info` status 5,
 * one line), never a crash.  Then random bytes anywhere in the header and
 * the plaque: LAB_EPROTO, or a labyrinth that still works.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handle.h"
#include "host.h"
#include "labyrinth_host.h"
#include "nb.h"

#define ROOMS 2048

static char name[64], path[128], out[4096];
static struct lab_plaque plaque;
static uint64_t size;
static int fd = -1;

static void setup(void)
{
	struct lab_geometry geo = { ROOMS, 2, 16 };
	struct stat st;

	nb_name(name, sizeof(name), "corrupt");
	snprintf(path, sizeof(path), LAB_SHM_DIR "/labyrinth.%s", name);
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	size = (uint64_t)st.st_size;
	cr_assert_eq(pread(fd, &plaque, sizeof(plaque), (off_t)(size - LAB_ROOM_SIZE)),
		     (ssize_t)sizeof(plaque));
}

static void teardown(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	lab_destroy(name);
}

TestSuite(corrupt, .init = setup, .fini = teardown, .timeout = 60);

static int try_open(void)
{
	struct labyrinth *lab;
	struct lab_census c;
	int err = lab_open(name, &lab);

	if (err)
		return err;
	lab_census(lab, &c);	/* a hall that passed must be usable */
	lab_reap(lab);
	lab_detach(lab);
	return 0;
}

/* Write @len (at most 16) bytes of @v at @off, expect @err, put the old
 * bytes back. */
static void poke(off_t off, const void *v, size_t len, int err, const char *what)
{
	char old[16];

	cr_assert_eq(pread(fd, old, len, off), (ssize_t)len);
	cr_assert_eq(pwrite(fd, v, len, off), (ssize_t)len);
	cr_expect_eq(try_open(), err, "%s: %d", what, try_open());
	cr_assert_eq(pwrite(fd, old, len, off), (ssize_t)len);
}

static void poke32(off_t off, uint32_t v, const char *what)
{
	poke(off, &v, sizeof(v), LAB_EPROTO, what);
}

static void poke64(off_t off, uint64_t v, const char *what)
{
	poke(off, &v, sizeof(v), LAB_EPROTO, what);
}

#define HALL(field)	((off_t)offsetof(struct lab_hall, field))
#define PLAQUE(field)	((off_t)(size - LAB_ROOM_SIZE + offsetof(struct lab_plaque, field)))

Test(corrupt, every_plaque_field)
{
	uint64_t bad[] = { 0, 1, LAB_ROOM_SIZE, plaque.pool_len + LAB_ROOM_SIZE,
			   plaque.pool_len - LAB_ROOM_SIZE, size, 1ull << 60, UINT64_MAX };

	cr_assert_eq(try_open(), 0);
	poke64(PLAQUE(magic), 0, "plaque magic");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		poke64(PLAQUE(pool_len), bad[i], "pool_len");
		poke64(PLAQUE(hall_len), bad[i] + 7, "hall_len");
		if (bad[i] != plaque.hall_len)
			poke64(PLAQUE(hall_len), bad[i], "hall_len");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i] != plaque.table_len)
			poke64(PLAQUE(table_len), bad[i], "table_len");
		if (bad[i] != plaque.extent_rooms)
			poke64(PLAQUE(extent_rooms), bad[i], "extent_rooms");
	}
	poke64(PLAQUE(extent_rooms), 1000, "extent of 1000 rooms");
	poke64(PLAQUE(extent_rooms), 256, "extent under a district");
	/* Both moved together still add up to the size: the hall says no. */
	uint64_t both[2] = { plaque.pool_len - LAB_ROOM_SIZE, plaque.hall_len + LAB_ROOM_SIZE };
	poke(PLAQUE(pool_len), both, sizeof(both), LAB_EPROTO, "pool and hall moved");
}

Test(corrupt, every_hall_field)
{
	struct lab_hall h;

	cr_assert_eq(pread(fd, &h, offsetof(struct lab_hall, free), 0),
		     (ssize_t)offsetof(struct lab_hall, free));
	poke64(HALL(magic), LAB_MAGIC + 1, "magic");
	poke32(HALL(version), 1, "version 1");
	poke32(HALL(version), LAB_VERSION + 1, "version");
	poke32(HALL(rooms), h.rooms + 1, "rooms + 1");
	poke32(HALL(rooms), h.rooms - 512, "rooms - 512");
	poke32(HALL(rooms), 0, "rooms 0");
	poke32(HALL(rooms), UINT32_MAX, "rooms max");
	poke32(HALL(corridors), 0, "corridors 0");
	poke32(HALL(corridors), h.districts + 1, "corridors > districts");
	poke32(HALL(corridors), UINT32_MAX, "corridors max");
	poke32(HALL(districts), h.districts + 1, "districts + 1");
	poke32(HALL(districts), UINT32_MAX, "districts max");
	poke32(HALL(reserve), h.rooms, "reserve = rooms");
	poke32(HALL(hint_lines), h.hint_lines + 1, "hint_lines");
	poke32(HALL(hint_lines), UINT32_MAX, "hint_lines max");
	poke64(HALL(size), h.size + LAB_ROOM_SIZE, "size");
	poke64(HALL(size), 0, "size 0");
	uint64_t offsets[] = { HALL(off_holder), HALL(off_hint), HALL(off_map), HALL(off_owner) };
	for (size_t i = 0; i < 4; i++) {
		uint64_t v;

		cr_assert_eq(pread(fd, &v, 8, (off_t)offsets[i]), 8);
		poke64((off_t)offsets[i], v + 64, "offset + 64");
		poke64((off_t)offsets[i], v - 64, "offset - 64");
		poke64((off_t)offsets[i], 1ull << 62, "offset far out");
		poke64((off_t)offsets[i], UINT64_MAX, "offset max");
	}
	cr_expect_eq(try_open(), 0, "the restored labyrinth is refused");
}

Test(corrupt, the_size_of_the_file)
{
	uint64_t sizes[] = { 0, 100, LAB_ROOM_SIZE, size - LAB_ROOM_SIZE, size + LAB_ROOM_SIZE,
			     size + 1 };
	const char *bin = env_path("LABYRINTH_BIN");

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		cr_assert_eq(ftruncate(fd, (off_t)sizes[i]), 0);
		cr_expect_eq(try_open(), LAB_EPROTO, "size %lu", (unsigned long)sizes[i]);
	}
	cr_expect_eq(sh_out(out, sizeof(out), "%s info %s", bin, name), 5, "%s", out);
	cr_expect(strstr(out, "not a valid labyrinth") && !strchr(strchr(out, '\n') + 1, '\n'),
		  "%s", out);
	cr_expect_eq(sh_out(out, sizeof(out), "%s reap %s", bin, name), 5, "%s", out);
}

/* Random bytes in the header and the plaque: refused, or still working. */
Test(corrupt, random_bytes_never_crash)
{
	unsigned int seed = 12345, refused = 0;
	off_t hall = 0, end = (off_t)(size - LAB_ROOM_SIZE);

	for (int i = 0; i < 400; i++) {
		bool in_plaque = rand_r(&seed) % 3 == 0;
		off_t off = in_plaque ? end + rand_r(&seed) % sizeof(plaque)
				      : hall + rand_r(&seed) % offsetof(struct lab_hall, free);
		uint8_t b = (uint8_t)rand_r(&seed), old;
		int err;

		cr_assert_eq(pread(fd, &old, 1, off), 1);
		if (b == old)
			continue;
		cr_assert_eq(pwrite(fd, &b, 1, off), 1);
		err = try_open();
		cr_assert(err == 0 || err == LAB_EPROTO, "byte %ld -> %#x: %d", (long)off, b, err);
		refused += err != 0;
		cr_assert_eq(pwrite(fd, &old, 1, off), 1);
	}
	cr_expect_gt(refused, 100, "only %u of 400 changes refused", refused);
}

/* The monitor is refused the same corrupt labyrinth: its status 76 and a
 * line, not a crash. */
Test(corrupt, the_monitor_refuses_it)
{
	const char *vmm = getenv("VMM"), *images = getenv("IMAGES");
	uint64_t far = 1ull << 62;
	int status;

	if (!vmm || !images) {
		teardown();	/* a skip does not run .fini */
		cr_skip_test("no monitor or images here");
	}
	cr_assert_eq(pwrite(fd, &far, 8, HALL(off_map)), 8);
	status = sh_out(out, sizeof(out), "%s --labyrinth %s %s/hello.elf", vmm, name, images);
	cr_expect_eq(status, 76, "status %d: %s", status, out);
	cr_expect(strstr(out, name), "%s", out);
}

/* Rooms past the last of a labyrinth that does not fill its last district
 * are walls; a hall whose walls are down would lend the hall as rooms. */
Test(corrupt, walls_past_the_last_room)
{
	struct lab_geometry geo = { 1000, 1, 0 };
	struct lab_hall h;
	uint64_t word;
	uint32_t owner = 0;
	off_t at;

	close(fd);
	lab_destroy(name);
	cr_assert_eq(lab_create(name, &geo), 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	plaque.pool_len = 1000 * LAB_ROOM_SIZE;
	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	cr_assert_eq(try_open(), 0);
	at = (off_t)(h.off_owner + 1000 * sizeof(uint32_t));
	poke(at, &owner, sizeof(owner), LAB_EPROTO, "a wall's owner cleared");
	at = (off_t)(h.off_map + 1 * LAB_WORDS * 8 + 7 * 8);
	cr_assert_eq(pread(fd, &word, 8, at), 8);
	word &= ~(1ull << 63);		/* room 1023 */
	poke(at, &word, sizeof(word), LAB_EPROTO, "a wall's map bit cleared");
	cr_expect_eq(try_open(), 0);
}
