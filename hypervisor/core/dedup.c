/*
 * Page deduplication across guests (CONTRACT.md 10, `dedup`), after KVM's KSM: guest pages
 * with the same content are mapped read-only to one host page; the first write to such a
 * page faults (a nested page fault on a present page) and gives the writer a copy of its
 * own. A scan walks every guest page in turn, a few at a time (dedup_scan, at most
 * SCAN_BUDGET_NS of each host tick, more when every guest is halted), and looks each
 * page's hash up:
 *   - among the shared pages: the same content merges the page into that one;
 *   - among the candidates of this pass (private pages seen before): the same content makes
 *     the two one shared page;
 *   - else the page becomes a candidate.
 * Contents are compared in full before any merge (a hash match proves nothing), and only
 * the hypervisor runs while it scans, so nothing changes under a comparison. Candidates are
 * forgotten at the end of each pass (KSM's unstable tree): pages change.
 * The hypervisor's own accesses to guest memory go through vm_gpa_to_hva, which follows the
 * mappings here, and vm_gpa_to_hva_write, which unshares first.
 */
#include "dedup.h"
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "run_end.h"
#include "vm.h"

#define SHARED_SLOTS 16384    /* host pages shared, at most (a power of 2) */
#define CANDIDATE_SLOTS 32768 /* private pages remembered per pass (a power of 2) */
#define SCAN_BUDGET_NS 200000 /* of each 1 ms host tick: the guests keep 80% at least */
/* With every guest halted the CPU is idle: the scan takes most of the tick, and leaves
 * room for the tick's own work, so that no tick is lost to it. */
#define SCAN_IDLE_BUDGET_NS 700000
#define PAGE_WORDS (PAGE_SIZE / 8)

struct shared {
	u64 hash, hpa;     /* hpa 0: a free slot; refs 0 with hpa set: a removed one */
	u32 refs;          /* guest pages mapped to it */
	bool zero;
};

struct candidate {
	u64 hash, hpa;     /* hpa 0: a free slot */
	u32 guest, gfn;
};

static struct vm *guests;
static int nr_guests;
static struct shared *shared;
static struct candidate *candidates;
static u64 free_pages;     /* host pages given up by merges, linked through their first word */
static int scan_guest;
static u64 scan_gfn;
static u64 last_tick;
bool dedup_on;
static u64 ram_pages;      /* guest pages of all guests */
static u64 saved;          /* guest pages that need no host page of their own */
static u64 changed;        /* shared pages found changed: see verify_one */

/* FNV-1a over 64-bit words: cheap, and a match is checked in full anyway. */
static u64 page_hash(u64 hpa)
{
	const u64 *w = (const u64 *)hpa;
	u64 h = 0xcbf29ce484222325ULL;

	for (u64 i = 0; i < PAGE_WORDS; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

static bool page_is_zero(u64 hpa)
{
	const u64 *w = (const u64 *)hpa;

	for (u64 i = 0; i < PAGE_WORDS; i++)
		if (w[i])
			return false;
	return true;
}

static bool same_page(u64 a, u64 b)
{
	return !memcmp((const void *)a, (const void *)b, PAGE_SIZE);
}

static void give_page(u64 hpa)
{
	*(u64 *)hpa = free_pages;
	free_pages = hpa;
}

static u64 take_page(void)
{
	u64 hpa = free_pages;

	if (!hpa)
		return page_alloc();
	free_pages = *(u64 *)hpa;
	return hpa;
}

/* Guest page gfn is RAM, and not the VGA window (the real screen or its copy). */
static bool is_ram_page(const struct vm *vm, u64 gfn)
{
	u64 gpa = gfn * PAGE_SIZE;

	return gpa < vm->ram_size && (gpa < VGA_WINDOW_START || gpa >= VGA_TEXT_END);
}

/* Maps guest page gfn to hpa: read-only as a sharer of shared[slot], or its own (slot -1). */
static void map(struct vm *vm, u64 gfn, u64 hpa, int slot)
{
	vm->page_hpa[gfn] = hpa;
	vm->page_shared[gfn] = slot + 1;
	vm_map_ram_page(vm, gfn * PAGE_SIZE, hpa, slot < 0);
	vm->tlb_stale = true;
}

static int slot_of(const struct shared *s)
{
	return (int)(s - shared);
}

/* The shared page with this hash and content. */
static struct shared *find_shared(u64 hash, u64 content)
{
	for (u32 i = hash & (SHARED_SLOTS - 1), n = 0; n < SHARED_SLOTS;
	     i = (i + 1) & (SHARED_SLOTS - 1), n++) {
		struct shared *s = &shared[i];

		if (!s->hpa)
			return NULL;
		if (!s->refs || s->hash != hash)
			continue;
		if (same_page(s->hpa, content))
			return s;
	}
	return NULL;
}

static struct shared *add_shared(u64 hash, u64 hpa)
{
	for (u32 i = hash & (SHARED_SLOTS - 1), n = 0; n < SHARED_SLOTS;
	     i = (i + 1) & (SHARED_SLOTS - 1), n++)
		if (!shared[i].hpa || !shared[i].refs) {
			shared[i] = (struct shared){ hash, hpa, 0, page_is_zero(hpa) };
			return &shared[i];
		}
	return NULL;
}

/* One guest page, private so far: merge it, pair it, or remember it. */
static void scan_page(struct vm *vm, u64 gfn)
{
	u64 hpa = vm->page_hpa[gfn], hash = page_hash(hpa);
	struct shared *s = find_shared(hash, hpa);
	u32 i, n;

	if (s) {
		map(vm, gfn, s->hpa, slot_of(s));
		give_page(hpa);
		s->refs++;
		saved++;
		return;
	}
	for (i = hash & (CANDIDATE_SLOTS - 1), n = 0; n < CANDIDATE_SLOTS && candidates[i].hpa;
	     i = (i + 1) & (CANDIDATE_SLOTS - 1), n++) {
		struct candidate *c = &candidates[i];
		struct vm *other = &guests[c->guest];

		/* Still private and still where it was, with the same content: a pair. */
		if (c->hash != hash || other->page_shared[c->gfn] ||
		    other->page_hpa[c->gfn] != c->hpa || c->hpa == hpa || !same_page(c->hpa, hpa))
			continue;
		s = add_shared(hash, c->hpa);
		if (!s)
			return; /* the table is full: stays private */
		map(other, c->gfn, c->hpa, slot_of(s));
		map(vm, gfn, c->hpa, slot_of(s));
		give_page(hpa);
		s->refs = 2;
		saved++;
		c->hash = ~hash; /* it is shared now: no longer a candidate */
		return;
	}
	if (n < CANDIDATE_SLOTS)
		candidates[i] = (struct candidate){ hash, hpa, vm->id, gfn };
}

static void flush_stale(void)
{
	for (int k = 0; k < nr_guests; k++)
		if (guests[k].tlb_stale) {
			guests[k].tlb_stale = false;
			guests[k].ops->flush_tlb(&guests[k].vcpu);
		}
}

/*
 * A shared page is read-only to every guest, so its content cannot change: one is checked
 * per tick. An emulator that sets a guest page table's accessed or dirty bits without
 * honouring the nested table's write protection breaks that; it is logged (once per page
 * slot) and the page's hash follows its content, so that the tables stay consistent.
 */
static u32 verify_slot;

static void verify_one(void)
{
	struct shared *s;
	u64 hash;

	for (u32 n = 0; n < SHARED_SLOTS; n++) {
		s = &shared[verify_slot];
		verify_slot = (verify_slot + 1) & (SHARED_SLOTS - 1);
		if (!s->hpa || !s->refs)
			continue;
		hash = page_hash(s->hpa);
		if (hash != s->hash) {
			changed++;
			log_printf("dedup: shared page %#lx (%u sharers) changed while read-only\n",
				   s->hpa, s->refs);
			s->hash = hash;
			s->zero = page_is_zero(s->hpa);
		}
		return;
	}
}

void dedup_scan_tick(bool idle)
{
	u64 start, budget = idle ? SCAN_IDLE_BUDGET_NS : SCAN_BUDGET_NS;

	if (host_ticks == last_tick)
		return;
	last_tick = host_ticks;
	start = time_ns();
	verify_one();
	do {
		struct vm *vm = &guests[scan_guest];

		if (scan_gfn >= vm->ram_size / PAGE_SIZE) {
			scan_gfn = 0;
			if (++scan_guest == nr_guests) {
				scan_guest = 0; /* a pass is over: its candidates are old news */
				memset(candidates, 0, CANDIDATE_SLOTS * sizeof(*candidates));
			}
			continue;
		}
		if (vm->state != VM_ENDED && is_ram_page(vm, scan_gfn) &&
		    !vm->page_shared[scan_gfn])
			scan_page(vm, scan_gfn);
		scan_gfn++;
	} while (time_ns() - start < budget);
	flush_stale();
}

bool dedup_unshare(struct vm *vm, u64 gpa)
{
	u64 gfn = gpa / PAGE_SIZE, hpa, copy;
	struct shared *s;

	if (!vm->page_hpa || gpa >= vm->ram_size || !vm->page_shared[gfn])
		return false;
	hpa = vm->page_hpa[gfn];
	s = &shared[vm->page_shared[gfn] - 1];
	if (s->hpa != hpa || !s->refs)
		panic("dedup: guest %d page %#lx maps %#lx, not its shared page %#lx", vm->id, gpa,
		      hpa, s->hpa);
	if (--s->refs == 0) {
		/* The last one: it takes the page back as its own, no copy needed. */
		map(vm, gfn, hpa, -1);
	} else {
		copy = take_page();
		if (!copy)
			panic("dedup: out of memory for a copy of guest %d's page %#lx", vm->id, gpa);
		memcpy((void *)copy, (const void *)hpa, PAGE_SIZE);
		map(vm, gfn, copy, -1);
		saved--;
	}
	flush_stale();
	return true;
}

void dedup_init(struct vm *vms, int n)
{
	guests = vms;
	nr_guests = n;
	shared = (struct shared *)pages_alloc_contig(
		ALIGN_UP(SHARED_SLOTS * sizeof(*shared), PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	candidates = (struct candidate *)pages_alloc_contig(
		ALIGN_UP(CANDIDATE_SLOTS * sizeof(*candidates), PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
	if (!shared || !candidates)
		panic("dedup: no memory for its tables");
	memset(shared, 0, SHARED_SLOTS * sizeof(*shared));
	memset(candidates, 0, CANDIDATE_SLOTS * sizeof(*candidates));
	for (int k = 0; k < n; k++) {
		struct vm *vm = &vms[k];
		u64 pages = vm->ram_size / PAGE_SIZE;

		vm->page_hpa = (u64 *)pages_alloc_contig(
			ALIGN_UP(pages * (sizeof(u64) + sizeof(u16)), PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE);
		if (!vm->page_hpa)
			panic("dedup: no memory for guest %d's page map", k);
		vm->page_shared = (u16 *)(vm->page_hpa + pages);
		for (u64 gfn = 0; gfn < pages; gfn++) {
			vm->page_hpa[gfn] = vm->ram_hpa + gfn * PAGE_SIZE;
			vm->page_shared[gfn] = 0;
			if (is_ram_page(vm, gfn))
				ram_pages++;
		}
	}
	dedup_on = true;
	log_printf("dedup: on, %lu guest pages in %d guests\n", ram_pages, n);
}

void dedup_log(void)
{
	u64 nshared = 0, zero = 0;

	if (!shared)
		return;
	for (u32 i = 0; i < SHARED_SLOTS; i++) {
		if (shared[i].zero)
			zero += shared[i].refs; /* one page: the zero page */
		if (shared[i].refs >= 2)
			nshared++;
	}
	log_printf("@lab mem guest-pages=%lu host-pages=%lu shared=%lu saved=%lu zero=%lu\n",
		   ram_pages, ram_pages - saved, nshared, saved, zero);
}
