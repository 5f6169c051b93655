// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - `labyrinth metrics NAME --listen [ADDR:]PORT`: the
 * metrics over HTTP for a Prometheus to scrape.  Bound to 127.0.0.1 unless
 * an address is given: the figures say what runs on the host, so reaching
 * them from elsewhere is the operator's choice, not ours.  Small and
 * bounded on purpose: one connection at a time, a request of at most
 * 8 KiB read within 2 s, the answer written within 2 s, then closed; a
 * peer that dawdles is dropped, never waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "metrics.h"
#include "parse.h"

#define HTTP_REQUEST_MAX	8192
#define HTTP_DEADLINE_MS	2000
#define HTTP_TICK_MS		500	/* how soon a signal is noticed */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void signals_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* "PORT", "ADDR:PORT" or "[ADDR6]:PORT" into numeric host and port. */
static int where_split(const char *where, char *host, size_t hlen,
		       uint32_t *port)
{
	const char *colon = strrchr(where, ':'), *p = colon ? colon + 1 : where;
	size_t n = colon ? (size_t)(colon - where) : 0;
	uint64_t v;

	if (parse_uint(p, 0, 65535, &v))
		return -1;
	*port = (uint32_t)v;
	if (n >= 2 && where[0] == '[' && where[n - 1] == ']') {
		where++;
		n -= 2;
	}
	if (!colon)
		where = "127.0.0.1", n = strlen(where);
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, where, n);
	host[n] = 0;
	return 0;
}

static int listener(const char *host, uint32_t port, int *out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *ai;
	char serv[8];
	int fd, one = 1, err;

	snprintf(serv, sizeof(serv), "%u", port);
	err = getaddrinfo(host, serv, &hints, &ai);
	if (err)
		return err == EAI_SYSTEM ? -errno : -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	if (!err)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!err && (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 8)))
		err = -errno;
	freeaddrinfo(ai);
	if (err && fd >= 0)
		close(fd);
	*out = fd;
	return err;
}

static uint32_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char serv[8];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv,
			sizeof(serv), NI_NUMERICSERV))
		return 0;
	return (uint32_t)atoi(serv);
}

static long ms_left(uint64_t end)
{
	uint64_t now = clock_ns();

	return now >= end ? 0 : (long)((end - now) / 1000000);
}

/* The request head, up to its blank line, before the deadline. */
static bool request_read(int fd, char *buf, size_t size,
			 uint64_t end)
{
	size_t got = 0;

	while (got < size - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		long left = ms_left(end);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
		buf[got] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return true;
	}
	return false;
}

static void send_all(int fd, const char *p, size_t len,
		     uint64_t end)
{
	while (len) {
		struct pollfd q = { fd, POLLOUT, 0 };
		long left = ms_left(end);
		ssize_t n;

		if (left <= 0 || poll(&q, 1, (int)left) <= 0)
			return;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			return;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
}

static void reply(int fd, const char *status, const char *type,
		  const char *body, size_t len, bool head,
		  uint64_t end)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, len);

	send_all(fd, hdr, (size_t)n, end);
	if (!head)
		send_all(fd, body, len, end);
}

static void serve_one(int fd, struct labyrinth *lab, const char *name)
{
	static const char text[] = "text/plain; charset=utf-8";
	char req[HTTP_REQUEST_MAX], *body;
	uint64_t end = clock_ns() + HTTP_DEADLINE_MS * 1000000ull;
	bool head;
	size_t len;

	if (!request_read(fd, req, sizeof(req), end))
		return;
	head = !strncmp(req, "HEAD ", 5);
	if (strncmp(req, "GET ", 4) && !head)
		return reply(fd, "405 Method Not Allowed", text, "GET only\n",
			     9, false, end);
	if (strncmp(req + (head ? 5 : 4), "/metrics ", 9))
		return reply(fd, "404 Not Found", text, "try /metrics\n", 13,
			     head, end);
	body = metrics_text(lab, name, &len);
	if (!body)
		return reply(fd, "500 Internal Server Error", text,
			     "out of memory\n", 14, head, end);
	reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
	      len, head, end);
	free(body);
}

static void serve(int lfd, struct labyrinth *lab, const char *name)
{
	while (!stopping) {
		struct pollfd p = { lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, HTTP_TICK_MS) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(fd, lab, name);
		close(fd);
	}
}

int metrics_http(struct labyrinth *lab, const char *name, const char *where)
{
	char host[64];
	uint32_t port;
	int lfd = -1, err;

	if (where_split(where, host, sizeof(host), &port))
		return cli_usage("metrics: --listen wants [ADDR:]PORT with a "
				 "numeric ADDR and PORT 0..65535, not '%s'",
				 where);
	err = listener(host, port, &lfd);
	if (err == -EINVAL)
		return cli_usage("metrics: --listen: '%s' is not a numeric "
				 "address", host);
	if (err) {
		fprintf(stderr, "labyrinth: metrics: cannot listen on %s: %s\n",
			where, strerror(-err));
		return CLI_ESYS;
	}
	signals_catch();
	fprintf(stderr, "labyrinth: metrics: serving http://%s%s%s:%u/metrics\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		bound_port(lfd));
	serve(lfd, lab, name);
	close(lfd);
	return CLI_OK;
}
