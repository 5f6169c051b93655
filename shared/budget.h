/* SPDX-License-Identifier: MIT */
/*
 * budget.h - how many rooms a claim may take (budget.c), above the free
 * count.  Prefix lab_budget_.
 */
#ifndef LAB_BUDGET_H
#define LAB_BUDGET_H

#include "count.h"

/* Up to @n rooms the cursor may claim now under @f and the reserve
 * (unless GFP_ATOMIC), taken out of the free count first. */
unsigned int lab_budget_take(struct lab_cur *cur, unsigned int flags,
			     unsigned int n, const struct lab_floor *f);

#endif /* LAB_BUDGET_H */
