/*
 * The command line (CONTRACT.md 2): words separated by spaces, each `key=value`
 * or a bare flag. Unknown words are logged and ignored; a known key with a bad
 * value is a configuration error.
 */
#include "cmdline.h"
#include "disk.h"
#include "lib.h"
#include "log.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_spaces(const char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (s[n] && !is_space(s[n]))
		n++;
	return n;
}

/*
 * GRUB and QEMU both put the image's file name before the words
 * ("/boot/hypervisor.elf backend=auto"); a first word with a '/' and no '=' is that.
 */
const char *cmdline_words(const char *s)
{
	size_t n;
	bool slash = false, equals = false;

	s = skip_spaces(s);
	n = word_len(s);
	for (size_t i = 0; i < n; i++) {
		slash |= s[i] == '/';
		equals |= s[i] == '=';
	}
	return slash && !equals ? skip_spaces(s + n) : s;
}

static const char *find_equals(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '=')
			return s + i;
	return NULL;
}

static bool value_is(const char *v, size_t len, const char *word)
{
	return strlen(word) == len && !strncmp(v, word, len);
}

static bool parse_backend(const char *v, size_t len, struct hv_config *cfg)
{
	if (value_is(v, len, "auto"))
		cfg->backend = BACKEND_AUTO;
	else if (value_is(v, len, "vmx"))
		cfg->backend = BACKEND_VMX;
	else if (value_is(v, len, "svm"))
		cfg->backend = BACKEND_SVM;
	else
		return false;
	return true;
}

static bool parse_selftest(const char *v, size_t len, struct hv_config *cfg)
{
	if (!value_is(v, len, "ud2") && !value_is(v, len, "pf"))
		return false;
	memcpy(cfg->selftest, v, len);
	cfg->selftest[len] = '\0';
	return true;
}

/*
 * Guest RAM that a VM can have: vm_create needs RAM past the first MiB (2 MiB at least),
 * and the RAM is one block of host memory inside the 4 GiB that boot/entry.S maps.
 */
#define GUEST_MEM_MIN_MIB 2
#define GUEST_MEM_MAX_MIB 4096

static bool parse_mib(const char *v, size_t len, struct hv_config *cfg)
{
	return parse_u64(v, len, &cfg->guest_mem_mib) &&
	       cfg->guest_mem_mib >= GUEST_MEM_MIN_MIB && cfg->guest_mem_mib <= GUEST_MEM_MAX_MIB;
}

static bool parse_watchdog(const char *v, size_t len, struct hv_config *cfg)
{
	return parse_u64(v, len, &cfg->watchdog_ms);
}

static bool parse_disk(const char *v, size_t len, struct hv_config *cfg)
{
	(void)cfg; /* the region is kept by core/disk.c */
	return disk_parse(v, len);
}

static const struct {
	const char *key;
	bool (*parse)(const char *value, size_t len, struct hv_config *cfg);
	const char *expect;
} options[] = {
	{ "backend", parse_backend, "auto, vmx or svm" },
	{ "guest_mem", parse_mib, "a number of MiB from 2 to 4096" },
	{ "disk", parse_disk, "START:COUNT or START, in sectors" },
	{ "watchdog", parse_watchdog, "a number of ms" },
	{ "selftest", parse_selftest, "ud2 or pf" },
};

bool cmdline_parse(const char *cmdline, struct hv_config *cfg)
{
	const char *s = cmdline_words(cmdline ? cmdline : "");
	bool ok = true;

	*cfg = (struct hv_config){ .backend = BACKEND_AUTO, .guest_mem_mib = 32 };
	for (s = skip_spaces(s); *s; s = skip_spaces(s)) {
		size_t n = word_len(s);
		const char *eq = find_equals(s, n);
		size_t klen = eq ? (size_t)(eq - s) : n;
		size_t i;

		for (i = 0; i < ARRAY_SIZE(options); i++)
			if (strlen(options[i].key) == klen && !strncmp(s, options[i].key, klen))
				break;
		if (i == ARRAY_SIZE(options)) {
			log_printf("cmdline: ignoring unknown word '%.*s'\n", (int)n, s);
		} else if (!eq || !options[i].parse(eq + 1, n - klen - 1, cfg)) {
			log_printf("cmdline: bad value in '%.*s': %s wants %s\n", (int)n, s,
				   options[i].key, options[i].expect);
			ok = false;
		}
		s += n;
	}
	return ok;
}
