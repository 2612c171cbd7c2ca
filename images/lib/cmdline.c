// The guest's own command line (Multiboot 0.6.96, section 3.3: cmdline), word by word.
#include "multiboot.h"
#include "string.h"

const char *cmdline_value(const struct multiboot_info *info, const char *key)
{
    if (!info || !(info->flags & MULTIBOOT_INFO_CMDLINE))
        return NULL;
    const char *line = (const char *)info->cmdline;
    size_t n = strlen(key);
    for (const char *s = line; *s; s++)
        if ((s == line || s[-1] == ' ') && strncmp(s, key, n) == 0)
            return s + n;
    return NULL;
}

bool cmdline_number(const struct multiboot_info *info, const char *key, uint32_t *value)
{
    const char *s = cmdline_value(info, key);
    if (!s)
        return false;
    for (*value = 0; *s >= '0' && *s <= '9'; s++)
        *value = *value * 10 + (uint32_t)(*s - '0');
    return true;
}
