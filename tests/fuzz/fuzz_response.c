/*
 * libFuzzer harness: a list response -> the command's environment, the step
 * that takes bytes from the network. Seeds: the real responses in
 * ../shared/reference/infisical-samples (make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "environment.h"
#include "kvset.h"
#include "log.h"
#include "mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char cmd0[] = "true", env0[] = "PATH=/bin", env1[] = "HOME=/root",
	    env2[] = "API_KEY=x";
static char *command[] = { cmd0, NULL };
static char *inherited[] = { env0, env1, env2, NULL };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	answer_init();
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist none = { 0 };
	struct env_rules rules = {
		.preserve = &none, .require = &none, .allow = &none,
		.references = REFS_WARN, .command = command,
	};
	struct http_response resp = { .body = xmemdup(data, size),
				      .len = size };
	struct kvset secrets;
	char err[512];

	kvset_init(&secrets);
	if (answer_secrets(&resp, "/", &secrets, err, sizeof err) == 0)
		environment_free(environment_build(inherited, &secrets,
						   &rules, NULL));
	kvset_free(&secrets);
	return 0;
}
