#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_spawn.h"
#include "test_clock.h"
#include "test_proc.h"

static void drain(int fd, char *buf, size_t cap, size_t *len, bool *open)
{
	char scratch[4096];
	ssize_t n = read(fd, scratch, sizeof(scratch));
	if (n <= 0) {
		*open = false;
		return;
	}
	size_t keep = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
	memcpy(buf + *len, scratch, keep);
	*len += keep;
	buf[*len] = 0;
}

int run_cmd(char *const argv[], double limit_s, struct run_result *r)
{
	int out[2], err[2], wstatus = 0;
	size_t olen = 0, elen = 0;
	bool oopen = true, eopen = true;

	memset(r, 0, sizeof(*r));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -1;
	pid_t pid = spawn_to(argv, out[1], err[1]);
	if (pid < 0)
		return -1;
	close(out[1]);
	close(err[1]);
	double deadline = (wall_ns() / 1e9) + limit_s;
	while (oopen || eopen) {
		struct pollfd p[2] = {{oopen ? out[0] : -1, POLLIN, 0}, {eopen ? err[0] : -1, POLLIN, 0}};
		int left = (int)((deadline - (wall_ns() / 1e9)) * 1000);
		if (left <= 0 || poll(p, 2, left) == 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (p[0].revents)
			drain(out[0], r->out, sizeof(r->out), &olen, &oopen);
		if (p[1].revents)
			drain(err[0], r->err, sizeof(r->err), &elen, &eopen);
	}
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	r->status = exit_status(wstatus);
	return 0;
}

int sh_out(char *out, size_t len, const char *fmt, ...)
{
	struct run_result *r = malloc(sizeof(*r));
	char cmd[2048];
	va_list ap;
	int status = -1;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* The shell's own stderr joins its stdout before CMD's redirections,
	 * so a CMD that sends stdout elsewhere still shows its stderr. */
	char wrapped[sizeof(cmd) + 16];
	snprintf(wrapped, sizeof(wrapped), "exec 2>&1\n%s", cmd);
	char *argv[] = {"/bin/sh", "-c", wrapped, NULL};
	out[0] = 0;
	if (r && run_cmd(argv, 20, r) == 0) {
		snprintf(out, len, "%s", r->out);
		status = r->status;
	}
	free(r);
	return status;
}

unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		if (*s == '\n' || s[1] == 0)
			n++;
	return n;
}

const char *env_path(const char *name)
{
	const char *v = getenv(name);
	if (!v)
		cr_assert_fail("environment variable %s is not set (run under meson test)", name);
	return v;
}

const char *image_path(const char *name)
{
	static __thread char path[4096];
	snprintf(path, sizeof(path), "%s/%s", env_path("IMAGES"), name);
	return path;
}

const char *qemu_path(void)
{
	static const char *paths[] = {"/usr/bin/qemu-system-x86_64",
				      "/usr/local/bin/qemu-system-x86_64", NULL};
	for (unsigned i = 0; paths[i]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}
