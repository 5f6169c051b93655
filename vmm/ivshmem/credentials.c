// SPDX-License-Identifier: MIT
/*
 * credentials.c - who a peer is, for operators: QEMU's pid from the
 * socket's peer credentials (the kernel's word, not the peer's), and the
 * libvirt domain from QEMU's command line (`-name guest=NAME,...`, as
 * libvirt starts it).  Display only: nothing is decided on either.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

#define CMDLINE_MAX 65536

/* "guest=NAME,debug-threads=on" or "NAME,..." -> NAME (QEMU doubles a
 * comma that belongs to the name).  Whoever may connect wrote that
 * command line: anything but printable ASCII becomes '?', or its newline
 * would forge lines of serve's log and its escapes reach the terminal of
 * an operator reading it, or reading `labyrinth info`. */
static void name_from(const char *arg, char *out, size_t len)
{
	size_t n = 0;

	if (!strncmp(arg, "guest=", 6))
		arg += 6;
	for (; *arg && n + 1 < len; arg++) {
		if (*arg == ',' && arg[1] != ',')
			break;
		if (*arg == ',')
			arg++;
		out[n++] = *arg >= 0x20 && *arg < 0x7f ? *arg : '?';
	}
	out[n] = 0;
}

static void domain_of(int pid, char *out, size_t len)
{
	static char buf[CMDLINE_MAX];
	char path[64];
	ssize_t n;
	int fd;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (char *a = buf; a < buf + n; a += strlen(a) + 1)
		if (!strcmp(a, "-name") && a + strlen(a) + 1 < buf + n) {
			name_from(a + strlen(a) + 1, out, len);
			return;
		}
}

int32_t peer_pid_of(int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.pid <= 0)
		return 0;
	return cred.pid;
}

void peer_identify(struct serve_peer *p)
{
	p->pid = peer_pid_of(p->sock);
	p->domain[0] = 0;
	if (p->pid)
		domain_of(p->pid, p->domain, sizeof(p->domain));
}
