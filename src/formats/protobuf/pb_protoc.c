/*
 * pb_protoc.c — turns a .proto file into FileDescriptorSet bytes by running
 * the protobuf compiler:
 *
 *   protoc --descriptor_set_out=TMP --include_imports -I DIR(proto) [-I dir]... FILE
 *
 * protoc (Debian's protobuf-compiler) is a runtime dependency of the protobuf
 * format when proto= is used; `descriptor=` takes a set compiled elsewhere.
 * The binary is $PROTOC if set, else `protoc` on PATH. It runs through
 * posix_spawnp with stdout to /dev/null and stderr to a pipe, whose first
 * few KiB become the error message when protoc fails. The temporary file is
 * made with mkstemp in $TMPDIR (default /tmp) and always removed.
 *
 * Thread-safety: reentrant; the child inherits no tarn state.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/protobuf/pb_int.h"

extern char **environ;

#define MAX_IMPORT_DIRS 32
#define MAX_DESCRIPTOR_BYTES ((size_t)256 << 20)
#define STDERR_KEEP 3000

/* Reads all of fd into a new buffer (capped). */
static tarn_rc slurp(int fd, const char *what, uint8_t **out, size_t *out_n, struct tarn_err *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return tarn_err_set(err, TARN_EIO, "%s: %s", what, strerror(errno));
	if ((size_t)st.st_size > MAX_DESCRIPTOR_BYTES)
		return tarn_err_set(err, TARN_ELIMIT, "%s: descriptor set larger than %zu MiB", what,
				    MAX_DESCRIPTOR_BYTES >> 20);
	size_t n = (size_t)st.st_size;
	uint8_t *buf = tarn_malloc(n ? n : 1);
	if (!buf)
		return tarn_err_nomem(err, "protobuf descriptor");
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			tarn_free(buf);
			return tarn_err_set(err, TARN_EIO, "%s: short read", what);
		}
		got += (size_t)k;
	}
	*out = buf;
	*out_n = n;
	return TARN_OK;
}

/* The first STDERR_KEEP bytes of protoc's messages, trimmed, one line. */
static void read_stderr(int fd, char *keep, size_t cap)
{
	size_t n = 0;
	char tmp[4096];
	for (;;) {
		ssize_t k = read(fd, tmp, sizeof tmp);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k && n + 1 < cap; i++)
			keep[n++] = tmp[i] == '\n' ? ' ' : tmp[i];
	}
	while (n && keep[n - 1] == ' ')
		n--;
	keep[n] = 0;
}

tarn_rc pb_protoc_run(const char *proto_path, const char *import_path, uint8_t **out,
		      size_t *out_n, struct tarn_err *err)
{
	*out = NULL;
	*out_n = 0;
	struct stat st;
	if (stat(proto_path, &st) != 0)
		return tarn_err_set(err, TARN_ENOTFOUND, "proto=%s: %s", proto_path,
				    strerror(errno));
	const char *protoc = getenv("PROTOC");
	if (!protoc || !*protoc)
		protoc = "protoc";

	/* -I for the .proto's own directory, so it is named by its base name
	 * and its imports of siblings resolve. */
	char *dir = tarn_strdup(proto_path), *imports = NULL;
	const char *base = strrchr(proto_path, '/');
	base = base ? base + 1 : proto_path;
	char tmpl[512];
	const char *tmpdir = getenv("TMPDIR");
	snprintf(tmpl, sizeof tmpl, "%s/tarn-protoc-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	char set_out[600], dir_opt[4200];
	char *argv[8 + 2 * MAX_IMPORT_DIRS];
	int argc = 0, fd = -1, pipefd[2] = { -1, -1 };
	tarn_rc rc = TARN_OK;
	if (!dir) {
		rc = tarn_err_nomem(err, "protoc arguments");
		goto out;
	}
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	fd = mkstemp(tmpl);
	if (fd < 0) {
		rc = tarn_err_set(err, TARN_EIO, "cannot create a temporary file for protoc (%s): %s",
				  tmpl, strerror(errno));
		goto out;
	}
	snprintf(set_out, sizeof set_out, "--descriptor_set_out=%s", tmpl);
	if (snprintf(dir_opt, sizeof dir_opt, "--proto_path=%s", dir) >= (int)sizeof dir_opt) {
		rc = tarn_err_set(err, TARN_EUSAGE, "proto=%s: path too long", proto_path);
		goto out;
	}
	argv[argc++] = (char *)protoc;
	argv[argc++] = set_out;
	argv[argc++] = (char *)"--include_imports";
	argv[argc++] = dir_opt;
	if (import_path && *import_path) {
		imports = tarn_strdup(import_path);
		if (!imports) {
			rc = tarn_err_nomem(err, "protoc arguments");
			goto out;
		}
		for (char *save = NULL, *d = strtok_r(imports, ":", &save); d;
		     d = strtok_r(NULL, ":", &save)) {
			if (argc >= 4 + 2 * MAX_IMPORT_DIRS) {
				rc = tarn_err_set(err, TARN_EUSAGE,
						  "import-path: more than %d directories",
						  MAX_IMPORT_DIRS);
				goto out;
			}
			argv[argc++] = (char *)"-I";
			argv[argc++] = d;
		}
	}
	argv[argc++] = (char *)base;
	argv[argc] = NULL;

	if (pipe(pipefd) != 0) {
		rc = tarn_err_set(err, TARN_EIO, "protoc: pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	pid_t pid;
	int se = posix_spawnp(&pid, protoc, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (se != 0) {
		if (se == ENOENT)
			rc = tarn_err_set(err, TARN_ENOTFOUND,
					  "proto=%s needs the protobuf compiler, and '%s' was not "
					  "found: install it (Debian: apt-get install "
					  "protobuf-compiler), set PROTOC to its path, or pass a "
					  "compiled set with descriptor=FILE (protoc -o FILE "
					  "--include_imports X.proto)",
					  proto_path, protoc);
		else
			rc = tarn_err_set(err, TARN_EIO, "cannot run %s: %s", protoc, strerror(se));
		goto out;
	}
	char msg[STDERR_KEEP];
	read_stderr(pipefd[0], msg, sizeof msg);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = tarn_err_set(err, TARN_EIO, "waiting for protoc: %s", strerror(errno));
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			rc = tarn_err_set(err, TARN_ENOTFOUND,
					  "proto=%s: '%s' could not be run (exit 127): install "
					  "protobuf-compiler or set PROTOC",
					  proto_path, protoc);
		else
			rc = tarn_err_set(err, TARN_EUSAGE, "protoc could not compile %s: %s",
					  proto_path, msg[0] ? msg : "(no message)");
		goto out;
	}
	rc = slurp(fd, tmpl, out, out_n, err);
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (fd >= 0) {
		close(fd);
		unlink(tmpl);
	}
	tarn_free(dir);
	tarn_free(imports);
	return rc;
}
