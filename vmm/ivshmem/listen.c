// SPDX-License-Identifier: MIT
/*
 * listen.c - the server's listening socket.  Whoever can connect can take
 * a lease and rooms, so the socket is 0600 (0660 and of the operators'
 * group with --group), made so by the umask at bind() time rather than a
 * chmod after it, which would leave it open for a moment.  --socket PATH
 * removes only what is plainly a leftover: a socket nobody answers on.
 * Anything else at PATH (a file, a live server) is refused.  The directory
 * of PATH should be writable by the operators only: whoever can write it
 * can swap what is at PATH between our look and our unlink.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server.h"

static int address(const char *path, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa->sun_path)) {
		serve_log("%s: socket path too long", path);
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* 0 if PATH is free now, -1 after a line saying why it is not. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		serve_log("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		serve_log("%s exists and is not a socket; not removed", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	if (!err) {
		serve_log("%s is served already", path);
		return -1;
	}
	if (err != ECONNREFUSED) {
		serve_log("%s: %s; not removed", path, strerror(err));
		return -1;
	}
	if (unlink(path)) {
		serve_log("%s: stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int bind_private(int fd, const struct sockaddr_un *sa, uint32_t gid)
{
	mode_t old = umask(0177);
	int err = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	if (err || gid == LAB_NOGROUP)
		return err;
	if (lchown(sa->sun_path, (uid_t)-1, (gid_t)gid) ||
	    fchmodat(AT_FDCWD, sa->sun_path, 0660, AT_SYMLINK_NOFOLLOW))
		return -1;
	return 0;
}

int listen_open(struct serve *s, uint32_t gid)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (address(s->path, &sa) || clear_stale(s->path, &sa))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind_private(fd, &sa, gid) || listen(fd, 16) ||
	    lstat(s->path, &st)) {
		serve_log("%s: %s", s->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->listen = fd;
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

/* Our socket file only: if somebody replaced it, theirs stays. */
void listen_close(struct serve *s)
{
	struct stat st;

	close(s->listen);
	if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode) &&
	    st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->path);
}
