/*
 * Coverage-guided fuzzing of the device models on the host (libFuzzer, with ASan and UBSan:
 * `lab fuzz-devices`). Each harness reads its input as a sequence of operations, the way a
 * guest and the hypervisor drive a model: port reads and writes of width 1, 2 or 4 at any
 * port of the model, string transfers through its block hooks, and the model's own events
 * (an IRQ line, time passing, a scancode, a received byte). A fresh model per input.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"
#include "portbus.h"

struct fuzz_input {
	const u8 *p;
	size_t n;
};

static inline u8 take8(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline u32 take32(struct fuzz_input *in)
{
	u32 v = take8(in);

	v |= (u32)take8(in) << 8;
	v |= (u32)take8(in) << 16;
	return v | (u32)take8(in) << 24;
}

static inline u64 take64(struct fuzz_input *in)
{
	u64 lo = take32(in);

	return lo | (u64)take32(in) << 32;
}

static inline u8 take_size(struct fuzz_input *in)
{
	static const u8 sizes[] = { 1, 2, 4 };

	return sizes[take8(in) % 3];
}

/* Operation codes every harness shares; the rest are the model's events. */
enum { OP_READ, OP_WRITE, OP_READ_BLOCK, OP_WRITE_BLOCK, OP_EVENT, OP_KINDS };

#define FUZZ_BLOCK_MAX 4096	/* bytes a string transfer moves at most */

/* One port operation on one of the model's port ranges. */
static inline void fuzz_port_op(struct fuzz_input *in, int op, struct port_device *const *devs,
				unsigned ndevs)
{
	static u8 block[FUZZ_BLOCK_MAX];
	struct port_device *d = devs[take8(in) % ndevs];
	u16 port = d->base + take8(in) % d->count;
	u8 size = take_size(in);
	u32 count = (take8(in) | (u32)take8(in) << 8) % (FUZZ_BLOCK_MAX / size + 1);

	/* The bus hands an 8-bit device byte accesses only (core/portbus.c). */
	if (d->eight_bit)
		size = 1;
	switch (op) {
	case OP_READ:
		(void)d->read(d->state, port, size);
		break;
	case OP_WRITE:
		d->write(d->state, port, size, take32(in));
		break;
	case OP_READ_BLOCK:
		if (d->read_block)
			(void)d->read_block(d->state, port, size, block, count);
		break;
	case OP_WRITE_BLOCK:
		for (u32 i = 0; i < count * size && in->n; i++)
			block[i] = take8(in);
		if (d->write_block)
			(void)d->write_block(d->state, port, size, block, count);
		break;
	}
}

/* The input, operation by operation, until it runs out: port operations on `devs`, and
 * the model's own events through `event` (which takes its operands from the input). */
static inline void fuzz_run(struct fuzz_input *in, struct port_device *const *devs,
			    unsigned ndevs, void (*event)(struct fuzz_input *in))
{
	while (in->n) {
		int op = take8(in) % OP_KINDS;

		if (op == OP_EVENT)
			event(in);
		else
			fuzz_port_op(in, op, devs, ndevs);
	}
}

#endif
