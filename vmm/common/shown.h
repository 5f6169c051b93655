/* SPDX-License-Identifier: MIT */
/* shown.c: @text on @f, bytes other than printable ASCII as \xHH. */
#ifndef VMM_COMMON_SHOWN_H
#define VMM_COMMON_SHOWN_H

#include <stdio.h>

void shown_print(FILE *f, const char *text);

#endif
