/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - `labyrinth metrics`: the exposition (metrics.c) and its
 * small HTTP endpoint (metrics_http.c).
 */
#ifndef VMM_COMMAND_METRICS_H
#define VMM_COMMAND_METRICS_H

#include <stddef.h>

#include "labyrinth_host.h"

/* The metrics of @lab now, in the Prometheus text format (version 0.0.4),
 * in a malloc()ed string of *@len bytes; NULL if memory ran out. */
char *metrics_text(struct labyrinth *lab, const char *name, size_t *len);

/* Serve GET /metrics on @where ("PORT" or "ADDR:PORT", ADDR numeric,
 * 127.0.0.1 when left out) until SIGINT or SIGTERM.  A CLI status. */
int metrics_http(struct labyrinth *lab, const char *name, const char *where);

#endif /* VMM_COMMAND_METRICS_H */
