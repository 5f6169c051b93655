// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - `labyrinth metrics NAME --listen [ADDR:]PORT`: the
 * metrics over HTTP for a Prometheus to scrape.  Bound to 127.0.0.1 unless
 * an address is given: the figures say what runs on the host, so reaching
 * them from elsewhere is the operator's choice, not ours.  Small and
 * bounded on purpose: one thread, one poll over up to 16 connections, a
 * request of at most 8 KiB and its answer within 2 s of the connection,
 * then closed; a peer that dawdles is dropped, never waited for, and
 * never keeps another out (with one connection at a time, eight idle
 * ones kept a scrape waiting 16 s, past Prometheus's 10 s timeout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
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
#define HTTP_TICK_MS		500	/* how soon a deadline is noticed */
#define HTTP_CLIENTS		16	/* connections served at once */

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

/* A connection: its request head as read so far, then its answer. */
struct client {
	int fd;			/* -1: a free place */
	uint64_t end;		/* dropped when still here then */
	size_t got;
	char req[HTTP_REQUEST_MAX];
	char *out;		/* the whole answer once the head is in */
	size_t out_len, sent;
};

static void client_drop(struct client *c)
{
	close(c->fd);
	free(c->out);
	*c = (struct client){ .fd = -1 };
}

/* Header and body in one buffer, NULL without memory. */
static char *reply(const char *status, const char *type, const char *body,
		   size_t len, bool head, size_t *out_len)
{
	char *out = NULL;
	int n = asprintf(&out, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
			 status, type, len, head ? 0 : (int)len, body);

	*out_len = n < 0 ? 0 : (size_t)n;
	return n < 0 ? NULL : out;
}

static char *answer(const char *req, struct labyrinth *lab, const char *name,
		    size_t *len)
{
	static const char text[] = "text/plain; charset=utf-8";
	bool head = !strncmp(req, "HEAD ", 5);
	char *body, *out;
	size_t blen;

	if (strncmp(req, "GET ", 4) && !head)
		return reply("405 Method Not Allowed", text, "GET only\n", 9, false, len);
	if (strncmp(req + (head ? 5 : 4), "/metrics ", 9))
		return reply("404 Not Found", text, "try /metrics\n", 13, head, len);
	body = metrics_text(lab, name, &blen);
	if (!body)
		return reply("500 Internal Server Error", text, "out of memory\n", 14,
			     head, len);
	out = reply("200 OK", "text/plain; version=0.0.4; charset=utf-8", body, blen,
		    head, len);
	free(body);
	return out;
}

/* Reading: more of the head, and the answer once it is all in. */
static void client_read(struct client *c, struct labyrinth *lab, const char *name)
{
	ssize_t n = recv(c->fd, c->req + c->got, sizeof(c->req) - 1 - c->got,
			 MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return client_drop(c);
	c->got += (size_t)n;
	c->req[c->got] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		c->out = answer(c->req, lab, name, &c->out_len);
		if (!c->out)
			client_drop(c);
	} else if (c->got == sizeof(c->req) - 1) {
		client_drop(c);		/* a head past 8 KiB */
	}
}

static void client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->out_len - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->sent += (size_t)n;
	if (n <= 0 || c->sent == c->out_len)
		client_drop(c);
}

/* A new connection; with every place taken, the one that has dawdled
 * longest makes room: a scraper's request comes at once and is answered
 * in the same turn, so idle connections cannot keep it out. */
static void client_accept(int lfd, struct client *cl)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct client *c = &cl[0];

	if (fd < 0)
		return;
	for (int i = 0; i < HTTP_CLIENTS; i++) {
		if (cl[i].fd < 0) {
			c = &cl[i];
			break;
		}
		if (cl[i].end < c->end)
			c = &cl[i];
	}
	if (c->fd >= 0)
		client_drop(c);
	c->fd = fd;
	c->end = clock_ns() + HTTP_DEADLINE_MS * 1000000ull;
}

/*
 * Until SIGTERM (CLI_OK), or until the labyrinth is destroyed or made
 * again under its name (CLI_ENONAME): figures of a labyrinth nobody can
 * reach any more, or of the old one, would be served as the name's for as
 * long as we ran; gone, the scraper sees the target down, and whatever
 * restarts us finds the new one.
 */
static int serve(int lfd, int stop_fd, struct labyrinth *lab, const char *name)
{
	static struct client cl[HTTP_CLIENTS];
	int status = CLI_OK;

	for (int i = 0; i < HTTP_CLIENTS; i++)
		cl[i] = (struct client){ .fd = -1 };
	for (;;) {
		struct pollfd p[HTTP_CLIENTS + 2] = { { lfd, POLLIN, 0 } };
		uint64_t now;

		for (int i = 0; i < HTTP_CLIENTS; i++)
			p[i + 1] = (struct pollfd){ cl[i].fd, cl[i].out ? POLLOUT : POLLIN, 0 };
		p[HTTP_CLIENTS + 1] = (struct pollfd){ stop_fd, POLLIN, 0 };
		if (poll(p, HTTP_CLIENTS + 2, HTTP_TICK_MS) < 0)
			continue;
		if (p[HTTP_CLIENTS + 1].revents && cli_stop_signal(stop_fd))
			break;
		if (!lab_still_named(lab, name)) {
			status = CLI_ENONAME;
			break;
		}
		for (int i = 0; i < HTTP_CLIENTS; i++) {
			if (cl[i].fd < 0 || !p[i + 1].revents)
				continue;
			if (cl[i].out)
				client_write(&cl[i]);
			else
				client_read(&cl[i], lab, name);
		}
		if (p[0].revents & POLLIN)
			client_accept(lfd, cl);
		now = clock_ns();
		for (int i = 0; i < HTTP_CLIENTS; i++)
			if (cl[i].fd >= 0 && now >= cl[i].end)
				client_drop(&cl[i]);
	}
	for (int i = 0; i < HTTP_CLIENTS; i++)
		if (cl[i].fd >= 0)
			client_drop(&cl[i]);
	if (status)
		cli_error("metrics: '%s': destroyed", name);
	return status;
}

int metrics_http(struct labyrinth *lab, const char *name, const char *where)
{
	char host[64];
	uint32_t port;
	int lfd = -1, stop_fd, err;

	if (where_split(where, host, sizeof(host), &port))
		return cli_usage("metrics: --listen wants [ADDR:]PORT with a "
				 "numeric ADDR and PORT 0..65535, not '%s'",
				 where);
	err = listener(host, port, &lfd);
	if (err == -EINVAL)
		return cli_usage("metrics: --listen: '%s' is not a numeric "
				 "address", host);
	if (err) {
		cli_error("metrics: cannot listen on %s: %s", where, strerror(-err));
		return CLI_ESYS;
	}
	stop_fd = cli_stop_fd();
	if (stop_fd < 0) {
		cli_error("metrics: cannot take signals: %s", strerror(errno));
		close(lfd);
		return CLI_ESYS;
	}
	fprintf(stderr, "labyrinth: metrics: serving http://%s%s%s:%u/metrics\n",
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		bound_port(lfd));
	err = serve(lfd, stop_fd, lab, name);
	close(stop_fd);
	close(lfd);
	return err;
}
