// SPDX-License-Identifier: MIT
/*
 * proto.c - QEMU's ivshmem server protocol, version 0: every message
 * is one little-endian int64, sent alone in one sendmsg() with at most one
 * file descriptor (SCM_RIGHTS) riding on it.
 *   0 (no fd)             protocol version, first
 *   id (no fd)            the peer's own id, second
 *   -1 + memory fd        the shared memory (its size is the BAR2 size)
 *   id + eventfd          one more vector of peer id (in vector order)
 *   id (no fd), later     peer id left
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "server.h"

int proto_send(int sock, int64_t msg, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	}
	/* A peer that does not read its setup messages is not waited for. */
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(msg) ? 0 : -EIO;
}
