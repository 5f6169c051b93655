/* SPDX-License-Identifier: MIT */
/*
 * test_hooks.h - where tests stop the host library mid-way, to place a
 * race exactly (tests/host/, tests/labyrinth/).  Not part of the host API
 * (labyrinth_host.h): nothing but a test sets them.
 */
#ifndef LAB_TEST_HOOKS_H
#define LAB_TEST_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

struct labyrinth;

/* For tests only: called by a reaper that saw slot @guest taken and is
 * about to lock it (@locked false), and again holding its lock just
 * before it frees the rooms (@locked true).  NULL otherwise. */
extern void (*lab_test_reap_pause)(struct labyrinth *lab, uint32_t guest,
				   bool locked);
/* For tests only: called by lab_open() and lab_attach() between opening
 * the metadata file of @name and opening its extents.  NULL otherwise. */
extern void (*lab_test_open_pause)(const char *name);
/* For tests only: called by lab_open() and lab_attach() between opening
 * the metadata file of @name and looking at whose it is.  NULL otherwise. */
extern void (*lab_test_found_pause)(const char *name);
/* For tests only: called by a create of @name between linking its
 * extents and linking its metadata file; and by lab_destroy() of @name,
 * its metadata file unlinked, before it unlinks extent @k and once more
 * after the last.  NULL otherwise. */
extern void (*lab_test_publish_pause)(const char *name);
extern void (*lab_test_destroy_pause)(const char *name, uint32_t k);
/* For tests only: called by lab_open() and lab_attach() holding extent
 * @k's fill lock, having found it the monitors', before it fills the
 * pool's copy of it.  NULL otherwise. */
extern void (*lab_test_fill_pause)(uint32_t k);

#endif /* LAB_TEST_HOOKS_H */
