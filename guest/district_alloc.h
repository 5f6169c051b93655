/*
 * Whole districts for the guest kernel: 2 MiB of rooms side by side,
 * 2 MiB aligned, claimed and given back whole (CLAIM_DISTRICT and
 * RELEASE_DISTRICT, include/labyrinth_abi.h). Every byte is zero when it
 * comes; none of its pages may be freed alone (__free_page of one would
 * be refused by the monitor), only the district with free_district().
 * Like alloc_page: nothing sleeps or spins, GFP_NORMAL leaves the reserve
 * to GFP_ATOMIC, and NULL when no district is wholly free.
 */
#ifndef GUEST_DISTRICT_H
#define GUEST_DISTRICT_H

#include "labyrinth_abi.h"
#include "page_alloc.h"

#define DISTRICT_SIZE LAB_HC_DISTRICT_SIZE

void *alloc_district(gfp_t gfp);
/* GFP_ATOMIC, or the VM ends through LAB_HC_PANIC with LAB_NO_EXIT. */
void *alloc_district_exclusive(void);
/* Gives @district back; one this guest does not hold whole ends the VM. */
void free_district(void *district);

#endif
