/* SPDX-License-Identifier: MIT */
/*
 * count.h - the free count (count.c): published changes, per lease, and a
 * cursor's batch of them.  Above the hall.  Prefix lab_count_.
 */
#ifndef LAB_COUNT_H
#define LAB_COUNT_H

#include "handle.h"

/*
 * What a cursor released goes back to the free count once it passes
 * LAB_COUNT_BATCH rooms: a ring of claims and releases reuses its own and
 * never writes the shared line, and the count shows less than is free by
 * at most that much (plus what budget.c takes ahead) per busy cursor.
 * Small, so that what guests give back under pressure shows at once.
 */
#define LAB_COUNT_BATCH	64

void lab_count_publish(struct lab_hall *h, uint32_t guest, int64_t change);
/* Lowers the count by @n for @guest; what it was before. */
int64_t lab_count_take(struct lab_hall *h, uint32_t guest, int64_t n);
void lab_count_reap(struct lab_hall *h, uint32_t guest);
void lab_count_exact(struct labyrinth *lab);
/* Publish the cursor's budget (cur->delta) now. */
void lab_count_flush(struct lab_cur *cur);
/* Add @change to the cursor's budget, published past LAB_COUNT_BATCH. */
void lab_count_account(struct lab_cur *cur, int32_t change);

#endif /* LAB_COUNT_H */
