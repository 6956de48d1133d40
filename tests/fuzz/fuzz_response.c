/*
 * libFuzzer harness: a list response -> the command's environment, the step
 * that takes bytes from the network. Seeds: the real responses in
 * ../shared/reference/infisical-samples (make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "environment.h"
#include "kvset.h"
#include "log.h"
#include "secrets.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char cmd0[] = "true", env0[] = "PATH=/bin", env1[] = "HOME=/root",
	    env2[] = "API_KEY=x";
static char *command[] = { cmd0, NULL };
static char *inherited[] = { env0, env1, env2, NULL };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	api_init();
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = malloc(size + 1), err[512];
	struct config cfg;
	struct kvset secrets;
	char **envp;

	if (!json)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	memset(&cfg, 0, sizeof cfg);
	cfg.command = command;
	cfg.expand = 1;
	kvset_init(&secrets);
	if (secrets_parse(json, size, "/", &secrets, err, sizeof err) == 0) {
		envp = environment_build(inherited, &secrets, &cfg, NULL, NULL);
		environment_free(envp);
	}
	kvset_free(&secrets);
	free(json);
	return 0;
}
