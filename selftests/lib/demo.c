// SPDX-License-Identifier: GPL-2.0
/*
 * The vmq demo: three VMs form a media pipeline, read -> decode -> play.
 *
 *   reader   produces a deterministic stream of "encoded" blocks (the
 *            plain data XOR a per-block key stream) and sends them to the
 *            decoder;
 *   decoder  removes the key stream, writing the plain blocks into a page
 *            of its page window, PAGE_BLOCKS to a page, and hands each full
 *            page to the player by zero-copy page transfer (the page leaves
 *            the decoder's guest-physical memory and appears in the
 *            player's; no byte is copied);
 *   player   checks every block (order, bytes), counts it, gives the page
 *            back to its window's pool, and returns credits to the reader,
 *            which never has more than a window of blocks in flight, so no
 *            queue and no page window ever fills.
 *
 * The VMs start unnamed and unconnected. The demo sets them up with the
 * vmqctl tool only, as an administrator would:
 *
 *   vmqctl name <id> reader          (and decoder, player)
 *   vmqctl allow player reader       (credits flow back)
 *   vmqctl introduce decoder player
 *   vmqctl introduce reader decoder
 *
 * Introductions go from the end of the pipeline, so that every stage
 * knows where to send before the first block reaches it.
 *
 * and the guests learn their peers from the VMQ_MSG_IDENTITY records the
 * introductions put into their queues; the player finds the reader with
 * VMQ_HC_LOOKUP("reader"), which succeeds because it may send there. Data
 * moves with lazy sends (each vCPU's transmit ring, delivered at its next
 * VM exit), copies and pages alike, and blocking receive (VMQ_HC_WAIT): a
 * guest exits only when it has nothing to do (and the player once per page
 * it gives back).
 *
 * vmqt_demo_run() prints a progress line every second and a summary:
 * messages, bytes, pages moved (and the bytes vmq copied meanwhile), VM
 * exits per message (KVM's "exits" vCPU statistic), errors (must be 0) and
 * the player's verdict.
 * It returns 0 only if everything checked out.
 *
 * Two programs link it: vmq_demo (the demo, "make demo") and pipeline_test
 * (the small data set as a kselftest).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "vmqt.h"
#include "vmqt_demo.h"

#define BLOCK_SIZE	VMQT_DEMO_BLOCK_SIZE
#define WINDOW		16		/* blocks in flight, reader to player */
#define CREDIT_EVERY	4		/* the player returns credits per N */
#define RX_DATA		(64 << 10)	/* receive ring data area */
#define TX_PAGES	1		/* transmit ring: one page of descriptors */
#define TX_BYTES	(VMQ_RING_HDR_SIZE + TX_PAGES * 4096)
#define TX_DESC		(TX_PAGES * 4096 / sizeof(struct vmq_tx_desc))
/* Page windows of the decoder and the player. */
#define PAGE_BLOCKS	VMQT_DEMO_PAGE_BLOCKS
#define WIN_SLOTS	8
#define WIN_GPA		0x80000000ULL	/* identity mapped */
#define WIN_MEMSLOT	2

/* Message tags: the low 32 bits carry a value, the top byte the kind. */
#define TAG_BLOCK	(1ULL << 56)	/* value: block number */
#define TAG_END		(2ULL << 56)	/* value: blocks sent */
#define TAG_CREDIT	(3ULL << 56)	/* value: blocks played so far */
#define TAG_FINAL	(4ULL << 56)	/* value: blocks played, all of them */
#define TAG_PAGE	(5ULL << 56)	/* value: first block; TAG_COUNT: how many */
#define TAG_COUNT(t)	((u32)((t) >> 32) & 0xffffff)
#define TAG_KIND(t)	((t) & (0xffULL << 56))
#define TAG_VAL(t)	((u32)(t))

enum role { READER, DECODER, PLAYER, NR_ROLES };

static const char * const role_name[NR_ROLES] = {
	"reader", "decoder", "player",
};

/*
 * One page shared by the host and a guest. The host fills in the
 * geometry before the vCPU runs; the guest publishes progress with
 * relaxed atomic stores that the host's progress line reads.
 */
struct demo_page {
	/* In. */
	u64 role;
	u64 nr_blocks;			/* the data set: blocks to send */
	u64 rx_gva, rx_gpa;
	u64 tx_gva, tx_gpa;
	u64 buf_gva, buf_gpa;		/* TX_DESC slots of BLOCK_SIZE */
	u64 self_gpa;			/* of this page */
	char lookup[VMQ_NAME_MAX];	/* "reader": the player's lookup */
	/* Out. */
	u64 ready;			/* queues registered */
	u64 peer_in, peer_out;		/* ids learned from identities */
	u64 msgs_in, bytes_in;		/* data messages received */
	u64 msgs_out, bytes_out;	/* data messages sent (completed ok) */
	u64 blocks;			/* produced, decoded, played */
	u64 hash;			/* FNV-1a of the plain stream */
	u64 errors;			/* anything wrong the guest noticed */
	s64 first_error;		/* the first failed send status, or 0 */
	u64 verdict;			/* player: 1 when the stream is perfect */
	u64 done;
	u64 win;			/* in: page window at WIN_GPA, or 0 */
	u64 pages_out, pages_in;	/* out: pages sent / received */
};

/* ---- the data: shared by guests and host -------------------------------- */

/* A small, fast, deterministic generator: splitmix64. */
static inline u64 demo_mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Plain byte @i of block @k (what the player must end up with). */
static inline u8 demo_plain(u64 k, u32 i)
{
	return (u8)(demo_mix(k * 4099 + (i >> 3)) >> ((i & 7) * 8));
}

/* The key stream the reader's "file" is encoded with. */
static inline u8 demo_key(u64 k, u32 i)
{
	return (u8)(demo_mix(~k * 131 + i) >> 17);
}

static inline u64 demo_fnv(u64 h, const u8 *p, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* ---- guest side ----------------------------------------------------------- */

struct gsend {
	struct vmqg_tx tx;
	struct demo_page *p;
	u8 *buf;			/* TX_DESC slots */
	u32 checked;			/* descriptors whose status was read */
};

/* Account for every descriptor the host completed since the last look. */
static void gsend_reap(struct gsend *s)
{
	u32 cons = __atomic_load_n(&s->tx.hdr->cons, __ATOMIC_ACQUIRE);

	while (s->checked != cons) {
		struct vmq_tx_desc *d = &s->tx.desc[s->checked & (s->tx.nr - 1)];
		s32 st = vmqg_tx_status(d);

		if (st) {
			if (!s->p->first_error)
				s->p->first_error = st;
			s->p->errors++;
		} else if (TAG_KIND(d->tag) == TAG_BLOCK) {
			__atomic_store_n(&s->p->msgs_out, s->p->msgs_out + 1,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&s->p->bytes_out,
					 s->p->bytes_out + d->len,
					 __ATOMIC_RELAXED);
		} else if (TAG_KIND(d->tag) == TAG_PAGE) {
			/* msgs_out counts blocks, whichever way they went. */
			__atomic_store_n(&s->p->msgs_out,
					 s->p->msgs_out + TAG_COUNT(d->tag),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&s->p->bytes_out, s->p->bytes_out +
					 TAG_COUNT(d->tag) * BLOCK_SIZE,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&s->p->pages_out, s->p->pages_out + 1,
					 __ATOMIC_RELAXED);
		}
		s->checked++;
	}
}

/* The payload slot the next post will use. */
static u8 *gsend_slot(struct gsend *s)
{
	/* A full ring: deliver now (one exit) to free the slots. */
	while (vmqg_tx_inflight(&s->tx) >= s->tx.nr)
		vmqg_tx_flush();
	gsend_reap(s);
	return s->buf + (s->tx.prod & (s->tx.nr - 1)) * BLOCK_SIZE;
}

/* Lazy send of the slot gsend_slot() returned: no exit here. */
static void gsend_post(struct gsend *s, u32 dest, u32 len, u64 tag)
{
	u8 *slot = s->buf + (s->tx.prod & (s->tx.nr - 1)) * BLOCK_SIZE;
	u64 gpa = s->p->buf_gpa + (slot - s->buf);

	GUEST_ASSERT(vmqg_tx_post(&s->tx, dest, gpa, len, tag));
}

/*
 * Lazy send of the held window slot at @gpa, by page transfer. Like every
 * transmit descriptor it waits for the next exit; the page stays ours
 * until the descriptor completes.
 */
static struct vmq_tx_desc *gsend_page(struct gsend *s, u32 dest, u64 gpa,
				      u64 tag)
{
	struct vmq_tx_desc *d;

	gsend_slot(s);			/* room in the ring */
	d = vmqg_tx_post_page(&s->tx, dest, gpa, tag);
	GUEST_ASSERT(d);
	return d;
}

/* Deliver everything posted and account for it. */
static void gsend_finish(struct gsend *s)
{
	while (vmqg_tx_inflight(&s->tx))
		vmqg_tx_flush();
	gsend_reap(s);
}

/* The next record in the queue, halting in VMQ_HC_WAIT while it is empty. */
static const struct vmq_msg_hdr *grecv(struct vmqg_rx *rx)
{
	const struct vmq_msg_hdr *m;

	while (!(m = vmqg_rx_peek(rx))) {
		/* The exit of this hypercall also delivers our lazy sends. */
		s64 r = vmqg_wait(VMQ_WAIT_MAX_NS);

		GUEST_ASSERT(r >= 0);
	}
	return m;
}

static bool gname_is(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Identities: who is upstream (sends to us) and downstream. */
static void gidentity(struct demo_page *p, const struct vmq_msg_hdr *m)
{
	const struct vmq_identity *idn = vmqg_msg_payload(m);

	if (m->sender != 0 || m->len != sizeof(*idn)) {
		p->errors++;
		return;
	}
	switch (p->role) {
	case READER:
		p->peer_out = idn->id;		/* the decoder */
		break;
	case DECODER:
		if (gname_is(idn->name, "reader"))
			p->peer_in = idn->id;
		else if (gname_is(idn->name, "player"))
			p->peer_out = idn->id;
		else
			p->errors++;
		break;
	case PLAYER:
		p->peer_in = idn->id;		/* the decoder */
		break;
	}
}

/* The next record that is not an identity, taking identities on the way. */
static const struct vmq_msg_hdr *grecv_data(struct demo_page *p,
					    struct vmqg_rx *rx)
{
	const struct vmq_msg_hdr *m;

	while ((m = grecv(rx))->type == VMQ_MSG_IDENTITY) {
		gidentity(p, m);
		vmqg_rx_consume(rx, m);
	}
	return m;
}

static void guest_reader(struct demo_page *p, struct vmqg_rx *rx,
			 struct gsend *s)
{
	u64 sent = 0, credited = 0, h = FNV_INIT;
	bool final = false;

	while (!final) {
		const struct vmq_msg_hdr *m;

		/* Take in whatever arrived: identities and credits. */
		while ((m = vmqg_rx_peek(rx))) {
			if (m->type == VMQ_MSG_IDENTITY) {
				gidentity(p, m);
			} else if (TAG_KIND(m->tag) == TAG_CREDIT) {
				credited = TAG_VAL(m->tag);
			} else if (TAG_KIND(m->tag) == TAG_FINAL) {
				credited = TAG_VAL(m->tag);
				final = true;
			} else {
				p->errors++;
			}
			vmqg_rx_consume(rx, m);
		}
		if (final)
			break;
		if (!p->peer_out || sent == p->nr_blocks + 1 ||
		    sent - credited >= WINDOW) {
			grecv(rx);	/* wait for an identity or credits */
			continue;
		}
		if (sent == p->nr_blocks) {
			/* The end marker: how many blocks and their hash. */
			u8 *slot = gsend_slot(s);

			__builtin_memcpy(slot, &h, sizeof(h));
			gsend_post(s, p->peer_out, sizeof(h), TAG_END | sent);
			sent++;
			continue;
		}
		/* "Read" block @sent: the encoded form of the plain data. */
		{
			u8 *slot = gsend_slot(s);
			u32 i;

			for (i = 0; i < BLOCK_SIZE; i++) {
				u8 plain = demo_plain(sent, i);

				h = (h ^ plain) * 0x100000001b3ULL;
				slot[i] = plain ^ demo_key(sent, i);
			}
			gsend_post(s, p->peer_out, BLOCK_SIZE, TAG_BLOCK | sent);
			sent++;
			__atomic_store_n(&p->blocks, sent, __ATOMIC_RELAXED);
			p->hash = h;
		}
	}
	if (credited != p->nr_blocks)
		p->errors++;
	gsend_finish(s);
}

/*
 * The decoder's page slots: it fills slot (page % WIN_SLOTS) and sends it,
 * and reuses a slot only once the send that took its last page completed
 * (the slot then holds a fresh zeroed page).
 */
struct gpages {
	u32 sent_at[WIN_SLOTS];		/* transmit ring index of its send */
	bool in_flight[WIN_SLOTS];
	u64 page;			/* pages started */
	u32 fill;			/* blocks in the current page */
	u64 first;			/* its first block */
};

static u8 *gpages_current(struct gsend *s, struct gpages *g)
{
	u32 slot = g->page % WIN_SLOTS;

	while (g->in_flight[slot] &&
	       (s32)(__atomic_load_n(&s->tx.hdr->cons, __ATOMIC_ACQUIRE) -
		     g->sent_at[slot]) <= 0)
		vmqg_tx_flush();
	g->in_flight[slot] = false;
	return (u8 *)(WIN_GPA + slot * 4096ULL);
}

/* Send the current page, however full, to @dest. */
static void gpages_send(struct gsend *s, struct gpages *g, u32 dest)
{
	u32 slot = g->page % WIN_SLOTS;

	if (!g->fill)
		return;
	g->sent_at[slot] = s->tx.prod;
	g->in_flight[slot] = true;
	gsend_page(s, dest, WIN_GPA + slot * 4096ULL,
		   TAG_PAGE | ((u64)g->fill << 32) | g->first);
	g->page++;
	g->fill = 0;
}

static void guest_decoder(struct demo_page *p, struct vmqg_rx *rx,
			  struct gsend *s)
{
	struct gpages g = { };

	for (;;) {
		const struct vmq_msg_hdr *m = grecv_data(p, rx);
		const u8 *in = vmqg_msg_payload(m);

		if (!p->peer_in || !p->peer_out || m->sender != p->peer_in) {
			p->errors++;
			vmqg_rx_consume(rx, m);
			continue;
		}
		__atomic_store_n(&p->msgs_in, p->msgs_in + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&p->bytes_in, p->bytes_in + m->len,
				 __ATOMIC_RELAXED);
		if (TAG_KIND(m->tag) == TAG_END) {
			u8 *slot;

			/* The last, partial page, then the end marker. */
			gpages_send(s, &g, p->peer_out);
			slot = gsend_slot(s);
			__builtin_memcpy(slot, in, m->len);
			gsend_post(s, p->peer_out, m->len, m->tag);
			vmqg_rx_consume(rx, m);
			break;
		}
		if (TAG_KIND(m->tag) != TAG_BLOCK || m->len != BLOCK_SIZE) {
			p->errors++;
			vmqg_rx_consume(rx, m);
			continue;
		}
		{
			u64 k = TAG_VAL(m->tag);
			u8 *page = gpages_current(s, &g);
			u8 *out = page + g.fill * BLOCK_SIZE;
			u32 i;

			/* Decode straight into the page the player will get. */
			for (i = 0; i < BLOCK_SIZE; i++)
				out[i] = in[i] ^ demo_key(k, i);
			vmqg_rx_consume(rx, m);
			__atomic_store_n(&p->blocks, p->blocks + 1,
					 __ATOMIC_RELAXED);
			if (!g.fill)
				g.first = k;
			if (++g.fill == PAGE_BLOCKS)
				gpages_send(s, &g, p->peer_out);
		}
	}
	gsend_finish(s);
}

static void guest_player(struct demo_page *p, struct vmqg_rx *rx,
			 struct gsend *s)
{
	u64 played = 0, credited = 0, bad = 0, h = FNV_INIT;
	s64 reader;

	for (;;) {
		const struct vmq_msg_hdr *m = grecv_data(p, rx);
		const u8 *in = vmqg_msg_payload(m);

		if (m->sender != p->peer_in) {
			p->errors++;
			vmqg_rx_consume(rx, m);
			continue;
		}
		/* Blocks come by page: bytes_in counts them there. */
		__atomic_store_n(&p->msgs_in, p->msgs_in + 1, __ATOMIC_RELAXED);
		if (TAG_KIND(m->tag) == TAG_END) {
			u64 rh;

			__builtin_memcpy(&rh, in, sizeof(rh));
			if (m->len != sizeof(rh) || TAG_VAL(m->tag) != played ||
			    rh != h || played != p->nr_blocks)
				bad++;
			vmqg_rx_consume(rx, m);
			break;
		}
		if (m->type != VMQ_MSG_PAGE || m->len != sizeof(struct vmq_page_msg) ||
		    TAG_KIND(m->tag) != TAG_PAGE) {
			bad++;
			vmqg_rx_consume(rx, m);
			continue;
		}
		{
			struct vmq_page_msg pm;
			u64 k = TAG_VAL(m->tag), b;
			u32 n = TAG_COUNT(m->tag), i;
			const u8 *page;

			__builtin_memcpy(&pm, in, sizeof(pm));
			vmqg_rx_consume(rx, m);
			page = (const u8 *)pm.gpa;	/* identity mapped */
			/* In order, whole, and what the reader read. */
			if (k != played || !n || n > PAGE_BLOCKS ||
			    pm.size != 4096 || pm.gpa < WIN_GPA ||
			    pm.gpa >= WIN_GPA + WIN_SLOTS * 4096ULL) {
				bad++;
				continue;
			}
			for (b = 0; b < n; b++) {
				for (i = 0; i < BLOCK_SIZE; i++) {
					u8 c = page[b * BLOCK_SIZE + i];

					if (c != demo_plain(k + b, i))
						bad++;
					h = (h ^ c) * 0x100000001b3ULL;
				}
			}
			/* Done with it: the slot goes back to the pool. */
			if (vmqg_hypercall(VMQ_HC_PAGE_FREE, pm.gpa, 0, 0, 0))
				bad++;
			__atomic_store_n(&p->pages_in, p->pages_in + 1,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&p->bytes_in,
					 p->bytes_in + n * BLOCK_SIZE,
					 __ATOMIC_RELAXED);
			played += n;
			__atomic_store_n(&p->blocks, played, __ATOMIC_RELAXED);
			p->hash = h;
		}
		if (played - credited >= CREDIT_EVERY) {
			credited = played;
			/* Find the reader by name: allowed, so it resolves. */
			reader = vmqg_hypercall(VMQ_HC_LOOKUP, p->self_gpa +
						__builtin_offsetof(struct demo_page,
								   lookup),
						6, 0, 0);
			if (reader <= 0) {
				p->errors++;
				continue;
			}
			gsend_slot(s);
			gsend_post(s, reader, 8, TAG_CREDIT | played);
		}
	}
	p->errors += bad;
	p->verdict = !bad && played == p->nr_blocks;
	reader = vmqg_hypercall(VMQ_HC_LOOKUP, p->self_gpa +
				__builtin_offsetof(struct demo_page, lookup),
				6, 0, 0);
	if (reader > 0) {
		gsend_slot(s);
		gsend_post(s, reader, 8, TAG_FINAL | played);
	} else {
		p->errors++;
	}
	gsend_finish(s);
}

/*
 * The KVM library enters guest code with a 16-byte aligned stack pointer,
 * where the ABI has it 8 bytes off; realign, or the compiler's aligned
 * SSE spills fault (a triple fault: the guest has no IDT handler then).
 */
__attribute__((force_align_arg_pointer))
static void guest_code(struct demo_page *p)
{
	struct vmqg_rx rx;
	struct gsend s = { .p = p, .buf = (u8 *)p->buf_gva };

	GUEST_ASSERT(!vmqg_rx_register(&rx, (void *)p->rx_gva, p->rx_gpa,
				       VMQ_RING_HDR_SIZE + RX_DATA));
	GUEST_ASSERT(!vmqg_tx_register(&s.tx, (void *)p->tx_gva, p->tx_gpa,
				       TX_BYTES));
	GUEST_ASSERT(s.tx.nr == TX_DESC);
	if (p->win) {
		u64 i;

		GUEST_ASSERT(!vmqg_hypercall(VMQ_HC_WINDOW_BIND, WIN_GPA,
					     WIN_SLOTS * 4096ULL, 0, 0));
		/* The player receives pages: its slots start in the pool. */
		for (i = 0; p->role == PLAYER && i < WIN_SLOTS; i++)
			GUEST_ASSERT(!vmqg_hypercall(VMQ_HC_PAGE_FREE,
						     WIN_GPA + i * 4096, 0, 0, 0));
	}
	__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);

	switch (p->role) {
	case READER:
		guest_reader(p, &rx, &s);
		break;
	case DECODER:
		guest_decoder(p, &rx, &s);
		break;
	case PLAYER:
		guest_player(p, &rx, &s);
		break;
	}
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	GUEST_DONE();
}

/* ---- host side ------------------------------------------------------------ */

struct demo_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct demo_page *p;
	pthread_t thread;
	struct vmqt_win w;	/* page window; w.fd -1 if none */
	u32 id;
	int status;		/* 0: GUEST_DONE; -1: failed */
	char why[256];
};

static FILE *demo_out;
static bool demo_tap;

/* One line (or more) of output; as a test, TAP diagnostics ("# "). */
static void __attribute__((format(printf, 1, 2))) demo_say(const char *fmt, ...)
{
	char buf[512], *line, *save = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!demo_tap) {
		fputs(buf, demo_out);
		fflush(demo_out);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(demo_out, "# %s\n", line);
	fflush(demo_out);
}

static void *demo_vcpu_thread(void *arg)
{
	struct demo_vm *d = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(d->vcpu);
		switch (get_ucall(d->vcpu, &uc)) {
		case UCALL_DONE:
			d->status = 0;
			return NULL;
		case UCALL_SYNC:
			continue;
		case UCALL_UNHANDLED:
			snprintf(d->why, sizeof(d->why),
				 "unhandled exception %lu in the guest",
				 (unsigned long)uc.args[0]);
			break;
		case UCALL_ABORT:
			snprintf(d->why, sizeof(d->why), "guest assert: %s at %s:%ld",
				 (const char *)uc.args[0],
				 (const char *)uc.args[1], (long)uc.args[2]);
			break;
		default:
			snprintf(d->why, sizeof(d->why), "exit reason %u",
				 d->vcpu->run->exit_reason);
		}
		d->status = -1;
		__atomic_store_n(&d->p->done, 1, __ATOMIC_RELEASE);
		return NULL;
	}
}

static void demo_vm_create(struct demo_vm *d, enum role r, u64 blocks)
{
	struct vmqt_gmem page, rx, tx, buf;

	memset(d, 0, sizeof(*d));
	d->vm = vm_create_with_one_vcpu(&d->vcpu, guest_code);
	vm_init_descriptor_tables(d->vm);
	vcpu_init_descriptor_tables(d->vcpu);
	page = vmqt_gmem_alloc(d->vm, 4096);
	rx = vmqt_gmem_alloc(d->vm, VMQ_RING_HDR_SIZE + RX_DATA);
	tx = vmqt_gmem_alloc(d->vm, TX_BYTES);
	buf = vmqt_gmem_alloc(d->vm, TX_DESC * BLOCK_SIZE);
	d->p = page.hva;
	d->p->role = r;
	d->p->nr_blocks = blocks;
	d->p->rx_gva = rx.gva;
	d->p->rx_gpa = rx.gpa;
	d->p->tx_gva = tx.gva;
	d->p->tx_gpa = tx.gpa;
	d->p->buf_gva = buf.gva;
	d->p->buf_gpa = buf.gpa;
	d->p->self_gpa = page.gpa;
	strcpy(d->p->lookup, "reader");
	vcpu_args_set(d->vcpu, 1, page.gva);
	d->w.fd = -1;
	if (r != READER) {
		/* A page window, as a VMM sets one up; the guest binds it. */
		d->w = vmqt_window_map(d->vm, WIN_MEMSLOT, WIN_GPA, WIN_SLOTS, 4096);
		d->p->win = 1;
	}
	/* Known to vmq, but unnamed and allowed nothing: vmqctl does that. */
	TEST_ASSERT(!__vmqt_attach(d->vm, NULL, &d->id), "VMQ_IOC_ATTACH_VM");
}

/* The vmqctl binary: $VMQCTL, else "vmqctl" from $PATH. */
static const char *demo_vmqctl(void)
{
	const char *p = getenv("VMQCTL");

	return p && *p ? p : "vmqctl";
}

/* Run vmqctl with @argv[1..]; its output goes where ours does. */
static int demo_vmqctl_run(const char *const *argv, bool echo)
{
	int status, i;
	pid_t pid;

	if (echo) {
		char line[256];
		int n = 0;

		for (i = 1; argv[i]; i++)
			n += snprintf(line + n, sizeof(line) - n, " %s", argv[i]);
		demo_say("  $ vmqctl%s\n", line);
	}
	fflush(NULL);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		execvp(demo_vmqctl(), (char *const *)argv);
		fprintf(stderr, "vmq_demo: cannot run %s: %s\n", demo_vmqctl(),
			strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int demo_vmqctl3(const char *cmd, const char *a, const char *b)
{
	const char *argv[] = { "vmqctl", cmd, a, b, NULL };

	return demo_vmqctl_run(argv, true);
}

static bool demo_all_done(struct demo_vm *d)
{
	int i;

	for (i = 0; i < NR_ROLES; i++)
		if (!__atomic_load_n(&d[i].p->done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static double demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns 0 when the run was perfect, -1 otherwise; fills @res. */
int vmqt_demo_run(const struct vmqt_demo_opts *o, struct vmqt_demo_result *res)
{
	struct demo_vm d[NR_ROLES];
	char ids[NR_ROLES][16];
	double t0, last;
	u64 exits_before[NR_ROLES], copied;
	int i, rc = 0;

	memset(res, 0, sizeof(*res));
	demo_out = stdout;
	demo_tap = o->tap;
	copied = vmqt_stats().bytes_copied;
	demo_say("vmq demo: read -> decode -> play, %lu blocks of %u bytes\n",
		 (unsigned long)o->blocks, BLOCK_SIZE);
	for (i = 0; i < NR_ROLES; i++) {
		demo_vm_create(&d[i], i, o->blocks);
		snprintf(ids[i], sizeof(ids[i]), "%u", d[i].id);
	}
	for (i = 0; i < NR_ROLES; i++) {
		exits_before[i] = vmqt_vcpu_stat(d[i].vcpu, "exits");
		TEST_ASSERT(!pthread_create(&d[i].thread, NULL, demo_vcpu_thread,
					    &d[i]), "pthread_create");
	}
	/* The guests register their queues, then wait for identities. */
	for (i = 0; i < NR_ROLES; i++)
		while (!__atomic_load_n(&d[i].p->ready, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&d[i].p->done, __ATOMIC_ACQUIRE))
			usleep(1000);

	/* The pipeline starts moving with the last introduction. */
	t0 = last = demo_now();
	demo_say("three VMs, ids %s %s %s, unnamed and unconnected; setting up with vmqctl:\n",
		 ids[READER], ids[DECODER], ids[PLAYER]);
	for (i = 0; i < NR_ROLES && !rc; i++)
		rc = demo_vmqctl3("name", ids[i], role_name[i]);
	if (!rc)
		rc = demo_vmqctl3("allow", "player", "reader");
	if (!rc)
		rc = demo_vmqctl3("introduce", "decoder", "player");
	if (!rc)
		rc = demo_vmqctl3("introduce", "reader", "decoder");
	if (!rc && !o->quiet) {
		const char *argv[] = { "vmqctl", "list", NULL };

		demo_vmqctl_run(argv, true);
	}
	if (rc) {
		demo_say("vmq_demo: vmqctl failed (exit %d)%s\n", rc,
			 rc == 127 ? ": vmqctl not found (set VMQCTL=path)" : "");
		/*
		 * The guests wait for identities that never come; the caller
		 * exits, which ends their threads.
		 */
		res->errors = 1;
		return rc == 127 ? -2 : -1;
	}

	while (!demo_all_done(d)) {
		double now;

		usleep(50000);
		now = demo_now();
		if (now - last >= 1.0 && !o->quiet) {
			/* Downstream first, so no count shows ahead of its source. */
			u64 played = __atomic_load_n(&d[PLAYER].p->blocks,
						     __ATOMIC_ACQUIRE);
			u64 pages = __atomic_load_n(&d[PLAYER].p->pages_in,
						    __ATOMIC_RELAXED);
			u64 bytes = __atomic_load_n(&d[PLAYER].p->bytes_in,
						    __ATOMIC_RELAXED);
			u64 decoded = __atomic_load_n(&d[DECODER].p->blocks,
						      __ATOMIC_ACQUIRE);
			u64 read = __atomic_load_n(&d[READER].p->blocks,
						   __ATOMIC_ACQUIRE);

			demo_say("  [%5.1fs] read %6lu  decoded %6lu  played %6lu blocks  %5lu pages  %8.1f KiB/s\n",
				 now - t0, (unsigned long)read,
				 (unsigned long)decoded, (unsigned long)played,
				 (unsigned long)pages,
				 bytes / 1024.0 / (now - t0));
			last = now;
		}
	}
	res->secs = demo_now() - t0;
	for (i = 0; i < NR_ROLES; i++)
		pthread_join(d[i].thread, NULL);

	/* Tally: guests' own counts, the kernel's error counters, KVM's exits. */
	for (i = 0; i < NR_ROLES; i++) {
		struct vmq_vm_info vi = vmqt_info_of(d[i].id);
		int c;

		if (d[i].status) {
			demo_say("%s: %s\n", role_name[i], d[i].why);
			res->errors++;
		}
		res->errors += d[i].p->errors;
		if (d[i].p->errors)
			demo_say("%s: %lu errors, first send status %ld\n",
				 role_name[i], (unsigned long)d[i].p->errors,
				 (long)d[i].p->first_error);
		for (c = VMQ_CTR_ERR_NODEST; c <= VMQ_CTR_ERR_PERM; c++)
			res->kernel_errors += vi.counters[c];
		res->kernel_errors += vi.counters[VMQ_CTR_ERR_QUOTA];
		res->msgs += vi.counters[VMQ_CTR_TX_MSGS];
		res->bytes += vi.counters[VMQ_CTR_TX_BYTES];
		res->lazy += vi.counters[VMQ_CTR_LAZY_MSGS];
		res->pages += vi.counters[VMQ_CTR_PAGES_TX];
		res->waits += vi.counters[VMQ_CTR_WAITS];
		res->exits += vmqt_vcpu_stat(d[i].vcpu, "exits") - exits_before[i];
	}
	res->copied = vmqt_stats().bytes_copied - copied;
	res->blocks = d[PLAYER].p->blocks;
	res->verdict = d[PLAYER].p->verdict;
	res->same_stream = d[READER].p->blocks == o->blocks &&
			   d[PLAYER].p->blocks == o->blocks &&
			   d[READER].p->hash == d[PLAYER].p->hash &&
			   d[DECODER].p->msgs_in == o->blocks + 1 &&
			   d[PLAYER].p->pages_in == res->pages &&
			   res->pages == (o->blocks + PAGE_BLOCKS - 1) / PAGE_BLOCKS;
	/* Cross-check the player's hash with one computed here. */
	{
		u64 h = FNV_INIT, k;
		u32 j;

		for (k = 0; k < o->blocks; k++)
			for (j = 0; j < BLOCK_SIZE; j++)
				h = (h ^ demo_plain(k, j)) * 0x100000001b3ULL;
		if (h != d[PLAYER].p->hash)
			res->same_stream = false;
	}

	demo_say("summary:\n");
	demo_say("  blocks played     %lu of %lu\n",
		 (unsigned long)res->blocks, (unsigned long)o->blocks);
	demo_say("  messages          %lu (%lu payload bytes), all VMs\n",
		 (unsigned long)res->msgs, (unsigned long)res->bytes);
	demo_say("  pages moved       %lu, decoder to player, zero-copy (%lu bytes)\n",
		 (unsigned long)res->pages, (unsigned long)res->pages * 4096);
	demo_say("  bytes copied      %lu by vmq: %s\n",
		 (unsigned long)res->copied, res->copied == res->bytes ?
		 "the messages' payload, not one byte of the pages" :
		 "MORE than the messages' payload");
	demo_say("  lazy sends        %lu of %lu (messages and pages); %lu blocking waits\n",
		 (unsigned long)res->lazy,
		 (unsigned long)(res->msgs + res->pages),
		 (unsigned long)res->waits);
	demo_say("  VM exits          %lu, %.2f per message or page\n",
		 (unsigned long)res->exits, res->msgs + res->pages ?
		 (double)res->exits / (res->msgs + res->pages) : 0.0);
	demo_say("  time              %.1f s, %.1f KiB/s played\n",
		 res->secs, res->secs > 0 ?
		 d[PLAYER].p->bytes_in / 1024.0 / res->secs : 0.0);
	demo_say("  errors            %lu in guests, %lu counted by vmq\n",
		 (unsigned long)res->errors, (unsigned long)res->kernel_errors);
	demo_say("  stream            %s\n", res->same_stream ?
		 "the player received exactly what the reader produced" :
		 "MISMATCH between reader and player");
	demo_say("  player verdict    %s\n",
		 res->verdict ? "PASS" : "FAIL");

	if (res->errors || res->kernel_errors || !res->verdict ||
	    !res->same_stream || res->copied != res->bytes)
		rc = -1;
	for (i = 0; i < NR_ROLES; i++) {
		kvm_vm_free(d[i].vm);
		if (d[i].w.fd >= 0)
			vmqt_window_unmap(&d[i].w);
	}
	return rc;
}
