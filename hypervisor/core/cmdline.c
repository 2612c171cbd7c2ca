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

/* Each parser gets the value and, for a word `key.K=value`, the guest K (else -1). */
static bool parse_backend(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
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

static bool parse_selftest(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
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

static bool parse_mib(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	u64 *mib = guest < 0 ? &cfg->guest_mem_mib : &cfg->guest[guest].mem_mib;

	return parse_u64(v, len, mib) && *mib >= GUEST_MEM_MIN_MIB && *mib <= GUEST_MEM_MAX_MIB;
}

static bool parse_watchdog(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
	return parse_u64(v, len, &cfg->watchdog_ms);
}

static bool parse_slice(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
	return parse_u64(v, len, &cfg->slice_ms) && cfg->slice_ms > 0;
}

/* `disk=` is guest 0's (CONTRACT.md 10). */
static bool parse_disk(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	return disk_parse(v, len, &cfg->guest[guest < 0 ? 0 : guest].disk);
}

static bool parse_on_off(const char *v, size_t len, bool *flag)
{
	if (!v || value_is(v, len, "on"))
		*flag = true;
	else if (value_is(v, len, "off"))
		*flag = false;
	else
		return false;
	return true;
}

static bool parse_dedup(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
	return parse_on_off(v, len, &cfg->dedup);
}

static bool parse_bios(const char *v, size_t len, struct hv_config *cfg, int guest)
{
	(void)guest;
	return parse_on_off(v, len, &cfg->bios);
}

static const struct {
	const char *key;
	bool (*parse)(const char *value, size_t len, struct hv_config *cfg, int guest);
	const char *expect;
	bool per_guest;  /* also as `key.K=value` for guest K */
	bool flag;       /* also bare: `key` alone, which the parser gets as value NULL */
} options[] = {
	{ "backend", parse_backend, "auto, vmx or svm", false, false },
	{ "guest_mem", parse_mib, "a number of MiB from 2 to 4096", true, false },
	{ "disk", parse_disk, "START:COUNT or START, in sectors", true, false },
	{ "watchdog", parse_watchdog, "a number of ms", false, false },
	{ "slice", parse_slice, "a number of ms above 0", false, false },
	{ "dedup", parse_dedup, "on or off (or the bare word)", false, true },
	{ "bios", parse_bios, "on or off (or the bare word)", false, true },
	{ "selftest", parse_selftest, "ud2 or pf", false, false },
};

/* The guest number of a key's `.K` suffix (one digit below MAX_GUESTS), or -1 if bad. */
static int guest_suffix(const char *s, size_t n)
{
	if (n != 2 || s[0] != '.' || s[1] < '0' || s[1] >= '0' + MAX_GUESTS)
		return -1;
	return s[1] - '0';
}

bool cmdline_parse(const char *cmdline, struct hv_config *cfg)
{
	const char *s = cmdline_words(cmdline ? cmdline : "");
	bool ok = true;

	*cfg = (struct hv_config){ .backend = BACKEND_AUTO, .guest_mem_mib = 32, .slice_ms = 10 };
	for (s = skip_spaces(s); *s; s = skip_spaces(s)) {
		size_t n = word_len(s);
		const char *eq = find_equals(s, n);
		size_t klen = eq ? (size_t)(eq - s) : n;
		int guest = -1;
		size_t i, base;

		for (i = 0; i < ARRAY_SIZE(options); i++) {
			base = strlen(options[i].key);
			if (base > klen || strncmp(s, options[i].key, base))
				continue;
			if (base == klen)
				break;
			guest = options[i].per_guest ? guest_suffix(s + base, klen - base) : -1;
			if (guest >= 0)
				break;
		}
		if (i == ARRAY_SIZE(options)) {
			log_printf("cmdline: ignoring unknown word '%.*s'\n", (int)n, s);
		} else if (!eq && options[i].flag) {
			options[i].parse(NULL, 0, cfg, guest);
		} else if (!eq || !options[i].parse(eq + 1, n - klen - 1, cfg, guest)) {
			log_printf("cmdline: bad value in '%.*s': %s wants %s\n", (int)n, s,
				   options[i].key, options[i].expect);
			ok = false;
		}
		s += n;
	}
	return ok;
}
