/*
 * libFuzzer harness: configuration parsing. The input is split at NUL
 * bytes; the strings before the first empty one are argv, the rest the
 * environment (so flags, variables, _FILE paths, booleans, numbers, lists
 * and INFISICAL_CUSTOM_HEADERS are all reached).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "credentials.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --help goes to stdout: send it nowhere, or it floods the log. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc, (void)argv;
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	return 0;
}

#define MAX_STRINGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *end;
	char *argv[MAX_STRINGS + 2], *envp[MAX_STRINGS + 1];
	int argc = 1, envc = 0, in_env = 0;
	struct config cfg;
	struct credentials c = { 0 };

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	static char name[] = "infx-exec";

	argv[0] = name;
	for (p = buf, end = buf + size; p < end; p += strlen(p) + 1) {
		if (!*p) {
			in_env = 1;
			continue;
		}
		if (!in_env && argc < MAX_STRINGS)
			argv[argc++] = p;
		else if (in_env && envc < MAX_STRINGS)
			envp[envc++] = p;
	}
	argv[argc] = NULL;
	envp[envc] = NULL;
	log_set_level(LOG_ERROR);
	if (config_load(&cfg, argc, argv, envp) == CONFIG_OK)
		credentials_load(&c, envp, cfg.auth_method);
	credentials_free(&c);
	config_free(&cfg);
	free(buf);
	return 0;
}
