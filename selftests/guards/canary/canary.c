// SPDX-License-Identifier: GPL-2.0
/*
 * canary.ko: proves that the debug-kernel tier catches bugs. Loading it
 * commits one use-after-free and leaks one allocation, on purpose; the tier's
 * harness self-test expects a KASAN report and a kmemleak report for it.
 * Test-only: never built into vmq.ko, never loaded by anything else.
 */
#include <linux/module.h>
#include <linux/slab.h>

static void *canary_leak;

static noinline void canary_use_after_free(void)
{
	volatile char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree((void *)p);
	p[8] = 0x5a;	/* KASAN: use-after-free */
}

static int __init canary_init(void)
{
	canary_use_after_free();
	canary_leak = kmalloc(128, GFP_KERNEL);
	canary_leak = NULL;	/* kmemleak: unreferenced object */
	pr_info("vmq canary: use-after-free and leak committed\n");
	return 0;
}

static void __exit canary_exit(void)
{
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_DESCRIPTION("vmq debug-tier canary: a deliberate use-after-free and leak");
MODULE_LICENSE("GPL");
