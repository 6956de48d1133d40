/* api.c - JSON parsing and error descriptions for Infisical responses. */
#include "api.h"

#include "log.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

cJSON *api_parse(const char *text, size_t len)
{
	const char *end = NULL;

	if (!text || len == 0 || memchr(text, '\0', len))
		return NULL;
	/* cJSON's "null terminated" check reads the byte at text[len]: the
	 * length it is given must count the terminating NUL. */
	return cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
}

/* "clientSecret: Required; ..." from a zod issue array. */
static void describe_issues(const cJSON *issues, char *buf, size_t len)
{
	const cJSON *issue;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(issue, issues) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(issue,
								     "path");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(issue,
								    "message");
		const cJSON *first = cJSON_IsArray(path) ?
				     cJSON_GetArrayItem(path, 0) : NULL;
		char field[64] = "", text[96] = "";
		int n;

		if (cJSON_IsString(first))
			log_sanitize(field, sizeof field, first->valuestring,
				     strlen(first->valuestring));
		if (cJSON_IsString(msg))
			log_sanitize(text, sizeof text, msg->valuestring,
				     strlen(msg->valuestring));
		n = snprintf(buf + used, len - used, "%s%s: %s",
			     used ? "; " : "", field, text);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

void api_describe_error(const struct http_response *resp, char *buf,
			size_t len)
{
	cJSON *root = api_parse(resp->body, resp->len);
	const cJSON *error, *message;
	char name[64] = "", text[256] = "";

	error = cJSON_GetObjectItemCaseSensitive(root, "error");
	message = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(error))
		log_sanitize(name, sizeof name, error->valuestring,
			     strlen(error->valuestring));
	if (cJSON_IsString(message))
		log_sanitize(text, sizeof text, message->valuestring,
			     strlen(message->valuestring));
	else if (cJSON_IsArray(message))
		describe_issues(message, text, sizeof text);

	if (!cJSON_IsObject(root))
		snprintf(buf, len, "HTTP %ld with a body that is not JSON "
			 "(a proxy or another server answered?)", resp->status);
	else if (name[0] || text[0])
		snprintf(buf, len, "HTTP %ld %s%s%s", resp->status, name,
			 name[0] && text[0] ? ": " : "", text);
	else
		snprintf(buf, len, "HTTP %ld", resp->status);
	cJSON_Delete(root);
}
